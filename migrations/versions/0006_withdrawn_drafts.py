"""A draft that its filer withdraws keeps its incomplete fields: the completeness check applies to claims that were submitted.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 15:10:00

"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COMPLETE = (
    "number IS NOT NULL AND submitted_at IS NOT NULL AND claimant_name IS NOT NULL AND incident_at IS NOT NULL AND village_id IS NOT NULL AND declaration"
)


def upgrade():
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint(op.f("ck_claims_submitted_complete"), type_="check")
        batch.create_check_constraint("submitted_complete", f"status = 'draft' OR (status = 'withdrawn' AND number IS NULL) OR ({COMPLETE})")


def downgrade():
    # The old rule knows no withdrawn draft: such a draft goes back to being a draft of its filer.
    op.execute("UPDATE claims SET status = 'draft' WHERE status = 'withdrawn' AND number IS NULL")
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint(op.f("ck_claims_submitted_complete"), type_="check")
        batch.create_check_constraint("submitted_complete", f"status = 'draft' OR ({COMPLETE})")
