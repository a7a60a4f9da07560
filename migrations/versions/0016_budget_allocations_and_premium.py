"""Budget allocations of the counties' compensation funds (append-only, corrected by reversing entries) and a policy's premium.

`budget_allocations` holds what the finance bureau allocated to a county's fund for a fiscal year, with its source
document; a correction is a negative entry that reverses one earlier entry (once: the unique key on reverses_id).
`insurance_policies.premium` (integer fen, empty for the policies entered before) is the loss ratio's denominator.
Two indexes let the ledger read one year's approvals and government payments rather than every row (measured in
docs/reports.md: a province's ledger over 200,000 claims on SQLite, 289 ms without them, 132 ms with them).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "budget_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False, comment="the calendar year of the budget (China's fiscal year)"),
        sa.Column("amount", sa.BigInteger(), nullable=False, comment="positive: allocated; negative: the reversal of an earlier entry"),
        sa.Column("document_title", sa.String(length=200), nullable=False, comment="the finance bureau's document that allocated it"),
        sa.Column("document_number", sa.String(length=60), nullable=False, comment="文号, e.g. 南财农〔2026〕12号"),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True, comment="for a reversal: why the reversed entry was wrong"),
        sa.Column("reverses_id", sa.Integer(), nullable=True, comment="the entry this one reverses (once)"),
        sa.Column("entered_by_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(reverses_id IS NULL AND amount > 0) OR (reverses_id IS NOT NULL AND amount < 0)", name=op.f("ck_budget_allocations_sign")),
        sa.CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name=op.f("ck_budget_allocations_fiscal_year")),
        sa.ForeignKeyConstraint(["county_id"], ["regions.id"], name=op.f("fk_budget_allocations_county_id_regions")),
        sa.ForeignKeyConstraint(["entered_by_id"], ["users.id"], name=op.f("fk_budget_allocations_entered_by_id_users")),
        sa.ForeignKeyConstraint(["reverses_id"], ["budget_allocations.id"], name=op.f("fk_budget_allocations_reverses_id_budget_allocations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_allocations")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_budget_allocations_reverses_id")),
    )
    op.create_index("ix_budget_allocations_county_year", "budget_allocations", ["county_id", "fiscal_year"])
    op.create_index("ix_decisions_approved_at", "decisions", ["approved_at"])
    op.create_index("ix_settlements_share_settled", "settlements", ["share", "settled_at"])
    with op.batch_alter_table("insurance_policies") as batch_op:
        batch_op.add_column(sa.Column("premium", sa.BigInteger(), nullable=True, comment="what the policyholder paid for the term; the loss ratio's denominator"))


def downgrade():
    with op.batch_alter_table("insurance_policies") as batch_op:
        batch_op.drop_column("premium")
    op.drop_index("ix_settlements_share_settled", table_name="settlements")
    op.drop_index("ix_decisions_approved_at", table_name="decisions")
    op.drop_index("ix_budget_allocations_county_year", table_name="budget_allocations")
    op.drop_table("budget_allocations")
