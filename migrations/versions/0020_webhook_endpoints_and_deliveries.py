"""Webhooks: the URLs an API client's system registers for events (each with its encrypted signing secret), and one
delivery row per event sent to an endpoint, with its exact body and how its attempts went; and an index on when each
stored API answer was made, which `flask api purge-keys` reads.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 00:30:00

"""

import sqlalchemy as sa
from alembic import op

import claims.core.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f("ix_api_idempotent_responses_created_at"), "api_idempotent_responses", ["created_at"])  # `flask api purge-keys`
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False, comment="whsec_<base64 of 24 random bytes>, AES-GCM encrypted"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", claims.core.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["api_clients.id"], name=op.f("fk_webhook_endpoints_client_id_api_clients")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_webhook_endpoints_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_endpoints_client_id"), ["client_id"], unique=False)

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False, comment="msg_<uuid>: the same for every attempt and replay of the event"),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False, comment="the JSON sent, byte for byte as signed"),
        sa.Column(
            "status", sa.Enum("pending", "delivered", "failed", name="deliverystatus", native_enum=False, create_constraint=True, length=10), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True, comment="the HTTP status of the last attempt; null: no answer"),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("replay_of_id", sa.Integer(), nullable=True),
        sa.Column("created_at", claims.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_attempt_at", claims.core.db.UTCDateTime(), nullable=True),
        sa.Column("delivered_at", claims.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_webhook_deliveries_claim_id_claims")),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoints.id"], name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints")),
        sa.ForeignKeyConstraint(["replay_of_id"], ["webhook_deliveries.id"], name=op.f("fk_webhook_deliveries_replay_of_id_webhook_deliveries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_deliveries_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index("ix_webhook_deliveries_endpoint_id_id", ["endpoint_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_deliveries_event_id"), ["event_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_api_idempotent_responses_created_at"), table_name="api_idempotent_responses")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_event_id"))
        batch_op.drop_index("ix_webhook_deliveries_endpoint_id_id")
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_claim_id"))

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_endpoints_client_id"))

    op.drop_table("webhook_endpoints")
