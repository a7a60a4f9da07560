"""`flask uploads sweep`: only files that no row refers to are orphans (photos and issued documents alike)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from claims.core.storage import get_storage
from claims.documents.models import IssuedDocument
from claims.documents.services import document_bytes
from claims.extensions import db
from claims.intake.models import Photo
from tests.factories import advance
from tests.workflow.conftest import file_claim


@pytest.fixture(params=["local", "s3"])
def any_app(request: pytest.FixtureRequest) -> Flask:
    return request.getfixturevalue("app" if request.param == "local" else "s3_app")


def test_the_sweep_removes_only_orphans_and_keeps_photos_and_documents(any_app: Flask) -> None:
    with any_app.app_context():
        advance(file_claim(seed=61), "accepted")  # two photos (three copies each) and the receipt
        db.session.commit()
        orphan = get_storage().put(b"left by a crash between write and commit", ".jpg")
    # A grace of -1 hour: every file counts as old enough, so the rows alone decide.
    dry = any_app.test_cli_runner().invoke(args=["uploads", "sweep", "--grace-hours", "-1"])
    assert dry.exit_code == 0 and dry.output.splitlines()[0] == f"orphan {orphan}", dry.output
    assert "1 orphaned file(s)" in dry.output
    done = any_app.test_cli_runner().invoke(args=["uploads", "sweep", "--grace-hours", "-1", "--delete"])
    assert done.exit_code == 0 and f"removed {orphan}" in done.output
    with any_app.app_context():
        storage = get_storage()
        assert not storage.exists(orphan)
        for item in db.session.execute(select(Photo)).scalars():
            assert all(storage.exists(k) for k in (item.original_key, item.display_key, item.thumb_key))
        (receipt,) = db.session.execute(select(IssuedDocument)).scalars()
        assert document_bytes(receipt)
