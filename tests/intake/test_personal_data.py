"""Personal data shown only where needed (quality.md 12 and 14).

The full resident ID number only through the audited "show full number" POST, for the claimant and the
staff who process the claim; insurers and administrators see names and mobiles masked; removed photos are
not served; originals are never cached; stored files and the database are readable by the app's user only.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from claims import create_app
from claims.accounts.services import find_user
from claims.extensions import db
from claims.intake import services
from claims.intake.models import Claim, Photo
from claims.workflow.models import AuditEvent
from tests.conftest import csrf_token
from tests.security.test_privacy import _file_through_the_web
from tests.security.world import FULL_ID, IDENTITIES, SEES, World, client_as, long_numbers, world_for

OWNER_NAME, OWNER_MOBILE = "张建国", "13800000001"


@pytest.fixture
def world(app: Flask) -> World:
    return world_for(app)


def _reveals(app: Flask, claim_id: int) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "identity_revealed", AuditEvent.claim_id == claim_id)).scalars().all()
        db.session.expunge_all()
        return list(events)


@pytest.mark.parametrize("role", sorted(FULL_ID["a"]))
def test_show_full_number_is_a_post_that_is_audited(app: Flask, world: World, role: str) -> None:
    client = client_as(app, role)
    claim_id = world.claims["a"]
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert IDENTITIES["a"].id_number not in page and IDENTITIES["a"].masked_id in page
    response = client.post(f"/claims/{claim_id}/identity", data={"csrf_token": csrf_token(client, f"/claims/{claim_id}")})
    assert response.status_code == 200
    assert IDENTITIES["a"].id_number in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    events = _reveals(app, claim_id)
    assert len(events) == 1 and events[0].actor_id == world.users[role] and events[0].actor_role is not None
    assert not long_numbers(repr(events[0].changes).encode())  # the event says who looked, not the number
    # The claimant can see who looked, on the claim's history.
    assert "查看了完整身份证号" in client_as(app, "owner").get(f"/claims/{claim_id}").get_data(as_text=True)


REFUSED = [("admin", "a", 403), ("insurer", "r", 403), ("clerk_cl", "a", 404), ("villager2", "a", 404), ("admin_cl", "a", 404)]


@pytest.mark.parametrize(("role", "key", "status"), REFUSED)
def test_show_full_number_is_refused_to_roles_that_may_not(app: Flask, world: World, role: str, key: str, status: int) -> None:
    client = client_as(app, role)
    claim_id = world.claims[key]
    response = client.post(f"/claims/{claim_id}/identity", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == status
    assert IDENTITIES[key].id_number not in response.get_data(as_text=True)
    assert _reveals(app, claim_id) == []


def test_show_full_number_needs_the_csrf_token_and_a_post(app: Flask, world: World) -> None:
    client = client_as(app, "clerk")
    claim_id = world.claims["a"]
    assert client.post(f"/claims/{claim_id}/identity").status_code == 400
    assert client.get(f"/claims/{claim_id}/identity").status_code == 405
    assert _reveals(app, claim_id) == []


@pytest.mark.parametrize(("role", "key"), [("insurer", "r"), ("admin", "a"), ("admin", "r")])
def test_insurers_and_administrators_see_names_and_mobiles_masked(app: Flask, world: World, role: str, key: str) -> None:
    assert role in SEES[key]
    html = client_as(app, role).get(f"/claims/{world.claims[key]}").get_data(as_text=True)
    assert OWNER_NAME not in html and OWNER_MOBILE not in html
    assert "张*国" in html and "138****0001" in html


@pytest.mark.parametrize("role", ["clerk", "officer", "approver"])
def test_staff_who_deal_with_the_claimant_see_name_and_mobile(app: Flask, world: World, role: str) -> None:
    html = client_as(app, role).get(f"/claims/{world.claims['a']}").get_data(as_text=True)
    assert OWNER_NAME in html and OWNER_MOBILE in html


def test_a_removed_photo_is_no_longer_served(app: Flask, world: World) -> None:
    owner = client_as(app, "owner")
    claim_id, photo_id = world.claims["draft_a"], world.photos["draft_a"]
    for variant in ("display", "thumb", "original"):
        assert owner.get(f"/claims/{claim_id}/photos/{photo_id}/{variant}").status_code == 200
    with app.app_context():
        claim, photo = db.session.get(Claim, claim_id), db.session.get(Photo, photo_id)
        services.remove_photo(claim, photo, actor=find_user("13800000001"))  # type: ignore[arg-type]
        db.session.commit()
        assert photo.removed_at is not None  # kept as evidence, row and files
    for variant in ("display", "thumb", "original"):
        assert owner.get(f"/claims/{claim_id}/photos/{photo_id}/{variant}").status_code == 404


def test_originals_are_never_cached_display_copies_privately(app: Flask, world: World) -> None:
    owner = client_as(app, "owner")
    base = f"/claims/{world.claims['a']}/photos/{world.photos['a']}"
    assert owner.get(f"{base}/original").headers["Cache-Control"] == "no-store"
    for variant in ("display", "thumb"):
        assert owner.get(f"{base}/{variant}").headers["Cache-Control"] == "private, max-age=3600"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_uploads_are_owner_only(app: Flask) -> None:
    _file_through_the_web(app)
    root = Path(app.config["UPLOAD_FOLDER"])
    paths = [root, *root.rglob("*")]
    assert any(p.is_file() for p in paths)
    wrong = [f"{p}: {oct(_mode(p))}" for p in paths if _mode(p) != (0o700 if p.is_dir() else 0o600)]
    assert not wrong, wrong


def test_instance_keys_and_sqlite_database_are_owner_only(tmp_path: Path) -> None:
    instance = tmp_path / "new" / "instance"
    database = tmp_path / "data" / "claims.db"
    config = {"TESTING": True, "INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "RATELIMIT_ENABLED": False}
    fresh = create_app(config)  # no SECRET_KEY or field key given: both are generated into the instance folder
    with fresh.app_context():
        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.execute(text("INSERT INTO t VALUES (1)"))
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(text("t"))).scalar_one() == 1
        companions = [Path(f"{database}{suffix}") for suffix in ("-wal", "-shm")]
        files = [instance / "secret_key", instance / "field_key", database, *[p for p in companions if p.exists()]]
        wrong = [f"{p}: {oct(_mode(p))}" for p in files if _mode(p) != 0o600]
        wrong += [f"{d}: {oct(_mode(d))}" for d in (instance, database.parent) if _mode(d) != 0o700]
        db.engine.dispose()
    assert len(files) >= 4 and not wrong, wrong
