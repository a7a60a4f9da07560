"""Drafts sent from the phone after a spell without signal: a survey's form key (a repeated send records one survey),
and whether the phone downsized a photo before sending it ("save data" mode).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 03:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("field_surveys") as batch:
        batch.add_column(
            sa.Column("submission_key", sa.String(length=40), nullable=True, comment="one per survey form, so a draft sent twice records one survey")
        )
        batch.create_unique_constraint(op.f("uq_field_surveys_claim_id_submission_key"), ["claim_id", "submission_key"])
    with op.batch_alter_table("photos") as batch:
        batch.add_column(
            sa.Column("resized_on_phone", sa.Boolean(), nullable=False, server_default=sa.false(), comment="downsized by the phone before upload (save data)")
        )


def downgrade():
    with op.batch_alter_table("photos") as batch:
        batch.drop_column("resized_on_phone")
    with op.batch_alter_table("field_surveys") as batch:
        batch.drop_constraint(op.f("uq_field_surveys_claim_id_submission_key"), type_="unique")
        batch.drop_column("submission_key")
