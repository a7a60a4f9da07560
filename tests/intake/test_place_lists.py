"""The filing form's county, township and village lists at a province's scale: the page lists only the chosen county's
townships and the chosen township's villages, and the rest comes once, as the place tree (/places.js) that the phone
keeps, so a villager's form stays small with 24,000 villages in the database."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from flask import Flask
from sqlalchemy import insert, select

from claims.extensions import db
from claims.intake.models import Claim
from claims.regions.models import Region, RegionLevel
from tests.factories import NAN_COUNTY, SANXIANHU, SANXIANHU_VILLAGE, VILLAGER, YANTANG, config, open_form, parse_form, region_id, says

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
    assert '<script src="/places.js" async></script>' in page  # the page does not wait for the tree


def save_places(app: Flask, client, county: str | None, township: str | None):  # type: ignore[no-untyped-def]
    """Press "Save draft" on a new form with only these places chosen (as a phone without JavaScript does)."""
    form = open_form(client)
    data = {"csrf_token": form.value("csrf_token"), "submission_key": form.value("submission_key"), "action": "save"}
    data |= {"county_id": str(region_id(app, county))} if county else {}
    data |= {"township_id": str(region_id(app, township))} if township else {}
    return client.post("/claims/new", data=data)


def children(app: Flask, code: str) -> list[str]:
    parent = region_id(app, code)
    with app.app_context():
        return [str(i) for i in db.session.execute(select(Region.id).where(Region.parent_id == parent, Region.active).order_by(Region.code)).scalars()]


def test_saving_a_county_then_its_township_lists_the_next_places_and_keeps_them_in_the_draft(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    add_counties(app)
    client = as_user(VILLAGER)

    saved = save_places(app, client, NAN_COUNTY, None)
    assert saved.status_code == 302, saved.status_code  # a county alone is kept: no error
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert options(page, "township_id") == children(app, NAN_COUNTY) and options(page, "village_id") == []

    saved = save_places(app, client, NAN_COUNTY, SANXIANHU)
    assert saved.status_code == 302, saved.status_code
    draft_id = int(saved.headers["Location"].split("/")[2])
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert options(page, "township_id") == children(app, NAN_COUNTY)
    assert options(page, "village_id") == children(app, SANXIANHU) and str(region_id(app, SANXIANHU_VILLAGE)) in options(page, "village_id")
    assert "测试村" not in page
    places = (region_id(app, NAN_COUNTY), region_id(app, SANXIANHU), None)
    with app.app_context():
        draft = db.session.get(Claim, draft_id)
        assert (draft.county_id, draft.township_id, draft.village_id) == places


def test_a_submission_without_the_village_is_still_refused_on_the_village(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    form = open_form(client)
    data = {"csrf_token": form.value("csrf_token"), "submission_key": form.value("submission_key"), "action": "submit"}
    data |= {"county_id": str(region_id(app, NAN_COUNTY)), "township_id": str(region_id(app, SANXIANHU))}
    response = client.post("/claims/new", data=data)
    assert response.status_code == 422
    shown = parse_form(response.get_data(as_text=True))
    assert says(app, " ".join(shown.errors.get("village_id", [])), "Choose the village.")


def test_a_township_of_another_county_stays_chosen_with_its_error(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(VILLAGER)
    response = save_places(app, client, NAN_COUNTY, YANTANG)  # 严塘镇 lies in 茶陵县
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    shown = parse_form(page)
    assert shown.value("township_id") == str(region_id(app, YANTANG))
    assert says(app, " ".join(shown.errors.get("village_id", [])), "The township is not in the chosen county. Please choose again.")
    assert options(page, "township_id") == [*children(app, NAN_COUNTY), str(region_id(app, YANTANG))]


def test_a_clerks_form_starts_in_the_clerks_county(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    add_counties(app)
    page = as_user("clerk").get("/claims/new").get_data(as_text=True)
    assert options(page, "county_id") == [str(region_id(app, NAN_COUNTY))]
    assert re.search(rf'<option value="{region_id(app, NAN_COUNTY)}"[^>]* selected>', page)
    assert options(page, "township_id") == children(app, NAN_COUNTY)


def test_the_place_tree_holds_what_the_lists_hold_for_anyone_and_is_asked_again_cheaply(app: Flask) -> None:
    add_counties(app)
    with app.app_context():  # made a village inactive: it and only it leaves the tree
        gone = db.session.execute(select(Region).where(Region.code == SANXIANHU_VILLAGE)).scalar_one()
        gone.active = False
        gone_id = gone.id
        db.session.commit()
    client = app.test_client()  # region names are public: a form kept on the phone loads them logged out too

    response = client.get("/places.js")

    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    arrived = ';self.dispatchEvent(new Event("claims-places"));\n'  # the form's script waits for it (async)
    assert script.startswith("self.claimsPlaces=") and script.endswith(arrived)
    tree = json.loads(script.removeprefix("self.claimsPlaces=").removesuffix(arrived))
    with app.app_context():  # from the table itself: active places under active parents, by code
        rows = db.session.execute(select(Region.id, Region.parent_id, Region.name, Region.level, Region.active).order_by(Region.code)).all()
    active = {r.id for r in rows if r.active}
    villages: dict[str, list[list[object]]] = {}
    for r in rows:
        if r.level == RegionLevel.VILLAGE and r.active and r.parent_id in active:
            villages.setdefault(str(r.parent_id), []).append([r.id, r.name])
    assert tree["villages"] == villages
    with_villages = {r.parent_id for r in rows if str(r.id) in villages}
    townships: dict[str, list[list[object]]] = {}
    for r in rows:
        if r.level == RegionLevel.TOWNSHIP and r.active and r.parent_id in active and r.parent_id in with_villages:
            townships.setdefault(str(r.parent_id), []).append([r.id, r.name])
    assert tree["townships"] == townships
    assert sum(str(v[1]).startswith("测试村") for listed in tree["villages"].values() for v in listed) == COUNTIES * TOWNSHIPS * VILLAGES
    assert not any(v[0] == gone_id for listed in tree["villages"].values() for v in listed)
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
    digest = base64.b64encode(hashlib.sha256(after.get_data()).digest()).decode()
    assert f'"integrity": "sha256-{digest}"' in worker_after.replace('":"', '": "')  # a copy from an older tree is refused


def test_the_tree_is_read_once_while_it_is_fresh(app: Flask) -> None:
    client = app.test_client()
    first = client.get("/places.js").headers["ETag"]
    with app.app_context():
        db.session.execute(select(Region).where(Region.code == SANXIANHU_VILLAGE)).scalar_one().active = False
        db.session.commit()
    assert client.get("/places.js").headers["ETag"] == first  # kept for PLACE_TREE_SECONDS (60 s)
    with config(app, PLACE_TREE_SECONDS=0):
        assert client.get("/places.js").headers["ETag"] != first
