"""Lists by deadline read from an index at 1,000,000 claims: the overdue counts' indexes put the deadline before the
status, a province-wide deadline index, and the insurer's waiting referrals.

With the status before the deadline (migration 0011), PostgreSQL took a few statuses' rows from those indexes for
a to-do list's next page, expected dozens of rows, found thousands and sorted them all (100-200 ms).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

REPLACED = [  # migration 0011's, dropped on the way up and made again on the way down
    ("ix_claims_county_status_due", "claims", ["county_id", "status", "due_at", "township_id"]),
    ("ix_claims_township_status_due", "claims", ["township_id", "status", "due_at"]),
]
# name, table, columns, partial condition: the same as the models' __table_args__ (tests/core/test_migrations.py).
INDEXES = [
    ("ix_claims_county_due_status", "claims", ["county_id", "due_at", "status", "township_id"], None),  # overdue counts
    ("ix_claims_township_due_status", "claims", ["township_id", "due_at", "status", "county_id"], None),
    ("ix_claims_due", "claims", ["due_at", "id"], None),  # province-wide lists by deadline (only open claims have one)
    ("ix_referrals_waiting", "referrals", ["due_at", "id"], "decision IS NULL"),  # the insurer's waiting referrals
    ("ix_referrals_due", "referrals", ["due_at", "id"], None),  # then the decided ones
]


def upgrade():
    # The new indexes first (building one blocks writes, not reads), the old ones dropped last: dropping an
    # index locks its table even against reads until the migration commits, which is then at once.
    for name, table, columns, where in INDEXES:
        condition = {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)} if where else {}
        op.create_index(name, table, columns, **condition)
    for name, table, _columns in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade():
    for name, table, columns in REPLACED:
        op.create_index(name, table, columns)
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
