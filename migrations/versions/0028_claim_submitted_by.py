"""Who submitted a claim last: its filer, or a clerk who rewrote and resubmitted it after its return.

A villager's claim that the township clerk corrected and submitted again waits, like a claim a clerk filed, for the
intake of another clerk or a county officer. The county officers' to-do list and the submission's notice found such
claims only by their filer, so in a one-clerk township the claim waited unseen; the intake rule read the audit trail
for every check. Filled here from the audit trail: the actor of each submitted claim's last submit or resubmit event.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 17:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

LAST_SUBMITTER = (
    "SELECT a.actor_id FROM audit_events a WHERE a.claim_id = claims.id AND a.action IN ('submit', 'resubmit') "
    "ORDER BY a.id DESC LIMIT 1"
)


def upgrade():
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "submitted_by_id",
                sa.Integer(),
                nullable=True,
                comment="who submitted it last: its filer, or a clerk who rewrote and resubmitted it after its return",
            )
        )
        batch_op.create_foreign_key(batch_op.f("fk_claims_submitted_by_id_users"), "users", ["submitted_by_id"], ["id"])
    op.execute(f"UPDATE claims SET submitted_by_id = ({LAST_SUBMITTER}) WHERE number IS NOT NULL")


def downgrade():
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_claims_submitted_by_id_users"), type_="foreignkey")
        batch_op.drop_column("submitted_by_id")
