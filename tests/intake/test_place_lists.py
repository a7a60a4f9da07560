"""The filing form's county, township and village lists at a province's scale: the page lists only the chosen county's
townships and the chosen township's villages, and the rest comes once, as the place tree (/places.js) that the phone
keeps, so a villager's form stays small with 24,000 villages in the database."""

from __future__ import annotations

import json
import re

from flask import Flask
from sqlalchemy import insert, select

from claims.extensions import db
from claims.regions.models import Region, RegionLevel
from claims.regions.services import PlacePicker
from tests.factories import NAN_COUNTY, SANXIANHU, SANXIANHU_VILLAGE, VILLAGER, config, open_form, region_id

COUNTIES, TOWNSHIPS, VILLAGES = 30, 10, 40  # 12,000 villages more, half a province's


def add_counties(app: Flask) -> None:
    """COUNTIES counties beside 南县, each with TOWNSHIPS townships of VILLAGES villages (names 测试村<n>)."""
    with app.app_context():
        nan = db.session.execute(select(Region).where(Region.code == NAN_COUNTY)).scalar_one()
        prefecture = nan.path.rsplit("/", 1)[0]
        counties = [f"4398{c:02d}" for c in range(COUNTIES)]
        county = {"level": RegionLevel.COUNTY, "parent_id": nan.parent_id, "active": True}
        db.session.execute(insert(Region), [{**county, "code": c, "name": f"测试县{c}", "path": f"{prefecture}/{c}"} for c in counties])
        ids = dict(db.session.execute(select(Region.code, Region.id).where(Region.code.in_(counties))).all())
        townships = {f"{c}{t:03d}": c for c in counties for t in range(TOWNSHIPS)}
        db.session.execute(
            insert(Region),
            [
                {"code": t, "name": f"测试镇{t}", "level": RegionLevel.TOWNSHIP, "parent_id": ids[c], "path": f"{prefecture}/{c}/{t}", "active": True}
                for t, c in townships.items()
            ],
        )
        ids = dict(db.session.execute(select(Region.code, Region.id).where(Region.code.in_(townships))).all())
        db.session.execute(
            insert(Region),
            [
                {
                    "code": f"{t}{v:03d}",
                    "name": f"测试村{t}{v:03d}",
                    "level": RegionLevel.VILLAGE,
                    "parent_id": ids[t],
                    "path": f"{prefecture}/{c}/{t}/{t}{v:03d}",
                    "active": True,
                }
                for t, c in townships.items()
                for v in range(VILLAGES)
            ],
        )
        db.session.commit()


def options(page: str, select_id: str) -> list[str]:
    match = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
    assert match, select_id
    return re.findall(r'<option value="(\d+)"', match.group(0))[1:]  # without "—"


def test_a_villagers_form_lists_the_counties_but_no_village_until_one_is_chosen(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    add_counties(app)
    client = as_user(VILLAGER)

    page = client.get("/claims/new").get_data(as_text=True)

    assert len(page.encode()) < 60_000, len(page.encode())  # 868 KB before, with every village listed
    assert "测试村" not in page and "测试镇" not in page
    assert len(options(page, "county_id")) == COUNTIES + 2  # with 南县 and 茶陵县
    assert options(page, "township_id") == [] and options(page, "village_id") == []
    assert '<script src="/places.js"></script>' in page


def test_a_drafts_form_lists_its_countys_townships_and_its_townships_villages(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    add_counties(app)
    client = as_user(VILLAGER)
    form = open_form(client)
    response = client.post(
        "/claims/new",
        data={
            "csrf_token": form.value("csrf_token"),
            "submission_key": form.value("submission_key"),
            "county_id": str(region_id(app, NAN_COUNTY)),
            "township_id": str(region_id(app, SANXIANHU)),
            "action": "save",
        },
    )
    assert response.status_code in (302, 422), response.status_code
    page = response.get_data(as_text=True) if response.status_code == 422 else client.get(response.headers["Location"]).get_data(as_text=True)

    with app.app_context():
        nan, sanxianhu = region_id(app, NAN_COUNTY), region_id(app, SANXIANHU)
        townships = db.session.execute(select(Region.id).where(Region.parent_id == nan, Region.active).order_by(Region.code)).scalars().all()
        villages = db.session.execute(select(Region.id).where(Region.parent_id == sanxianhu, Region.active).order_by(Region.code)).scalars().all()
    assert options(page, "township_id") == [str(i) for i in townships]
    assert options(page, "village_id") == [str(i) for i in villages]
    assert str(region_id(app, SANXIANHU_VILLAGE)) in options(page, "village_id")
    assert "测试村" not in page


def test_the_place_tree_holds_what_the_lists_hold_for_anyone_and_is_asked_again_cheaply(app: Flask) -> None:
    add_counties(app)
    client = app.test_client()  # region names are public: a form kept on the phone loads them logged out too

    response = client.get("/places.js")

    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    assert script.startswith("self.claimsPlaces=") and script.endswith(";\n")
    tree = json.loads(script.removeprefix("self.claimsPlaces=").removesuffix(";\n"))
    with app.app_context():
        picker = PlacePicker()
        expected_townships = {str(c.id): [[t.id, t.name] for t in picker.townships if t.parent_id == c.id] for c in picker.counties}
        expected_villages = {str(t.id): [[v.id, v.name] for v in picker.villages if v.parent_id == t.id] for t in picker.townships}
    assert tree["townships"] == {k: v for k, v in expected_townships.items() if v}
    assert tree["villages"] == {k: v for k, v in expected_villages.items() if v}
    assert sum(len(v) for v in tree["villages"].values()) >= COUNTIES * TOWNSHIPS * VILLAGES
    etag = response.headers["ETag"]
    again = client.get("/places.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_village_made_inactive_leaves_the_tree_and_the_service_worker_fetches_the_new_one(app: Flask) -> None:
    client = app.test_client()
    with config(app, PLACE_TREE_SECONDS=0):  # read again on every request (the default keeps it 60 s)
        before = client.get("/places.js").get_data(as_text=True)
        worker_before = client.get("/sw.js").get_data(as_text=True)
        with app.app_context():
            village = db.session.execute(select(Region).where(Region.code == SANXIANHU_VILLAGE)).scalar_one()
            village.active = False
            name, village_id = village.name, village.id
            db.session.commit()
        after = client.get("/places.js")
        worker_after = client.get("/sw.js").get_data(as_text=True)

    assert f'[{village_id},"{name}"]' in before and f'[{village_id},"{name}"]' not in after.get_data(as_text=True)
    revision = after.headers["ETag"].strip('"')
    assert f'"revision": "{revision}"' in worker_after.replace('":"', '": "') and revision not in worker_before


def test_the_tree_is_read_once_while_it_is_fresh(app: Flask) -> None:
    client = app.test_client()
    first = client.get("/places.js").headers["ETag"]
    with app.app_context():
        db.session.execute(select(Region).where(Region.code == SANXIANHU_VILLAGE)).scalar_one().active = False
        db.session.commit()
    assert client.get("/places.js").headers["ETag"] == first  # kept for PLACE_TREE_SECONDS (60 s)
    with config(app, PLACE_TREE_SECONDS=0):
        assert client.get("/places.js").headers["ETag"] != first
