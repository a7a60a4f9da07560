"""The incident map (claims/reports/map.py, /reports/map): points per role and scope, ids only where the reader may
open the claim, the filters, bad input, the cap, the tiles and the CSP.

The fixture, filed through the real services (incident times relative to now; the periods asked for are the
local dates computed here):
- N1: 南县 三仙湖镇 (clerk's township), wild boar, 2 days ago, filed at (29.30001, 112.40002); submitted;
- N2: 南县 茅草街镇 (clerk2's township), rhesus macaque (猕猴), 10 days ago, filed at (29.31, 112.41); accepted;
- N3: 南县 三仙湖镇, wild boar, 40 days ago, filed without a position; surveyed on site at (29.32, 112.42);
- C1: 茶陵县 严塘镇, wild boar, 2 days ago, filed at (26.79, 113.54); submitted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import and_

from claims.accounts.models import Role
from claims.accounts.services import find_user
from claims.config import load_config
from claims.core.time import local_today, to_local, utcnow
from claims.extensions import db
from claims.intake import review
from claims.intake.models import Claim
from claims.reports import map as incident_map
from claims.reports.map import MapFilter, map_points
from claims.reports.permissions import MapScope
from claims.reports.services import Period
from claims.reports.tiles import tile_origins
from claims.workflow.states import ClaimStatus
from tests.conftest import DEMO_PASSWORD, login
from tests.factories import (
    CHALING_COUNTY,
    MAOCAOJIE_VILLAGE,
    NAN_COUNTY,
    SANXIANHU,
    SANXIANHU_VILLAGE,
    YANTANG_VILLAGE,
    advance,
    config,
    file_claim,
    new_staff,
    survey_input,
)
from tests.workflow.conftest import region

TILE_URL = "https://tiles.gis.example.gov.cn/vec/{z}/{x}/{y}.png"


@dataclass
class World:
    ids: dict[str, int]
    numbers: dict[str, str]
    n1_day: date  # N1's local incident date


@pytest.fixture
def world(app: Flask) -> World:
    now = utcnow()
    with app.app_context():
        n1 = file_claim("13800000001", village=SANXIANHU_VILLAGE, incident_utc=now - timedelta(days=2), gps=(29.30001, 112.40002))
        n2 = file_claim("clerk2", village=MAOCAOJIE_VILLAGE, species="rhesus_macaque", incident_utc=now - timedelta(days=10), gps=(29.31, 112.41))
        n3 = file_claim("clerk", village=SANXIANHU_VILLAGE, incident_utc=now - timedelta(days=40))
        c1 = file_claim("13800000002", village=YANTANG_VILLAGE, incident_utc=now - timedelta(days=2), gps=(26.79, 113.54), name="李秀英", mobile="13800000002")
        db.session.commit()
        review.accept_claim(n2, actor=find_user("officer"))  # clerk2 filed it: a county officer takes it in
        advance(n3, "surveyed", survey=survey_input(n3, gps_lat=29.32, gps_lon=112.42))
        new_staff(login="admin_cl", name="茶陵县管理员", role=Role.ADMIN, region=region(CHALING_COUNTY), password=DEMO_PASSWORD)
        db.session.commit()
        n3.status  # noqa: B018 -- loaded before the session closes
        claims = {"n1": n1, "n2": n2, "n3": n3, "c1": c1}
        ids = {key: c.id for key, c in claims.items()}
        numbers = {key: c.number for key, c in claims.items()}
        assert db.session.get(Claim, ids["n3"]).status == ClaimStatus.SURVEYED
        day = to_local(n1.incident_at).date()
    return World(ids, numbers, day)


def client_as(app: Flask, login_name: str) -> FlaskClient:
    client = app.test_client()
    login(client, login_name)
    return client


def wide(**more: str) -> dict[str, str]:
    """A period that holds every claim of the fixture (the last 60 days)."""
    today = local_today()
    return {"date_from": (today - timedelta(days=59)).isoformat(), "date_to": today.isoformat(), **more}


def points(client: FlaskClient, **args: str) -> dict:  # type: ignore[type-arg]
    response = client.get("/reports/map/points", query_string=args or wide())
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json" and response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def ids_of(answer: dict) -> tuple[set[int], set[int]]:  # type: ignore[type-arg]
    return {p[2] for p in answer["incidents"]}, {p[2] for p in answer["surveys"]}


# --- who sees which points ----------------------------------------------------------------------------


def test_a_county_approver_sees_their_countys_points_and_never_anothers(app: Flask, world: World) -> None:
    answer = points(client_as(app, "approver"))
    i = world.ids
    assert sorted(answer["incidents"], key=lambda p: p[2]) == sorted(
        [[29.30001, 112.40002, i["n1"], "wild_boar"], [29.31, 112.41, i["n2"], "rhesus_macaque"]], key=lambda p: p[2]
    )
    assert answer["capped"] is False and answer["limit"] == 50_000
    assert ids_of(answer)[1] == {i["n3"]}  # N3's only point is where the surveyors stood
    chaling = points(client_as(app, "approver_cl"))
    assert chaling["incidents"] == [[26.79, 113.54, i["c1"], "wild_boar"]] and chaling["surveys"] == []


def test_the_survey_point_is_the_surveyors_own(app: Flask, world: World) -> None:
    """survey_input's default position is none: record one on a fourth claim's survey and find it."""
    with app.app_context():
        claim = file_claim("13800000001", village=SANXIANHU_VILLAGE, gps=(29.29, 112.39))
        db.session.commit()
        advance(claim, "surveyed", survey=survey_input(claim, gps_lat=29.28765432, gps_lon=112.38123456))
        db.session.commit()
        claim_id = claim.id
    answer = points(client_as(app, "officer"))
    assert [29.29, 112.39, claim_id, "wild_boar"] in answer["incidents"]
    assert [29.28765, 112.38123, claim_id, "wild_boar"] in answer["surveys"]  # rounded to 5 decimals


@pytest.mark.parametrize(
    "login_name,expected",
    [
        ("clerk", {"n1", "n3"}),  # 三仙湖镇 only
        ("clerk2", {"n2"}),  # 茅草街镇 only
        ("officer", {"n1", "n2", "n3"}),
        ("clerk_cl", {"c1"}),
        ("officer_cl", {"c1"}),
        ("admin", {"n1", "n2", "n3", "c1"}),  # the province's administrator
        ("admin_cl", {"c1"}),  # 茶陵县's administrator (made by the fixture)
    ],
)
def test_each_staff_role_sees_its_scope_and_may_open_every_point_it_gets(app: Flask, world: World, login_name: str, expected: set[str]) -> None:
    client = client_as(app, login_name)
    incidents, surveys = ids_of(points(client))
    assert incidents | surveys == {world.ids[key] for key in expected}
    for claim_id in incidents | surveys:
        assert client.get(f"/claims/{claim_id}").status_code == 200
        assert client.get(f"/reports/map/claims/{claim_id}").status_code == 200
    for key in world.ids.keys() - expected:
        assert client.get(f"/reports/map/claims/{world.ids[key]}").status_code == 404


@pytest.mark.parametrize("login_name", ["13800000001", "13800000002", "insurer"])
def test_villagers_and_insurers_have_no_map(app: Flask, world: World, login_name: str) -> None:
    client = client_as(app, login_name)
    assert client.get("/reports/map").status_code == 404
    assert client.get("/reports/map/points").status_code == 404
    assert client.get(f"/reports/map/claims/{world.ids['n1']}").status_code == 404


def test_anonymous_goes_to_the_login_page(app: Flask, world: World) -> None:
    response = app.test_client().get("/reports/map/points")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_point_outside_what_the_reader_may_open_has_no_id(app: Flask, world: World) -> None:
    """With today's roles the map's scope and the claims a reader may open coincide (every id is present, above);
    the id comes from the second rule, so a scope wider than it gives points without ids: a township's opens only."""
    with app.app_context():
        nan, sanxianhu = region(NAN_COUNTY), region(SANXIANHU)
        scope = MapScope(claims=and_(Claim.county_id == nan.id, Claim.number.is_not(None)), opens=Claim.township_id == sanxianhu.id, region=nan)
        today = local_today()
        answer = map_points(scope, MapFilter(Period(today - timedelta(days=59), today), None, None))
    i = world.ids
    assert {p[2] for p in answer.incidents} == {i["n1"], None} and [p[2] for p in answer.surveys] == [i["n3"]]
    assert [29.31, 112.41, None, "rhesus_macaque"] in answer.incidents


def test_a_points_popup_names_the_claim(app: Flask, world: World) -> None:
    info = client_as(app, "approver").get(f"/reports/map/claims/{world.ids['n1']}").get_json()
    assert info == {"number": world.numbers["n1"], "species": "野猪", "date": world.n1_day.isoformat(), "url": f"/claims/{world.ids['n1']}"}
    assert client_as(app, "approver_cl").get(f"/reports/map/claims/{world.ids['n1']}").status_code == 404
    assert client_as(app, "approver").get("/reports/map/claims/999999").status_code == 404


# --- filters ------------------------------------------------------------------------------------------


def test_the_period_is_of_the_incident_date(app: Flask, world: World) -> None:
    client, i = client_as(app, "approver"), world.ids
    only_n1 = points(client, date_from=world.n1_day.isoformat(), date_to=world.n1_day.isoformat())
    assert ids_of(only_n1) == ({i["n1"]}, set())
    before = points(client, date_from=(world.n1_day - timedelta(days=30)).isoformat(), date_to=(world.n1_day - timedelta(days=1)).isoformat())
    assert ids_of(before) == ({i["n2"]}, set())
    # The default: the last 90 days up to today, which hold all three.
    assert ids_of(points(client, species="")) == ({i["n1"], i["n2"]}, {i["n3"]})


def test_species_and_status_filters(app: Flask, world: World) -> None:
    client, i = client_as(app, "approver"), world.ids
    assert ids_of(points(client, **wide(species="rhesus_macaque"))) == ({i["n2"]}, set())
    assert ids_of(points(client, **wide(species="wild_boar"))) == ({i["n1"]}, {i["n3"]})
    assert ids_of(points(client, **wide(status="accepted"))) == ({i["n2"]}, set())
    assert ids_of(points(client, **wide(status="surveyed", species="wild_boar"))) == (set(), {i["n3"]})
    assert ids_of(points(client, **wide(status="approved"))) == (set(), set())


@pytest.mark.parametrize(
    "args,field,message",
    [
        ({"date_from": "2026-13-01"}, "date_from", "日期"),
        ({"date_from": "2026-03-01", "date_to": "2026-02-01"}, "date_to", "截止"),
        ({"date_from": "2024-01-01", "date_to": "2026-01-01"}, "date_to", "366"),
        ({"species": "dragon"}, "species", None),
        ({"status": "draft"}, "status", None),
        ({"status": "x" * 500}, "status", None),
        ({"date_to": "9999-99-99\x00"}, "date_to", None),
    ],
)
def test_bad_filters_are_a_clear_422(app: Flask, world: World, args: dict[str, str], field: str, message: str | None) -> None:
    client = client_as(app, "approver")
    response = client.get("/reports/map/points", query_string=args)
    assert response.status_code == 422 and response.mimetype == "application/json"
    errors = response.get_json()["errors"]
    assert list(errors) == [field] and re.search(r"[\u4e00-\u9fff]", errors[field][0]), errors
    if message:
        assert message in errors[field][0], errors
    page = client.get("/reports/map", query_string=args)
    assert page.status_code == 422 and errors[field][0] in page.get_data(as_text=True)


# --- the table beside the map -------------------------------------------------------------------------


def table_rows(html: str) -> list[list[str]]:
    body = html.split('<table class="map-counts">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def test_the_table_counts_claims_per_township_and_animal(app: Flask, world: World) -> None:
    html = client_as(app, "approver").get("/reports/map", query_string=wide()).get_data(as_text=True)
    # Townships by code: 茅草街镇 430921127 before 三仙湖镇 430921128; N1 and N3 are 三仙湖镇's two wild-boar claims,
    # both on the map (N3 by its survey point).
    assert table_rows(html) == [
        ["乡镇", "动物", "申请数", "在地图上"],
        ["茅草街镇", "猕猴", "1", "1"],
        ["三仙湖镇", "野猪", "2", "2"],
        ["合计", "3", "3"],
    ]
    only_n1 = client_as(app, "approver").get("/reports/map", query_string={"date_from": world.n1_day.isoformat(), "date_to": world.n1_day.isoformat()})
    assert table_rows(only_n1.get_data(as_text=True))[1:] == [["三仙湖镇", "野猪", "1", "1"], ["合计", "1", "1"]]


# --- the cap ------------------------------------------------------------------------------------------


def test_the_cap_keeps_the_newest_and_says_so(app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(incident_map, "POINT_LIMIT", 2)
    client = client_as(app, "approver")
    answer = points(client)
    # The newest two by incident time: N1 (2 days ago) and N2 (10 days ago); N3 (40 days ago) is left out.
    assert answer["capped"] is True and answer["limit"] == 2
    assert ids_of(answer) == ({world.ids["n1"], world.ids["n2"]}, set())
    html = client.get("/reports/map", query_string=wide()).get_data(as_text=True)
    assert "3 起申请有位置" in html and "只显示最近的 2 起" in html
    monkeypatch.setattr(incident_map, "POINT_LIMIT", 3)
    assert points(client)["capped"] is False
    assert "只显示最近的" not in client.get("/reports/map", query_string=wide()).get_data(as_text=True)


# --- tiles, CSP and what the page loads -----------------------------------------------------------------


def page_data(html: str) -> dict:  # type: ignore[type-arg]
    """What static/js/map.js reads: the page's JSON block."""
    found = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', html, re.S)
    assert found, "no #map-data block"
    return json.loads(found.group(1))


def test_without_tiles_the_page_names_no_outside_address(app: Flask, world: World) -> None:
    response = client_as(app, "approver").get("/reports/map")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert not re.search(r"(?:https?:)?//[A-Za-z0-9-]+\.[A-Za-z]", html), re.findall(r".{40}(?:https?:)?//[A-Za-z0-9-]+\.[A-Za-z].{40}", html)
    assert "img-src 'self' data: blob:;" in response.headers["Content-Security-Policy"]
    data = page_data(html)
    assert data["tiles"] == [] and "没有配置底图" in html
    # The county's centre, with its name, is what the map shows offline (its townships have none in the data).
    assert data["places"] == [[29.3623, 112.3963, "南县", "county"]]
    assert data["points"].startswith("/reports/map/points") and data["claim"] == "/reports/map/claims/"
    for asset in ("vendor/leaflet/leaflet.js", "vendor/leaflet.markercluster/leaflet.markercluster.js", "vendor/leaflet.heat/leaflet-heat.js", "js/map.js"):
        assert f'<script src="/static/{asset}"></script>' in html
    assert "<script>" not in html and "style=" not in html


def test_a_configured_tile_server_is_in_the_page_and_the_csp(app: Flask, world: World) -> None:
    with config(app, MAP_TILE_URL=TILE_URL, MAP_TILE_ATTRIBUTION="湖南省自然资源厅"):
        response = client_as(app, "approver").get("/reports/map")
    csp = response.headers["Content-Security-Policy"]
    assert "img-src 'self' https://tiles.gis.example.gov.cn data: blob:;" in csp and "script-src 'self';" in csp and "style-src 'self';" in csp
    tiles = page_data(response.get_data(as_text=True))["tiles"]
    assert tiles == [{"url": TILE_URL, "attribution": "湖南省自然资源厅", "subdomains": "", "maxZoom": 18}]
    with config(app, TIANDITU_KEY="0123abcd"):
        response = client_as(app, "approver").get("/reports/map")
    csp = response.headers["Content-Security-Policy"]
    assert all(f"https://t{n}.tianditu.gov.cn" in csp for n in range(8))
    tiles = page_data(response.get_data(as_text=True))["tiles"]
    assert [t["url"].split("?")[0] for t in tiles] == ["https://t{s}.tianditu.gov.cn/vec_w/wmts", "https://t{s}.tianditu.gov.cn/cva_w/wmts"]
    assert all(t["url"].endswith("&tk=0123abcd") and "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}" in t["url"] and t["subdomains"] == "01234567" for t in tiles)


def test_the_csp_names_the_tile_servers_origin_only() -> None:
    assert tile_origins({"MAP_TILE_URL": "https://map:secret@tiles.example.gov.cn:8443/t/{z}/{x}/{y}.png"}) == ("https://tiles.example.gov.cn:8443",)
    assert tile_origins({"MAP_TILE_URL": "http://10.1.2.3/{z}/{x}/{y}.png", "TIANDITU_KEY": "abc"}) == ("http://10.1.2.3",)  # the URL wins
    assert tile_origins({"MAP_TILE_URL": None, "TIANDITU_KEY": None}) == ()


@pytest.mark.parametrize(
    "settings",
    [
        {"MAP_TILE_URL": "javascript:alert(1)//{z}/{x}/{y}"},
        {"MAP_TILE_URL": "https://{s}.tiles.example/{z}/{x}/{y}.png"},
        {"MAP_TILE_URL": "https://tiles.example/tile.png"},
        {"TIANDITU_KEY": "abc&tk=1"},
    ],
)
def test_a_bad_tile_setting_stops_the_start(tmp_path, settings: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError, match=r"MAP_TILE_URL|TIANDITU_KEY"):
        load_config(str(tmp_path), {"SECRET_KEY": "x", "FIELD_ENCRYPTION_KEY": "0" * 64, **settings})


def test_the_points_cost_the_same_statements_whatever_their_number(app: Flask, world: World) -> None:
    """The user's session, the species list and one statement for the points: never one per claim."""
    from tests.test_bounded_lists import counted

    client = client_as(app, "admin")
    client.get("/reports/map/points")
    with app.app_context(), counted() as few:
        client.get("/reports/map/points")
    with app.app_context():
        for n in range(5):
            file_claim("13800000001", village=SANXIANHU_VILLAGE, gps=(29.3 + n / 100, 112.4))
        db.session.commit()
    with app.app_context(), counted() as many:
        assert len(points(client)["incidents"]) == 3 + 5 + 0  # N1, N2, C1 and the five
    assert len(many) == len(few), many
