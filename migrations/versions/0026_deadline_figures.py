"""The overdue page's counts from the dashboards' aggregate: open claims per bucket, status and deadline, and claims waiting
for a survey per bucket, surveyor and deadline, kept by the same bucket rebuilds as the dashboards' figures.

At 1,000,000 claims the province's overdue page counted its 40,000 overdue claims per township (25 ms) and joined
5,000 of them to their surveyors (35 ms) at every view; from these tables it reads a few hundred rows.

Unlike the dashboards' figures (migration 0017), these two tables are filled here from the claims already in the
database, so they are complete from this revision on: the steps keep them so.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

STATUSES = (
    "draft", "submitted", "returned", "not_accepted", "accepted", "survey_assigned", "surveyed", "confirmed", "disputed", "valued",
    "referred", "insurer_decided", "in_notice", "objection_review", "approved", "not_compensated", "paid", "closed", "withdrawn",
)  # fmt: skip
# The open states of this release (claims.workflow.states.OPEN_STATES).
OPEN = (
    "status IN ('submitted', 'returned', 'accepted', 'survey_assigned', 'surveyed', 'confirmed', 'disputed', 'valued', "
    "'referred', 'insurer_decided', 'in_notice', 'objection_review', 'approved', 'paid')"
)
# claims.core.db.local_month: the first day of the local (Asia/Shanghai) month of filing.
MONTH = {
    "sqlite": "date(c.submitted_at, '+8 hours', 'start of month')",
    "postgresql": "CAST(date_trunc('month', timezone('Asia/Shanghai', c.submitted_at)) AS DATE)",
}
FILED = "c.submitted_at IS NOT NULL AND c.township_id IS NOT NULL AND c.due_at IS NOT NULL"


def _table(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False, comment="first day of the local month of filing"),
        sa.Column("county_id", sa.Integer(), nullable=True),
        *columns,
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["township_id"], ["regions.id"], name=op.f(f"fk_{name}_township_id_regions")),
        sa.ForeignKeyConstraint(["county_id"], ["regions.id"], name=op.f(f"fk_{name}_county_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_county_due", name, ["county_id", "due_at"])
    op.create_index(f"ix_{name}_township_month", name, ["township_id", "month"])


def upgrade():
    _table(
        "report_deadline_figures",
        sa.Column("status", sa.Enum(*STATUSES, name="claimstatus", native_enum=False, create_constraint=True, length=30), nullable=False),
        sa.Column("due_at", sa.Date(), nullable=False, comment="the claims' deadline for their next step"),
    )
    _table(
        "report_survey_figures",
        sa.Column("surveyor_id", sa.Integer(), sa.ForeignKey("users.id", name=op.f("fk_report_survey_figures_surveyor_id_users")), nullable=False),
        sa.Column("due_at", sa.Date(), nullable=False, comment="the claims' deadline for the survey"),
    )
    month = MONTH[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO report_deadline_figures (township_id, month, county_id, status, due_at, claims) "
        f"SELECT c.township_id, {month}, c.county_id, c.status, c.due_at, count(*) FROM claims c "
        f"WHERE {FILED} AND c.{OPEN} GROUP BY c.township_id, {month}, c.county_id, c.status, c.due_at"
    )
    op.execute(
        "INSERT INTO report_survey_figures (township_id, month, county_id, surveyor_id, due_at, claims) "
        f"SELECT c.township_id, {month}, c.county_id, s.user_id, c.due_at, count(*) FROM claims c "
        "JOIN survey_assignments a ON a.claim_id = c.id AND a.round = c.survey_round "
        "JOIN assignment_surveyors s ON s.assignment_id = a.id "
        f"WHERE {FILED} AND c.status = 'survey_assigned' GROUP BY c.township_id, {month}, c.county_id, s.user_id, c.due_at"
    )


def downgrade():
    for name in ("report_survey_figures", "report_deadline_figures"):
        op.drop_index(f"ix_{name}_township_month", table_name=name)
        op.drop_index(f"ix_{name}_county_due", table_name=name)
        op.drop_table(name)
