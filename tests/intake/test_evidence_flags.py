"""Evidence flags a clerk can act on (issue 10, section 6), through the real filing form, services and pages.

- "far from the village" is measured from the village's own point (set by an administrator on the regions
  page), says how far, and is not raised while the village has no point: the claim page asks for it;
- "taken long after" comes from the capture time (EXIF, or the time the phone gave the file), never from
  the upload time, and never on the officer's survey photos;
- "same as a photo of another claim" names that claim, with a link, when the viewer may open it, and only
  says "another township" when not; a draft or a removed photo never raises it;
- the claim list, the start page and the to-do list show a small badge, reading a page's flags in one query.
"""

from __future__ import annotations

import json
import math
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from claims.accounts.services import find_user
from claims.core.time import local_now, utcnow
from claims.extensions import db
from claims.intake import review
from claims.intake.evidence import PHOTO_DISTANCE_KM, PHOTO_LONG_AFTER_DAYS, EvidenceFlag
from claims.intake.models import Claim, Photo, PhotoStage
from claims.intake.services import PhotoUpload
from claims.regions.models import Region
from claims.survey.models import SurveyOutcome
from claims.survey.operations import record_survey
from claims.survey.services import SurveyInput, VerifiedLineInput
from tests.conftest import login
from tests.factories import (
    MAOCAOJIE_VILLAGE,
    SANXIANHU_VILLAGE,
    VILLAGER,
    VILLAGER2,
    advance,
    claim_form,
    file_claim_http,
    localized,
    open_form,
    page_text,
    parse_form,
    photo,
    post_form,
    says,
)
from tests.intake.images import jpeg_bytes, make_exif
from tests.workflow.conftest import file_claim as file_claim_service

VILLAGE_POINT = (29.40, 112.42)  # set for 三仙湖村 by the tests that need it
ELEVEN_KM_NORTH = (29.50, 112.42)  # 0.1 degree of latitude north: 11.1 km
NEAR = (29.405, 112.421)  # half a kilometre away
BEIJING = (39.9042, 116.4074)
NAN_CENTRE = (29.3623, 112.3963)  # 南县's own point in the demo data: never used for villages


def client_for(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    login(client, name)
    return client


def photos_of(app: Flask, claim_id: int) -> list[tuple[int, PhotoStage, list[str], int | None]]:
    with app.app_context():
        rows = db.session.execute(select(Photo).where(Photo.claim_id == claim_id, Photo.removed_at.is_(None)).order_by(Photo.id)).scalars()
        return [(p.id, p.stage, list(p.flags), p.duplicate_of_id) for p in rows]


def number_of(app: Flask, claim_id: int) -> str:
    with app.app_context():
        return db.session.get(Claim, claim_id).number


def gps_jpeg(seed: int, place: tuple[float, float]) -> bytes:
    return jpeg_bytes(seed=seed, exif=make_exif(gps=place))


def set_point(app: Flask, code: str, lat: str, lon: str) -> tuple[int, str]:
    """The administrator's regions page: open a village's location form and save it."""
    admin = client_for(app, "admin")
    path = f"/admin/regions/{code}/location"
    page = parse_form(admin.get(path).get_data(as_text=True))
    response = admin.post(path, data={"csrf_token": page.csrf_token, "lat": lat, "lon": lon})
    return response.status_code, response.get_data(as_text=True)


def village_point(app: Flask, code: str) -> tuple[float | None, float | None]:
    with app.app_context():
        village = db.session.execute(select(Region).where(Region.code == code)).scalar_one()
        return village.lat, village.lon


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance, computed here independently of the app (mean Earth radius 6371.0088 km)."""
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


# --- far from the village ------------------------------------------------------------------------------


def test_no_distance_flag_without_the_villages_own_point_and_the_page_asks_for_it(app, as_user):
    # The county has a point in the demo data; a photo 1,300 km away is still not judged against it.
    claim_id = file_claim_http(app, as_user(VILLAGER), files=[photo(gps_jpeg(301, BEIJING))])
    assert photos_of(app, claim_id)[0][2] == []

    clerk_page = client_for(app, "clerk").get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'id="village-point-missing"' in clerk_page
    assert says(app, clerk_page, "%(village)s has no location yet, so the photos are not checked for their distance from the village.", village="三仙湖村")
    assert says(app, clerk_page, "Please ask the county administrator to set it.")
    admin_page = client_for(app, "admin").get(f"/claims/{claim_id}").get_data(as_text=True)
    assert f'href="/admin/regions/{SANXIANHU_VILLAGE}/location"' in admin_page
    villager_page = client_for(app, VILLAGER).get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'id="village-point-missing"' not in villager_page  # a hint for staff, not the claimant


def test_setting_the_village_point_flags_open_claims_and_says_how_far(app, as_user):
    client = as_user(VILLAGER)
    far_id = file_claim_http(app, client, files=[photo(gps_jpeg(311, BEIJING))])
    assert photos_of(app, far_id)[0][2] == []

    status, _ = set_point(app, SANXIANHU_VILLAGE, "29.40", "112.42")
    assert status == 302 and village_point(app, SANXIANHU_VILLAGE) == VILLAGE_POINT
    regions_page = client_for(app, "admin").get("/admin/regions?code=430921").get_data(as_text=True)
    assert "29.4000, 112.4200" in regions_page

    # The open claim filed before the point existed is checked again, and the page says how far.
    assert photos_of(app, far_id)[0][2] == [EvidenceFlag.FAR_FROM_VILLAGE]
    page = client_for(app, "clerk").get(f"/claims/{far_id}").get_data(as_text=True)
    assert 'id="village-point-missing"' not in page
    shown = re.search(r"(?:拍摄地点距村|taken) ([\d.]+) (?:公里|km)", page_text(page))
    assert shown and abs(float(shown.group(1)) - km_between(BEIJING, VILLAGE_POINT)) <= 0.05

    eleven = file_claim_http(app, client, files=[photo(gps_jpeg(321, ELEVEN_KM_NORTH), "a.jpg"), photo(gps_jpeg(322, NEAR), "b.jpg")])
    assert [p[2] for p in photos_of(app, eleven)] == [[EvidenceFlag.FAR_FROM_VILLAGE], []]
    assert km_between(ELEVEN_KM_NORTH, VILLAGE_POINT) > PHOTO_DISTANCE_KM > km_between(NEAR, VILLAGE_POINT)
    page = client_for(app, "clerk").get(f"/claims/{eleven}").get_data(as_text=True)
    assert says(app, page, "taken %(km)s km from the village", km="11.1")


def test_the_phones_position_counts_when_the_photo_has_no_exif_position(app, as_user):
    set_point(app, SANXIANHU_VILLAGE, "29.40", "112.42")
    data = jpeg_bytes(seed=331)
    meta = json.dumps([{"name": "x.jpg", "size": len(data), "lat": ELEVEN_KM_NORTH[0], "lon": ELEVEN_KM_NORTH[1], "acc": 20}])
    claim_id = file_claim_http(app, as_user(VILLAGER), files=[photo(data, "x.jpg")], photo_meta=meta)
    assert photos_of(app, claim_id)[0][2] == [EvidenceFlag.FAR_FROM_VILLAGE]


def test_the_village_point_form_refuses_bad_input_and_keeps_what_was_typed(app):
    cases = {
        ("112.42", "29.40"): "Enter the latitude in decimal degrees between 3 and 54, e.g. 29.3623.",  # swapped
        ("NaN", "112.42"): "Enter the latitude in decimal degrees between 3 and 54, e.g. 29.3623.",
        ("２９.４", "112.42"): "Enter the latitude in decimal degrees between 3 and 54, e.g. 29.3623.",  # full-width digits
        ("29.40", "1e2"): "Enter the longitude in decimal degrees between 73 and 136, e.g. 112.3963.",
        ("29.40", ""): "Enter both the latitude and the longitude, or leave both empty.",
    }
    for (lat, lon), message in cases.items():
        status, html = set_point(app, SANXIANHU_VILLAGE, lat, lon)
        page = parse_form(html)
        assert status == 422 and says(app, html, message), (lat, lon)
        assert page.value("lat") == lat and page.value("lon") == lon
        assert village_point(app, SANXIANHU_VILLAGE) == (None, None)
    assert set_point(app, SANXIANHU_VILLAGE, "29.40", "112.42")[0] == 302
    assert set_point(app, SANXIANHU_VILLAGE, "", "")[0] == 302  # both empty: the point is removed
    assert village_point(app, SANXIANHU_VILLAGE) == (None, None)


def test_reloading_the_shipped_regions_keeps_a_village_point(app):
    from claims.regions.loader import load_regions

    set_point(app, SANXIANHU_VILLAGE, "29.40", "112.42")
    with app.app_context():
        load_regions()
        db.session.commit()
    assert village_point(app, SANXIANHU_VILLAGE) == VILLAGE_POINT


# --- time ----------------------------------------------------------------------------------------------


def test_long_after_comes_from_the_capture_time_never_from_the_upload_time(app, as_user):
    incident = (local_now() - timedelta(days=50)).replace(hour=21, minute=30, second=0, microsecond=0, tzinfo=None)
    now_ms = int(utcnow().timestamp() * 1000)
    plain_a, plain_b = jpeg_bytes(seed=341), jpeg_bytes(seed=342)  # no EXIF at all
    exif_late = jpeg_bytes(seed=343, exif=make_exif(taken=incident + timedelta(days=PHOTO_LONG_AFTER_DAYS + 10)))
    exif_soon = jpeg_bytes(seed=344, exif=make_exif(taken=incident + timedelta(days=2)))
    meta = json.dumps(
        [
            {"name": "chosen-now.jpg", "size": len(plain_a), "t": now_ms},  # an old page's "t": when the file was chosen
            {"name": "phone-time.jpg", "size": len(plain_b), "ft": now_ms},  # the phone's own time for the file
        ]
    )
    files = [photo(plain_a, "chosen-now.jpg"), photo(plain_b, "phone-time.jpg"), photo(exif_late, "late.jpg"), photo(exif_soon, "soon.jpg")]
    claim_id = file_claim_http(app, as_user(VILLAGER), incident=incident, files=files, photo_meta=meta)

    long_after = [EvidenceFlag.TIME_LONG_AFTER]
    assert [p[2] for p in photos_of(app, claim_id)] == [[], long_after, long_after, []]
    page = client_for(app, "clerk").get(f"/claims/{claim_id}").get_data(as_text=True)
    assert says(app, page, "taken long after")


def test_survey_photos_get_no_time_flag(app, ctx):
    incident = utcnow() - timedelta(days=PHOTO_LONG_AFTER_DAYS + 20)
    claim = file_claim_service(VILLAGER, seed=35, incident=incident)
    advance(claim, "survey_assigned")
    crop = {"loss_rate": 80, "growth_stage": "mature"}
    lines = [VerifiedLineInput(line.id, line.quantity, **(crop if line.category == "crop" else {})) for line in claim.losses]
    visited = utcnow() - timedelta(hours=1)
    survey = SurveyInput(visited_at=visited, surveyors_present="勘查员", claimant_present=True, outcome=SurveyOutcome.ELIGIBLE, lines=lines)
    today = local_now().replace(tzinfo=None)
    survey_photo = PhotoUpload(jpeg_bytes(seed=351, exif=make_exif(taken=today)), "survey.jpg", browser_time=utcnow())
    assert record_survey(claim, survey, [survey_photo], actor=find_user("officer2")) == []
    db.session.commit()

    survey_flags = [list(p.flags) for p in claim.photos if p.stage == PhotoStage.SURVEY]
    assert survey_flags == [[]]  # taken 50 days after the incident, by design


# --- the same photo on another claim ---------------------------------------------------------------------


def test_a_duplicate_names_the_other_claim_with_a_link_for_who_may_open_it(app, as_user):
    shared = jpeg_bytes(seed=361)
    first = file_claim_http(app, as_user(VILLAGER), files=[photo(shared, "a.jpg")])
    second = file_claim_http(app, client_for(app, VILLAGER2), name="李秀英", mobile=VILLAGER2, files=[photo(shared, "same.jpg")])
    number = number_of(app, first)

    ((_, _, flags, duplicate_of),) = photos_of(app, second)
    assert flags == [EvidenceFlag.DUPLICATE] and duplicate_of == photos_of(app, first)[0][0]
    page = client_for(app, "clerk").get(f"/claims/{second}").get_data(as_text=True)
    assert f'<a href="/claims/{first}">{number}</a>' in page
    assert says(app, page, "same as a photo of claim %(number)s", number=number)
    assert photos_of(app, first)[0][2] == []  # the earlier claim is not blamed


def test_each_photo_of_a_submission_finds_its_own_duplicate(app, as_user):
    """The duplicates of a claim's photos are looked up together: each photo is matched to the photo it repeats, a
    recompressed copy (another SHA-256, the same look) too, and a new picture to none."""
    first_a, first_b = jpeg_bytes(seed=363), jpeg_bytes(seed=364)
    first = file_claim_http(app, as_user(VILLAGER), files=[photo(first_a, "a.jpg"), photo(first_b, "b.jpg")])
    (a_id, *_), (b_id, *_) = photos_of(app, first)
    files = [photo(jpeg_bytes(seed=365), "new.jpg"), photo(jpeg_bytes(seed=364, quality=70), "b-again.jpg"), photo(first_a, "a-again.jpg")]
    second = file_claim_http(app, client_for(app, VILLAGER2), name="李秀英", mobile=VILLAGER2, files=files)

    assert [(flags, duplicate_of) for _id, _stage, flags, duplicate_of in photos_of(app, second)] == [
        ([], None),
        ([EvidenceFlag.DUPLICATE], b_id),
        ([EvidenceFlag.DUPLICATE], a_id),
    ]


def test_a_duplicate_outside_the_viewers_scope_shows_no_number(app, as_user):
    shared = jpeg_bytes(seed=371)
    first = file_claim_http(app, as_user(VILLAGER), files=[photo(shared, "a.jpg")])  # 三仙湖镇 (clerk)
    clerk2 = client_for(app, "clerk2")
    proxy = {"path": "/claims/new-for-villager", "name": "王老汉", "mobile": "13700000009"}
    second = file_claim_http(app, clerk2, village=MAOCAOJIE_VILLAGE, files=[photo(shared, "b.jpg")], **proxy)
    number = number_of(app, first)

    page = clerk2.get(f"/claims/{second}").get_data(as_text=True)  # 茅草街镇's clerk
    assert says(app, page, "same as a photo of another claim in another township")
    assert number not in page and f"/claims/{first}" not in page
    officer_page = client_for(app, "officer").get(f"/claims/{second}").get_data(as_text=True)  # the county sees both
    assert f'<a href="/claims/{first}">{number}</a>' in officer_page


def test_drafts_never_raise_a_duplicate(app, as_user):
    shared = jpeg_bytes(seed=381)
    client = as_user(VILLAGER)
    page = open_form(client)
    saved = post_form(client, page.action, claim_form(app, page, action="save"), [photo(shared, "draft.jpg")])
    assert saved.status_code == 302
    other = client_for(app, VILLAGER2)
    page = open_form(other)
    post_form(other, page.action, claim_form(app, page, name="李秀英", mobile=VILLAGER2, action="save"), [photo(shared, "their-draft.jpg")])

    filed = file_claim_http(app, client, files=[photo(shared, "filed.jpg")])
    assert photos_of(app, filed)[0][2] == []  # neither the claimant's own draft nor another person's


def test_near_identical_photos_of_the_same_claim_are_not_duplicates(app, as_user):
    image = jpeg_bytes(seed=391)
    recompressed = jpeg_bytes(seed=391, quality=70)  # the same picture saved again: another SHA-256, the same look
    claim_id = file_claim_http(app, as_user(VILLAGER), files=[photo(image, "a.jpg"), photo(recompressed, "b.jpg")])
    assert [p[2] for p in photos_of(app, claim_id)] == [[], []]


def test_a_removed_photo_never_raises_a_duplicate_and_its_flags_go(app, as_user):
    shared = jpeg_bytes(seed=401)
    owner = as_user(VILLAGER)
    first = file_claim_http(app, owner, files=[photo(shared, "a.jpg"), photo(jpeg_bytes(seed=402), "b.jpg")])
    second = file_claim_http(app, client_for(app, VILLAGER2), name="李秀英", mobile=VILLAGER2, files=[photo(shared, "b2.jpg")])
    assert photos_of(app, second)[0][2] == [EvidenceFlag.DUPLICATE]

    with app.app_context():
        review.return_claim(db.session.get(Claim, first), ["photos"], "请换一张照片。", actor=find_user("clerk"))
        db.session.commit()
    removed_id = photos_of(app, first)[0][0]
    page = open_form(owner, f"/claims/{first}/edit")
    response = post_form(owner, page.action, {**claim_form(app, page, action="save"), "remove_photo": str(removed_id)})
    assert response.status_code == 302 and removed_id not in [p[0] for p in photos_of(app, first)]

    assert photos_of(app, second)[0][2:] == ([], None)  # the flag it raised is gone
    third = file_claim_http(app, client_for(app, "clerk"), path="/claims/new-for-villager", name="王老汉", mobile="13700000009", files=[photo(shared, "c.jpg")])
    flags = photos_of(app, third)[0]
    assert flags[3] == photos_of(app, second)[0][0]  # only the second claim's photo, still active, matches


# --- lists: a badge per claim, one query per page --------------------------------------------------------


def count_photo_queries(app: Flask, client: FlaskClient, path: str) -> tuple[int, str]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, path
    return sum(1 for s in statements if re.search(r"\bFROM photos\b", s)), response.get_data(as_text=True)


def badge_of(html: str, claim_id: int) -> str | None:
    row = re.search(rf'href="/claims/{claim_id}".*?(?:</li>|</tr>)', html, flags=re.S)
    assert row, claim_id
    badge = re.search(r'<[^>]*class="badge badge-action evidence-badge"[^>]*title="([^"]*)"[^>]*>([^<]*)<', row.group(0))
    return f"{badge.group(2).strip()} | {badge.group(1)}" if badge else None


def test_the_claim_list_and_to_do_list_show_a_badge_from_one_query(app, as_user):
    shared = jpeg_bytes(seed=411)
    owner = as_user(VILLAGER)
    first = file_claim_http(app, owner, files=[photo(shared, "a.jpg")])
    flagged = file_claim_http(app, client_for(app, VILLAGER2), name="李秀英", mobile=VILLAGER2, files=[photo(shared, "b.jpg")])
    clerk = client_for(app, "clerk")

    for path in ("/claims/", "/queue", "/"):
        queries, html = count_photo_queries(app, clerk, path)
        assert queries == 1, path
        badge = badge_of(html, flagged)
        assert badge and re.fullmatch(r"(证据待核|Evidence to check) 1 \| .+ × 1", badge), (path, badge)
        assert any(t in badge for t in localized(app, lambda: EvidenceFlag.DUPLICATE.title)), badge
        assert badge_of(html, first) is None, path

    for seed in range(412, 416):  # more claims on the page: still one query for their flags
        file_claim_http(app, owner, files=[photo(jpeg_bytes(seed=seed), "x.jpg")])
    assert count_photo_queries(app, clerk, "/claims/")[0] == 1
    assert count_photo_queries(app, clerk, "/queue")[0] == 1

    villager_list = client_for(app, VILLAGER2).get("/claims/").get_data(as_text=True)
    assert "evidence-badge" not in villager_list  # warnings for staff, not for the claimant
    detail = clerk.get(f"/claims/{flagged}").get_data(as_text=True)
    assert 'href="#photos"' in detail  # the top of the claim page points down to the flagged photos
