"""Separation of duties: a second officer countersigns an adjustment above the engine's figure, the adjusted result
keeps the caps, a claim records that its filing clerk took intake, and staff record when they declared conflicts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 22:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "conflicts_declared_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="when the staff member last declared their relatives (or none); NULL: never, no step until they do",
            )
        )
    # Whoever declared a relative has declared; everyone else is asked at their next login.
    op.execute(
        "UPDATE users SET conflicts_declared_at = (SELECT MIN(d.declared_at) FROM conflict_declarations d WHERE d.user_id = users.id) "
        "WHERE id IN (SELECT user_id FROM conflict_declarations)"
    )
    with op.batch_alter_table("claims") as batch:
        batch.add_column(
            sa.Column(
                "accepted_by_filer",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="the clerk who filed it also took intake, as the county's one-clerk setting allows",
            )
        )
    with op.batch_alter_table("claims") as batch:
        batch.alter_column("accepted_by_filer", server_default=None)
    with op.batch_alter_table("claim_valuations") as batch:
        batch.add_column(
            sa.Column(
                "adjusted_result",
                sa.JSON(),
                nullable=True,
                comment="the engine output with the adjusted line amounts and the caps applied again; NULL: no adjustment",
            )
        )
    with op.batch_alter_table("valuation_adjustments") as batch:
        batch.add_column(sa.Column("countersigned_by_id", sa.Integer(), nullable=True, comment="the second officer, for an amount above the engine's"))
        batch.add_column(sa.Column("countersigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f("fk_valuation_adjustments_countersigned_by_id_users"), "users", ["countersigned_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("valuation_adjustments") as batch:
        batch.drop_constraint(op.f("fk_valuation_adjustments_countersigned_by_id_users"), type_="foreignkey")
        batch.drop_column("countersigned_at")
        batch.drop_column("countersigned_by_id")
    with op.batch_alter_table("claim_valuations") as batch:
        batch.drop_column("adjusted_result")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("accepted_by_filer")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("conflicts_declared_at")
