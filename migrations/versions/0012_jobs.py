"""Background jobs; an issued document is recorded by its step and stored by a job (file, hash and size may wait).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 04:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

STORED_TOGETHER = (
    "(stored_at IS NULL) = (storage_key IS NULL) AND (stored_at IS NULL) = (sha256 IS NULL) AND (stored_at IS NULL) = (size_bytes IS NULL)"
)


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False, comment="the job table's name for the function (claims/jobs.py)"),
        sa.Column("key", sa.String(length=120), nullable=False, comment="one job per key: enqueuing it again returns this job"),
        sa.Column("args", sa.JSON(), nullable=False, comment="ids and storage keys only, no personal data"),
        sa.Column(
            "status",
            sa.Enum("queued", "running", "done", "failed", name="jobstatus", native_enum=False, length=10, create_constraint=True),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="runs started so far"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True, comment="not run before this time (back-off); null: at once"),
        sa.Column("last_error", sa.String(length=200), nullable=True, comment="the last failure: the error's type and our own short text"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_jobs_key")),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.create_index("ix_jobs_status_id", ["status", "id"], unique=False)
        batch.create_index("ix_jobs_due", ["status", "next_attempt_at"], unique=False)
    with op.batch_alter_table("issued_documents") as batch:
        batch.add_column(sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True, comment="when the job stored the PDF; null while it is being prepared"))
    # Documents issued before were rendered by their step: stored when issued.
    op.execute("UPDATE issued_documents SET stored_at = issued_at")
    with op.batch_alter_table("issued_documents") as batch:
        batch.alter_column("sha256", existing_type=sa.String(length=64), nullable=True, comment="of the stored PDF bytes; null while being prepared")
        batch.alter_column("storage_key", existing_type=sa.String(length=80), nullable=True)
        batch.alter_column("size_bytes", existing_type=sa.Integer(), nullable=True)
        batch.create_check_constraint("stored_together", STORED_TOGETHER)


def downgrade():
    # A document still being prepared already has its number (gap-free) and its audit entry: it is never deleted
    # to make the old schema fit. Refuse instead; `flask jobs work --burst` or `flask jobs retry-due` stores it.
    waiting = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM issued_documents WHERE stored_at IS NULL")).scalar_one()
    if waiting:
        raise RuntimeError(f"{waiting} issued documents are still being prepared: run the jobs (flask jobs retry-due) before downgrading")
    with op.batch_alter_table("issued_documents") as batch:
        batch.drop_constraint("stored_together", type_="check")
        batch.alter_column("size_bytes", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("storage_key", existing_type=sa.String(length=80), nullable=False)
        batch.alter_column("sha256", existing_type=sa.String(length=64), nullable=False, comment="of the stored PDF bytes")
        batch.drop_column("stored_at")
    op.drop_table("jobs")
