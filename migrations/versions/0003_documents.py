"""Issued documents (decisions, notices, records, lists) and their gap-free number sequences.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-29 07:14:11.843773

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_sequences',
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('receipt', 'correction', 'not_accepted', 'survey_record', 'refusal', 'compensation', 'notice_list', 'payment_list', name='documentkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['regions.id'], name=op.f('fk_document_sequences_county_id_regions')),
    sa.PrimaryKeyConstraint('county_id', 'year', 'kind', name=op.f('pk_document_sequences'))
    )
    op.create_table('issued_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('receipt', 'correction', 'not_accepted', 'survey_record', 'refusal', 'compensation', 'notice_list', 'payment_list', name='documentkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False, comment='as printed, e.g. 南林补决〔2026〕12号'),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False, comment='gap-free per county, year and kind'),
    sa.Column('claim_id', sa.Integer(), nullable=True, comment='NULL for batch documents (notice list, payment list)'),
    sa.Column('subject', sa.String(length=100), nullable=True, comment='what a batch document is about, e.g. payment_batch:12'),
    sa.Column('version', sa.Integer(), nullable=False, comment='1, or one more than the document it replaces'),
    sa.Column('replaces_id', sa.Integer(), nullable=True, comment='each document is replaced at most once'),
    sa.Column('issuer_name', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False, comment='of the stored PDF bytes'),
    sa.Column('storage_key', sa.String(length=80), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('verification_code', sa.String(length=40), nullable=False, comment="random; the QR code's public verification link"),
    sa.Column('data', sa.JSON(), nullable=False, comment='the data the document was rendered from (also attached to the PDF)'),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(version = 1) = (replaces_id IS NULL)', name=op.f('ck_issued_documents_version_replaces')),
    sa.CheckConstraint('seq > 0 AND version > 0 AND size_bytes > 0', name=op.f('ck_issued_documents_positive')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_issued_documents_claim_id_claims')),
    sa.ForeignKeyConstraint(['county_id'], ['regions.id'], name=op.f('fk_issued_documents_county_id_regions')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_issued_documents_issued_by_id_users')),
    sa.ForeignKeyConstraint(['replaces_id'], ['issued_documents.id'], name=op.f('fk_issued_documents_replaces_id_issued_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_documents')),
    sa.UniqueConstraint('county_id', 'kind', 'year', 'seq', name=op.f('uq_issued_documents_county_id_kind_year_seq')),
    sa.UniqueConstraint('number', name=op.f('uq_issued_documents_number')),
    sa.UniqueConstraint('replaces_id', name=op.f('uq_issued_documents_replaces_id')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_issued_documents_storage_key')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_issued_documents_verification_code'))
    )
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.create_index('ix_issued_documents_claim_kind', ['claim_id', 'kind', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_documents_sha256'), ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issued_documents_sha256'))
        batch_op.drop_index('ix_issued_documents_claim_kind')

    op.drop_table('issued_documents')
    op.drop_table('document_sequences')
