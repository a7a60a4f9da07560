"""An objection raised during the public notice is reviewed by the county: a state for the review, its own time
limit, and the finding (upheld with a new survey or valuation, or not upheld, with reasons) on the objection.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 23:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STATES = [
    "draft", "submitted", "returned", "not_accepted", "accepted", "survey_assigned", "surveyed", "confirmed", "disputed", "valued",
    "referred", "insurer_decided", "in_notice", "approved", "not_compensated", "paid", "closed", "withdrawn",
]  # fmt: skip
LIMITS = ["application", "intake", "survey", "confirmation", "valuation", "insurer", "approval", "payment"]


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint(op.f("ck_claims_claimstatus"), type_="check")
        batch.create_check_constraint("claimstatus", _in("status", [*STATES, "objection_review"]))
    with op.batch_alter_table("time_limits") as batch:
        batch.drop_constraint(op.f("ck_time_limits_limitkind"), type_="check")
        batch.create_check_constraint("limitkind", _in("kind", [*LIMITS, "objection"]))
    with op.batch_alter_table("objections") as batch:
        batch.add_column(sa.Column("objector_mobile", sa.String(11), nullable=True, comment="told the outcome by text message"))
        batch.add_column(
            sa.Column(
                "outcome",
                sa.Enum("resurvey", "revalue", "not_upheld", name="objectionoutcome", native_enum=False, create_constraint=True, length=30),
                nullable=True,
                comment="the county's finding; empty while under review",
            )
        )
        batch.add_column(sa.Column("finding", sa.Text(), nullable=True, comment="the reasons of the finding"))
        batch.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f("fk_objections_reviewed_by_id_users"), "users", ["reviewed_by_id"], ["id"])
    # Objections recorded before the review existed sent their claim back to be valued again: that is their finding.
    op.execute(
        "UPDATE objections SET outcome = 'revalue', finding = '异议复核功能启用前登记：申请已退回重新核定', reviewed_at = recorded_at WHERE outcome IS NULL"
    )


def downgrade():
    # The old lifecycle knows no review: a claim under review goes back to be valued, as an objection did before
    # (its notice entry is withdrawn, so it cannot be approved unreviewed); the review's limit goes.
    op.execute(
        "UPDATE notice_entries SET withdrawn = true WHERE withdrawn = false AND claim_id IN (SELECT id FROM claims WHERE status = 'objection_review')"
    )
    op.execute("UPDATE claims SET status = 'valued' WHERE status = 'objection_review'")
    op.execute("DELETE FROM time_limits WHERE kind = 'objection'")
    with op.batch_alter_table("objections") as batch:
        batch.drop_constraint(op.f("fk_objections_reviewed_by_id_users"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_objections_objectionoutcome"), type_="check")
        batch.drop_column("reviewed_at")
        batch.drop_column("reviewed_by_id")
        batch.drop_column("finding")
        batch.drop_column("outcome")
        batch.drop_column("objector_mobile")
    with op.batch_alter_table("time_limits") as batch:
        batch.drop_constraint(op.f("ck_time_limits_limitkind"), type_="check")
        batch.create_check_constraint("limitkind", _in("kind", LIMITS))
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint(op.f("ck_claims_claimstatus"), type_="check")
        batch.create_check_constraint("claimstatus", _in("status", STATES))
