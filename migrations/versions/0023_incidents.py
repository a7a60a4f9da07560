"""Incidents: one event (place, time, species, herd size) whose damage several households claim, and which claims
belong to it; the schedule's per-accident cap applies across them.

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-02 04:30:00

"""

import sqlalchemy as sa
from alembic import op

import claims.core.db

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False, comment="SG-<county code>-<year>-<serial>, shown on the decisions"),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=True, comment="where it happened, when one village"),
        sa.Column("place", sa.String(length=200), nullable=False, comment="where it happened, as the officer describes it"),
        sa.Column("occurred_at", claims.core.db.UTCDateTime(), nullable=False),
        sa.Column("species_id", sa.Integer(), nullable=True),
        sa.Column("herd_size", sa.Integer(), nullable=True, comment="how many animals, when known"),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", claims.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["county_id"], ["regions.id"], name=op.f("fk_incidents_county_id_regions")),
        sa.ForeignKeyConstraint(["village_id"], ["regions.id"], name=op.f("fk_incidents_village_id_regions")),
        sa.ForeignKeyConstraint(["species_id"], ["species.id"], name=op.f("fk_incidents_species_id_species")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_incidents_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_incidents_number")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_county_id"), ["county_id"], unique=False)
    op.create_table(
        "incident_claims",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("joined_by_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", claims.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_incident_claims_claim_id_claims")),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], name=op.f("fk_incident_claims_incident_id_incidents")),
        sa.ForeignKeyConstraint(["joined_by_id"], ["users.id"], name=op.f("fk_incident_claims_joined_by_id_users")),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_incident_claims")),
    )
    with op.batch_alter_table("incident_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_claims_incident_id"), ["incident_id"], unique=False)


def downgrade():
    with op.batch_alter_table("incident_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_claims_incident_id"))
    op.drop_table("incident_claims")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_county_id"))
    op.drop_table("incidents")
