"""The advance on injury and death: one advance per claim (amount, basis, who requested and approved it, the frozen
payee), its payments and settlements as the share `advance`, its decision as the document kind `advance`, and the
advance deducted from the final decision.

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-02 04:30:00

"""

import sqlalchemy as sa
from alembic import op

import claims.core.db

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

KINDS = ["receipt", "correction", "not_accepted", "survey_record", "refusal", "compensation", "notice_list", "payment_list"]
SHARES = ["government", "insurer"]


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _checks(kinds: list[str], shares: list[str]) -> None:
    for table in ("issued_documents", "document_sequences"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_documentkind"), type_="check")
            batch.create_check_constraint("documentkind", _in("kind", kinds))
    for table in ("payments", "settlements"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_share"), type_="check")
            batch.create_check_constraint("share", _in("share", shares))


def upgrade():
    _checks([*KINDS, "advance"], [*SHARES, "advance"])
    op.create_table(
        "advances",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("amount", claims.core.db.Money(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False, comment="how the amount was computed, in Chinese, as the advance decision prints it"),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", claims.core.db.UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False, comment="the working day by which an approver decides (local date)"),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", claims.core.db.UTCDateTime(), nullable=True),
        sa.Column("payee_name", sa.String(length=50), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=True),
        sa.Column("bank_account", sa.String(length=255), nullable=True, comment="encrypted; frozen at approval, the account the advance goes to"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_advances_amount_positive")),
        sa.CheckConstraint("(approved_at IS NULL) = (approved_by_id IS NULL)", name=op.f("ck_advances_approved_together")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_advances_claim_id_claims")),
        sa.ForeignKeyConstraint(["county_id"], ["regions.id"], name=op.f("fk_advances_county_id_regions")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_advances_requested_by_id_users")),
        sa.ForeignKeyConstraint(["approved_by_id"], ["users.id"], name=op.f("fk_advances_approved_by_id_users")),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_advances")),
    )
    op.create_index("ix_advances_county_approved", "advances", ["county_id", "approved_at"])
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(
            sa.Column(
                "advance_paid",
                claims.core.db.Money(),
                server_default="0",
                nullable=False,
                comment="the advance paid before, deducted from this decision's payments (migration 0022)",
            )
        )


def downgrade():
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("advance_paid")
    op.drop_index("ix_advances_county_approved", table_name="advances")
    op.drop_table("advances")
    op.execute("DELETE FROM settlements WHERE share = 'advance'")
    op.execute("DELETE FROM payments WHERE share = 'advance'")
    op.execute("DELETE FROM document_sequences WHERE kind = 'advance'")
    op.execute("DELETE FROM issued_documents WHERE kind = 'advance'")
    _checks(KINDS, SHARES)
