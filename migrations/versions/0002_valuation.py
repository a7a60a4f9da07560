"""Valuation: compensation schedules, reference prices and incomes, claim valuations and adjustments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 07:17:16.149721

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('base_incomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False, comment='urban, rural or all: per-capita disposable income'),
    sa.Column('amount', sa.BigInteger(), nullable=False, comment='yuan per year'),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_base_incomes_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_base_incomes')),
    sa.UniqueConstraint('region_id', 'year', 'kind', name=op.f('uq_base_incomes_region_id_year_kind'))
    )
    with op.batch_alter_table('base_incomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_base_incomes_region_id'), ['region_id'], unique=False)
    op.create_table('reference_prices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=60), nullable=False, comment='price key named by schedule items, e.g. rice'),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False, comment='yuan per unit'),
    sa.Column('unit', sa.String(length=20), nullable=False, comment='the loss-line unit the price is per (mu, head, bird, ...)'),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_reference_prices_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_prices')),
    sa.UniqueConstraint('item', 'region_id', 'year', name=op.f('uq_reference_prices_item_region_id_year'))
    )
    with op.batch_alter_table('reference_prices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_prices_region_id'), ['region_id'], unique=False)
    op.create_table('compensation_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False, comment='stable name used in files and in valuation lines'),
    sa.Column('region_id', sa.Integer(), nullable=False, comment='province, prefecture or county the schedule covers'),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('document_title', sa.String(length=200), nullable=False, comment='the published source document'),
    sa.Column('document_number', sa.String(length=100), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True, comment='last day in force; NULL while in force'),
    sa.Column('status', sa.Enum('draft', 'published', 'retired', name='schedulestatus', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False, comment='the rules as parsed from the schedule file (docs/schedules.md)'),
    sa.Column('source_note', sa.Text(), nullable=False, comment='where the figures come from'),
    sa.Column('source_text', sa.Text(), nullable=False, comment='the file as imported; export gives it back unchanged'),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status = 'draft' OR (published_at IS NOT NULL AND published_by_id IS NOT NULL)", name=op.f('ck_compensation_schedules_published_signed')),
    sa.CheckConstraint('effective_to IS NULL OR effective_to >= effective_from', name=op.f('ck_compensation_schedules_dates')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_compensation_schedules_imported_by_id_users')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_compensation_schedules_published_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_compensation_schedules_region_id_regions')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['compensation_schedules.id'], name=op.f('fk_compensation_schedules_supersedes_id_compensation_schedules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compensation_schedules')),
    sa.UniqueConstraint('code', name=op.f('uq_compensation_schedules_code'))
    )
    with op.batch_alter_table('compensation_schedules', schema=None) as batch_op:
        batch_op.create_index('ix_compensation_schedules_region_status', ['region_id', 'status', 'effective_from'], unique=False)
    op.create_table('claim_valuations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=True, comment='the survey whose verified losses were valued'),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False, comment='the most specific schedule used'),
    sa.Column('schedule_ids', sa.JSON(), nullable=False, comment='every schedule used, most specific first'),
    sa.Column('input_snapshot', sa.JSON(), nullable=False, comment='the engine input: verified losses, dates, household history'),
    sa.Column('result', sa.JSON(), nullable=False, comment='the engine output: lines with rule text, reasons'),
    sa.Column('computed_total', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False, comment="after the officers' adjustments"),
    sa.Column('reason', sa.Text(), nullable=True, comment='why it was recomputed'),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('computed_by_id', sa.Integer(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True, comment='set by the value step; no change after it'),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_valuations_claim_id_claims')),
    sa.ForeignKeyConstraint(['computed_by_id'], ['users.id'], name=op.f('fk_claim_valuations_computed_by_id_users')),
    sa.ForeignKeyConstraint(['schedule_id'], ['compensation_schedules.id'], name=op.f('fk_claim_valuations_schedule_id_compensation_schedules')),
    sa.ForeignKeyConstraint(['survey_id'], ['field_surveys.id'], name=op.f('fk_claim_valuations_survey_id_field_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_valuations')),
    sa.UniqueConstraint('claim_id', 'version', name=op.f('uq_claim_valuations_claim_id_version'))
    )
    with op.batch_alter_table('claim_valuations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_valuations_claim_id'), ['claim_id'], unique=False)
    op.create_table('valuation_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('valuation_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.String(length=40), nullable=False),
    sa.Column('original_amount', sa.BigInteger(), nullable=False, comment="the line's amount before this adjustment"),
    sa.Column('adjusted_amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('adjusted_by_id', sa.Integer(), nullable=False),
    sa.Column('adjusted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('adjusted_amount >= 0', name=op.f('ck_valuation_adjustments_adjusted_nonnegative')),
    sa.ForeignKeyConstraint(['adjusted_by_id'], ['users.id'], name=op.f('fk_valuation_adjustments_adjusted_by_id_users')),
    sa.ForeignKeyConstraint(['valuation_id'], ['claim_valuations.id'], name=op.f('fk_valuation_adjustments_valuation_id_claim_valuations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_valuation_adjustments'))
    )
    with op.batch_alter_table('valuation_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_valuation_adjustments_valuation_id'), ['valuation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('valuation_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_valuation_adjustments_valuation_id'))
    op.drop_table('valuation_adjustments')
    with op.batch_alter_table('claim_valuations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_valuations_claim_id'))
    op.drop_table('claim_valuations')
    with op.batch_alter_table('compensation_schedules', schema=None) as batch_op:
        batch_op.drop_index('ix_compensation_schedules_region_status')
    op.drop_table('compensation_schedules')
    with op.batch_alter_table('reference_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_prices_region_id'))
    op.drop_table('reference_prices')
    with op.batch_alter_table('base_incomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_base_incomes_region_id'))
    op.drop_table('base_incomes')
