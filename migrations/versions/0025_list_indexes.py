"""Lists at 1,000,000 claims: a township's overdue list reads open claims by deadline from a partial index of open
claims only, the insurer's to-do reads the referred claims by deadline from a partial index, and a payment batch holds its payments' count.

The whole-table deadline indexes also hold refused and settled claims that kept a deadline, so after a cursor the
planner guessed a few dozen open rows, found ten thousand and sorted them all (an overdue list's next page: 15 ms of
60). A payment batch's payments never change once it is made, so their count is stored with it rather than counted
on every view of the batches (ten batches of 9,000 payments: 10-15 ms).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 06:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# The open states of this release (claims.workflow.states.OPEN_STATES); tests/core/test_migrations.py compares each
# partial index's condition in the migrated database with the models'.
OPEN = (
    "status IN ('submitted', 'returned', 'accepted', 'survey_assigned', 'surveyed', 'confirmed', 'disputed', 'valued', "
    "'referred', 'insurer_decided', 'in_notice', 'objection_review', 'approved', 'paid')"
)
# name, table, columns, partial condition: the same as the models' __table_args__.
INDEXES = [
    ("ix_claims_open_township_due", "claims", ["township_id", "due_at", "id"], OPEN),
    ("ix_claims_referred_due", "claims", ["due_at", "id"], "status = 'referred'"),
]


def upgrade():
    for name, table, columns, where in INDEXES:
        condition = {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)} if where else {}
        op.create_index(name, table, columns, **condition)
    with op.batch_alter_table("payment_batches") as batch:
        batch.add_column(sa.Column("payment_count", sa.Integer(), nullable=False, server_default="0", comment="its payments, fixed when the batch is made"))
    op.execute("UPDATE payment_batches SET payment_count = (SELECT count(*) FROM payments WHERE payments.batch_id = payment_batches.id)")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
        # A database that was analysed weighs each index by its stored statistics; a new index has none and looks
        # better than it is (the overdue counts left their covering index: 10 ms became 97). Where nothing was ever
        # analysed, no index has any and none is favoured, so nothing is added. PostgreSQL plans from the table's
        # statistics, which every index shares.
        op.execute("ANALYZE claims")


def downgrade():
    with op.batch_alter_table("payment_batches") as batch:
        batch.drop_column("payment_count")
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
