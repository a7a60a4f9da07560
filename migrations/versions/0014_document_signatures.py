"""Issued documents record who signed them: the signing certificate's name and SHA-256 fingerprint.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("issued_documents") as batch:
        batch.add_column(sa.Column("signed_by", sa.String(length=200), nullable=True, comment="the signing certificate's name; null: not signed"))
        batch.add_column(sa.Column("signer_certificate_sha256", sa.String(length=64), nullable=True, comment="SHA-256 of the signing certificate"))


def downgrade():
    with op.batch_alter_table("issued_documents") as batch:
        batch.drop_column("signer_certificate_sha256")
        batch.drop_column("signed_by")
