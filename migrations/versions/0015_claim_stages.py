"""Claim stages: when each claim entered and left each status, rebuilt for existing claims from the audit trail.

Every status change since the first migration wrote an audit event (entity "claim", to_state set: the draft's
start and every step of claims.lifecycle). Each such event opens a stay in its to_state at its time; the claim's
next such event closes it (LEAD over the claim's events in order). A claim without such events gets no stay:
nothing says when it entered its status, and an invented time would distort the reports; the next step it takes
opens its first stay. Pure SQL, the same on SQLite (3.25+, window functions) and PostgreSQL.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

STATUSES = (
    "draft", "submitted", "returned", "not_accepted", "accepted", "survey_assigned", "surveyed", "confirmed", "disputed", "valued",
    "referred", "insurer_decided", "in_notice", "objection_review", "approved", "not_compensated", "paid", "closed", "withdrawn",
)  # fmt: skip

BACKFILL = """
INSERT INTO claim_stages (claim_id, status, entered_at, left_at)
SELECT claim_id, to_state, created_at, LEAD(created_at) OVER (PARTITION BY claim_id ORDER BY created_at, id)
FROM audit_events
WHERE entity = 'claim' AND claim_id IS NOT NULL AND to_state IS NOT NULL
"""


def upgrade():
    op.create_table(
        "claim_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="claimstatus", native_enum=False, create_constraint=True, length=30), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True, comment="null while the claim is in this status"),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_stages_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_stages")),
    )
    op.execute(BACKFILL)  # before the indexes: one sort per index instead of an index update per row
    op.create_index("ix_claim_stages_status_left", "claim_stages", ["status", "left_at"])
    op.create_index("ix_claim_stages_claim", "claim_stages", ["claim_id", "left_at"])


def downgrade():
    op.drop_index("ix_claim_stages_claim", table_name="claim_stages")
    op.drop_index("ix_claim_stages_status_left", table_name="claim_stages")
    op.drop_table("claim_stages")
