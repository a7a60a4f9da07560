"""The data stamp: a value every writing transaction sets anew on SQLite, so that a drawn to-do list can be kept until
the data changes (claims/core/pagecache.py). PostgreSQL reads its snapshot instead.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 20:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    stamp = op.create_table(
        "data_stamp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_stamp")),
    )
    op.bulk_insert(stamp, [{"id": 1, "value": "0"}])


def downgrade():
    op.drop_table("data_stamp")
