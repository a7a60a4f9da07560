"""The dashboards' aggregate: claims' figures per township and local month of filing, and the lock row of each bucket.

Empty after the upgrade: `flask reports rebuild` counts every claim into it (docs/reports.md), once, after
upgrading, after a bulk load and after a restore; from then on every step rebuilds the buckets it changes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 16:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

STATUSES = (
    "draft", "submitted", "returned", "not_accepted", "accepted", "survey_assigned", "surveyed", "confirmed", "disputed", "valued",
    "referred", "insurer_decided", "in_notice", "objection_review", "approved", "not_compensated", "paid", "closed", "withdrawn",
)  # fmt: skip
CATEGORIES = ("crop", "economic_tree", "livestock", "poultry", "property", "injury", "death")
AMOUNTS = ("claimed", "verified", "approved", "approved_insurer", "approved_government", "paid", "paid_insurer", "paid_government")


def _status() -> sa.Enum:
    return sa.Enum(*STATUSES, name="claimstatus", native_enum=False, create_constraint=True, length=30)


def upgrade():
    op.create_table(
        "report_buckets",
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False, comment="first day of the local month of filing"),
        sa.Column("rebuilt_at", sa.DateTime(timezone=True), nullable=True, comment="when its figures were last counted"),
        sa.ForeignKeyConstraint(["township_id"], ["regions.id"], name=op.f("fk_report_buckets_township_id_regions")),
        sa.PrimaryKeyConstraint("township_id", "month", name=op.f("pk_report_buckets")),
    )
    comments = {
        "claimed": "the estimates given at filing",
        "verified": "the latest submitted (frozen) valuation of the verified losses",
        "approved": "the decisions' totals",
        "paid": "the settled payments",
    }
    op.create_table(
        "report_claim_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False, comment="first day of the local month of filing"),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("species_id", sa.Integer(), nullable=True, comment="NULL: the animal is unknown"),
        sa.Column(
            "category",
            sa.Enum(*CATEGORIES, name="losscategory", native_enum=False, create_constraint=True, length=30),
            nullable=True,
            comment="the claim's first loss line's",
        ),
        sa.Column("status", _status(), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False, comment=comments.get(name)) for name in AMOUNTS),
        sa.ForeignKeyConstraint(["township_id"], ["regions.id"], name=op.f("fk_report_claim_figures_township_id_regions")),
        sa.ForeignKeyConstraint(["county_id"], ["regions.id"], name=op.f("fk_report_claim_figures_county_id_regions")),
        sa.ForeignKeyConstraint(["species_id"], ["species.id"], name=op.f("fk_report_claim_figures_species_id_species")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_claim_figures")),
    )
    op.create_index("ix_report_claim_figures_county_month", "report_claim_figures", ["county_id", "month"])
    op.create_index("ix_report_claim_figures_township_month", "report_claim_figures", ["township_id", "month"])
    op.create_table(
        "report_refusal_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("status", _status(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False, comment="a RefusalReason code, or a survey exclusion's"),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["township_id"], ["regions.id"], name=op.f("fk_report_refusal_figures_township_id_regions")),
        sa.ForeignKeyConstraint(["county_id"], ["regions.id"], name=op.f("fk_report_refusal_figures_county_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_refusal_figures")),
    )
    op.create_index("ix_report_refusal_figures_county_month", "report_refusal_figures", ["county_id", "month"])
    op.create_index("ix_report_refusal_figures_township_month", "report_refusal_figures", ["township_id", "month"])
    op.create_index("ix_claims_township_submitted", "claims", ["township_id", "submitted_at"])  # a bucket's claims
    # The aggregate starts empty. On a database without claims that is complete (every claim will be counted by its
    # steps), so the marker that `flask reports rebuild` leaves is written now; with claims already there it is not,
    # and the dashboards ask for the command until it has run (claims/reports/figures.py, FIGURES_COUNTED).
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM claims")).scalar_one() == 0:
        now = datetime.now(UTC)
        now = now.replace(tzinfo=None) if bind.dialect.name == "sqlite" else now  # as claims.core.db.UTCDateTime stores it
        jobs = sa.table(
            "jobs",
            sa.column("kind", sa.String),
            sa.column("key", sa.String),
            sa.column("args", sa.JSON),
            sa.column("status", sa.String),
            sa.column("attempts", sa.Integer),
            sa.column("created_at", sa.DateTime(timezone=True)),
            sa.column("started_at", sa.DateTime(timezone=True)),
            sa.column("finished_at", sa.DateTime(timezone=True)),
        )
        op.bulk_insert(
            jobs,
            [{"kind": "reports_rebuild", "key": "reports:figures-counted", "args": {}, "status": "done", "attempts": 0,
              "created_at": now, "started_at": now, "finished_at": now}],
        )  # fmt: skip


def downgrade():
    op.execute("DELETE FROM jobs WHERE key = 'reports:figures-counted'")
    op.drop_index("ix_claims_township_submitted", table_name="claims")
    for table in ("report_refusal_figures", "report_claim_figures"):
        op.drop_index(f"ix_{table}_township_month", table_name=table)
        op.drop_index(f"ix_{table}_county_month", table_name=table)
        op.drop_table(table)
    op.drop_table("report_buckets")
