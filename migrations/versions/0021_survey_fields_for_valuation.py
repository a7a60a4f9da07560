"""Surveys record what valuation needs: per verified line an animal's condition and price grade, a person's hospital,
lost-work and nursing days, disability grade or amount, nutrition costs and medical invoices (photo + amount); per
survey the prevention measures in place (a checklist) and whether the site is in a designated protection zone; an
invoice's photo has the photo stage `invoice`.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 04:30:00

"""

import sqlalchemy as sa
from alembic import op

import claims.core.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

STAGES = ["filing", "survey", "confirmation"]


def _stages(stages: list[str]) -> None:
    with op.batch_alter_table("photos") as batch:
        batch.drop_constraint(op.f("ck_photos_photostage"), type_="check")
        batch.create_check_constraint("photostage", f"stage IN ({', '.join(repr(s) for s in stages)})")


def upgrade():
    _stages([*STAGES, "invoice"])
    with op.batch_alter_table("field_surveys", schema=None) as batch_op:
        batch_op.alter_column("prevention_measures", existing_type=sa.Text(), comment="free-text note on the prevention measures", existing_nullable=True)
        for name, kind, comment in (
            (
                "prevention_in_place",
                sa.JSON(),
                "PreventionMeasure codes found in place; NULL: surveyed before the checklist (0021), no prevention rule applies",
            ),
            (
                "invoices_checked",
                sa.Boolean(),
                "medical costs are the invoices the survey saw (0 with none); NULL: surveyed before 0021, the filed costs stand",
            ),
            ("in_protection_zone", sa.Boolean(), "site inside a designated protection zone (nature reserve etc.); NULL when not applicable. Shown, not valued"),
        ):
            batch_op.add_column(sa.Column(name, kind, nullable=True, comment=comment))
    with op.batch_alter_table("verified_losses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("condition", sa.String(length=10), nullable=True, comment="animals: AnimalCondition (killed, injured, missing)"))
        batch_op.add_column(
            sa.Column("grade", sa.String(length=60), nullable=True, comment="animals: the price grade as the schedule lists it (e.g. 成年母牛)")
        )
        batch_op.add_column(sa.Column("hospital_days", sa.Integer(), nullable=True, comment="injury: verified days in hospital"))
        batch_op.add_column(sa.Column("lost_work_days", sa.Integer(), nullable=True, comment="injury: lost-work days claimed"))
        batch_op.add_column(sa.Column("nursing_days", sa.Integer(), nullable=True, comment="injury: nursing days claimed"))
        batch_op.add_column(sa.Column("disability_grade", sa.Integer(), nullable=True, comment="injury: assessed disability grade, 1 (worst) to 10"))
        batch_op.add_column(sa.Column("disability_amount", claims.core.db.Money(), nullable=True, comment="injury: disability compensation assessed in money"))
        batch_op.add_column(
            sa.Column("nutrition_costs", claims.core.db.Money(), nullable=True, comment="injury: nutrition costs, paid only where the schedule pays them")
        )
        batch_op.create_check_constraint("disability_grade_range", "disability_grade IS NULL OR disability_grade BETWEEN 1 AND 10")
        batch_op.create_check_constraint("disability_grade_or_amount", "disability_grade IS NULL OR disability_amount IS NULL")
    op.create_table(
        "medical_invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verified_loss_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False, comment="the invoice photo (stage survey), stored and shown like every photo"),
        sa.Column("amount", claims.core.db.Money(), nullable=False, comment="the invoice total"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_medical_invoices_amount_positive")),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], name=op.f("fk_medical_invoices_photo_id_photos")),
        sa.ForeignKeyConstraint(["verified_loss_id"], ["verified_losses.id"], name=op.f("fk_medical_invoices_verified_loss_id_verified_losses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medical_invoices")),
    )
    with op.batch_alter_table("medical_invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_medical_invoices_verified_loss_id"), ["verified_loss_id"], unique=False)


def downgrade():
    op.execute("UPDATE photos SET stage = 'survey' WHERE stage = 'invoice'")
    with op.batch_alter_table("medical_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_medical_invoices_verified_loss_id"))
    op.drop_table("medical_invoices")
    with op.batch_alter_table("verified_losses", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_verified_losses_disability_grade_or_amount"), type_="check")
        batch_op.drop_constraint(op.f("ck_verified_losses_disability_grade_range"), type_="check")
        for name in ("nutrition_costs", "disability_amount", "disability_grade", "nursing_days", "lost_work_days", "hospital_days", "grade", "condition"):
            batch_op.drop_column(name)
    with op.batch_alter_table("field_surveys", schema=None) as batch_op:
        batch_op.drop_column("in_protection_zone")
        batch_op.drop_column("invoices_checked")
        batch_op.drop_column("prevention_in_place")
        batch_op.alter_column("prevention_measures", existing_type=sa.Text(), comment=None, existing_nullable=True)
    _stages(STAGES)
