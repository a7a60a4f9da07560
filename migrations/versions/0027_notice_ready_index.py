"""A township's claims ready for its public notice, by deadline, from a partial index of those claims only.

At 1,000,000 claims the notices page after its first page read the township's open claims after the cursor (15,000)
and the claims in the two ready states (8,000) from two indexes, combined them and sorted 2,400 to show 51 (14 ms).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# claims.workflow.states.NOTICE_SOURCES of this release, in its order; tests/core/test_migrations.py compares each
# partial index's condition in the migrated database with the models'.
READY = "status IN ('valued', 'insurer_decided')"


def upgrade():
    op.create_index("ix_claims_notice_ready", "claims", ["township_id", "due_at", "id"], postgresql_where=sa.text(READY), sqlite_where=sa.text(READY))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
        op.execute("ANALYZE claims")  # a new index without statistics looks better than it is (migration 0025)


def downgrade():
    op.drop_index("ix_claims_notice_ready", table_name="claims")
