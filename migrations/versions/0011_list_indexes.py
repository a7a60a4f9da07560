"""Indexes in the order of each list page's scope and sort key, so a page reads its rows from an index, not a scan and a sort.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 04:10:00

"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# name, table, columns: the same as the models' __table_args__ (tests/core/test_migrations.py compares them).
INDEXES = [
    ("ix_claims_county_id", "claims", ["county_id", "id"]),  # a county's claims, newest first
    ("ix_claims_township_id", "claims", ["township_id", "id"]),  # a township's claims, newest first
    ("ix_claims_county_due", "claims", ["county_id", "due_at", "id"]),  # a county's overdue list and queues
    ("ix_claims_township_due", "claims", ["township_id", "due_at", "id"]),  # a township's overdue list and queues
    ("ix_claims_county_status_due", "claims", ["county_id", "status", "due_at", "township_id"]),  # overdue counts, from the index
    ("ix_claims_township_status_due", "claims", ["township_id", "status", "due_at"]),  # a township's overdue count
    ("ix_notifications_user_id", "notifications", ["user_id", "id"]),  # a user's notices, newest first
    ("ix_payments_status_id", "payments", ["status", "id"]),  # payments waiting for a batch
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
