"""The incident map reads a county's (or a region's counties') claims by incident time from an index, not every year of them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 17:00:00

"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_claims_county_incident", "claims", ["county_id", "incident_at"])


def downgrade():
    op.drop_index("ix_claims_county_incident", table_name="claims")
