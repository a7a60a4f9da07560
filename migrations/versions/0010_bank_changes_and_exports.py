"""The bank account frozen with the decision at approval; a payment batch reopened for a second export, with its reason.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 22:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("bank_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("bank_account", sa.String(length=255), nullable=True, comment="encrypted; the account payments go to"))
    # Decisions taken before: the account on the claim now is the one they would have paid (same key, same ciphertext).
    op.execute(
        "UPDATE decisions SET bank_name = (SELECT claims.bank_name FROM claims WHERE claims.id = decisions.claim_id),"
        " bank_account = (SELECT claims.bank_account FROM claims WHERE claims.id = decisions.claim_id)"
    )
    with op.batch_alter_table("payment_batches") as batch:
        batch.add_column(
            sa.Column("reopened", sa.Boolean(), nullable=False, server_default=sa.false(), comment="exported before and reopened: one more export is allowed")
        )
        batch.add_column(sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True, comment="the last reopening"))
        batch.add_column(sa.Column("reopened_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reopen_reason", sa.Text(), nullable=True))
        batch.create_foreign_key(op.f("fk_payment_batches_reopened_by_id_users"), "users", ["reopened_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("payment_batches") as batch:
        batch.drop_constraint(op.f("fk_payment_batches_reopened_by_id_users"), type_="foreignkey")
        batch.drop_column("reopen_reason")
        batch.drop_column("reopened_by_id")
        batch.drop_column("reopened_at")
        batch.drop_column("reopened")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("bank_account")
        batch.drop_column("bank_name")
