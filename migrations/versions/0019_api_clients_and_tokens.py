"""API clients (an insurer's system or a government platform, each acting as its own service account), their hashed tokens,
and the first answer to each write per Idempotency-Key; users.service marks the service accounts.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 19:30:00

"""

import sqlalchemy as sa
from alembic import op

import claims.core.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("service", sa.Boolean(), nullable=False, server_default=sa.false(), comment="an API client's account: never logs in, not on the user pages")
        )
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.Enum("insurer", "platform", name="clientkind", native_enum=False, length=30, create_constraint=True), nullable=False),
        sa.Column("insurer_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True, comment="a platform's province, prefecture or county"),
        sa.Column("user_id", sa.Integer(), nullable=False, comment="the service account the client acts as"),
        sa.Column("created_at", claims.core.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True, comment="NULL: created by the command line"),
        sa.CheckConstraint(
            "(kind = 'insurer' AND insurer_id IS NOT NULL) OR (kind = 'platform' AND region_id IS NOT NULL)", name=op.f("ck_api_clients_kind_scoped")
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_api_clients_created_by_id_users")),
        sa.ForeignKeyConstraint(["insurer_id"], ["insurers.id"], name=op.f("fk_api_clients_insurer_id_insurers")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_api_clients_region_id_regions")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_clients_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("name", name=op.f("uq_api_clients_name")),
        sa.UniqueConstraint("user_id", name=op.f("uq_api_clients_user_id")),
    )
    op.create_index(op.f("ix_api_clients_insurer_id"), "api_clients", ["insurer_id"])
    op.create_index(op.f("ix_api_clients_region_id"), "api_clients", ["region_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=24), nullable=False, comment="the public part of the token, before the dot"),
        sa.Column("secret_hash", sa.String(length=64), nullable=False, comment="SHA-256 of the secret part, hex"),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("expires_at", claims.core.db.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", claims.core.db.UTCDateTime(), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True, comment="the token that rotation issued in its place"),
        sa.Column("created_at", claims.core.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True, comment="NULL: issued by the command line"),
        sa.ForeignKeyConstraint(["client_id"], ["api_clients.id"], name=op.f("fk_api_tokens_client_id_api_clients")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_api_tokens_created_by_id_users")),
        sa.ForeignKeyConstraint(["replaced_by_id"], ["api_tokens.id"], name=op.f("fk_api_tokens_replaced_by_id_api_tokens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_tokens_key_id")),
    )
    op.create_index(op.f("ix_api_tokens_client_id"), "api_tokens", ["client_id"])
    op.create_table(
        "api_idempotent_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column(
            "fingerprint", sa.String(length=64), nullable=False, comment="SHA-256 of the method, path and body: the same key for another request is refused"
        ),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", claims.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["api_clients.id"], name=op.f("fk_api_idempotent_responses_client_id_api_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotent_responses")),
        sa.UniqueConstraint("client_id", "key", name=op.f("uq_api_idempotent_responses_client_id_key")),
    )


def downgrade():
    op.drop_table("api_idempotent_responses")
    op.drop_index(op.f("ix_api_tokens_client_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index(op.f("ix_api_clients_region_id"), table_name="api_clients")
    op.drop_index(op.f("ix_api_clients_insurer_id"), table_name="api_clients")
    op.drop_table("api_clients")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("service")
