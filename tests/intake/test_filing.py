"""Filing a claim through the web form: numbering, "My claims", the claim page, drafts, filing for a villager,
concurrent submissions, the species warning, and who may see the photos and what their EXIF says.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.core.time import local_now, local_today, utcnow
from claims.extensions import db
from claims.intake.evidence import PHOTO_DISTANCE_KM, PHOTO_TIME_TOLERANCE_DAYS
from claims.intake.models import Claim, Photo
from claims.intake.photos import haversine_km
from claims.regions.admin_services import set_village_point
from claims.regions.models import Region
from claims.workflow.history import ACTION_TEXT
from claims.workflow.states import ClaimStatus
from tests.conftest import login
from tests.factories import (
    SANXIANHU,
    SANXIANHU_VILLAGE,
    VILLAGER,
    VILLAGER2,
    YANTANG_VILLAGE,
    acknowledged_claim_id,
    claim_form,
    file_claim,
    file_claim_http,
    localized,
    open_form,
    page_text,
    parse_form,
    photo,
    photos,
    post_form,
    region_id,
    says,
    user_id,
)
from tests.intake.images import jpeg_bytes, make_exif

NUMBER_RE = re.compile(r"^(\d{6})-(\d{4})-(\d{6})$")
NAN_CENTRE = (29.3623, 112.3963)  # 南县's reference point in the demo regions (villages have none)
BEIJING = (39.9042, 116.4074)


def logged_in(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    login(client, name)
    return client


def load_claim(app: Flask, claim_id: int) -> dict[str, object]:
    """The facts of a claim as plain values (no ORM objects leave the app context)."""
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        return {
            "number": claim.number,
            "status": claim.status,
            "filed_by_id": claim.filed_by_id,
            "claimant_user_id": claim.claimant_user_id,
            "due_at": claim.due_at,
            "species_covered": claim.species_covered,
            "photos": [(p.id, p.sha256, list(p.flags), p.duplicate_of_id) for p in claim.photos if p.removed_at is None],
            "submission_key": claim.submission_key,
        }


def exif_jpeg(*, seed: int, taken: datetime | None = None, gps: tuple[float, float] | None = None) -> bytes:
    """A JPEG as a phone writes it: capture time (local wall clock) and GPS position in its EXIF."""
    return jpeg_bytes(seed=seed, exif=make_exif(taken=taken, gps=gps))


# --- a villager files with three photos -------------------------------------------------------------------


def test_villager_files_with_three_photos_and_gets_a_claim_number(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    assert page.value("claimant_name") == "张建国" and page.value("claimant_mobile") == VILLAGER  # prefilled from the account

    response = post_form(client, page.action, claim_form(app, page), photos(3))

    claim_id = acknowledged_claim_id(response)
    ack = client.get(response.headers["Location"])
    assert ack.status_code == 200
    number = re.search(r'id="claim-number">([^<]+)<', ack.get_data(as_text=True)).group(1).strip()
    match = NUMBER_RE.match(number)
    assert match, number
    assert match.group(1) == "430921" and int(match.group(2)) == local_today().year and match.group(3) == "000001"
    facts = load_claim(app, claim_id)
    assert facts["number"] == number
    assert facts["status"] == ClaimStatus.SUBMITTED
    assert len(facts["photos"]) == 3
    assert facts["filed_by_id"] == facts["claimant_user_id"] == user_id(app, VILLAGER)
    assert says(app, ack.get_data(as_text=True), "Keep this claim number. The township checks the application by %(date)s.", date=facts["due_at"].isoformat())


def test_claim_numbers_count_up_per_county_and_year(app, as_user):
    client = as_user(VILLAGER)
    first = load_claim(app, file_claim_http(app, client, files=photos(1, first_seed=11)))["number"]
    second = load_claim(app, file_claim_http(app, client, files=photos(1, first_seed=21)))["number"]
    chaling = load_claim(app, file_claim_http(app, client, village=YANTANG_VILLAGE, files=photos(1, first_seed=31)))["number"]
    year = local_today().year
    assert (first, second, chaling) == (f"430921-{year}-000001", f"430921-{year}-000002", f"430224-{year}-000001")


def test_the_claim_shows_in_my_claims_and_not_in_another_villagers(app, as_user):
    client = as_user(VILLAGER)
    claim_id = file_claim_http(app, client)
    number = load_claim(app, claim_id)["number"]

    mine = client.get("/claims/").get_data(as_text=True)
    assert number in mine and f"/claims/{claim_id}" in mine

    other = logged_in(app, VILLAGER2).get("/claims/").get_data(as_text=True)
    assert number not in other and f"/claims/{claim_id}" not in other


def test_claim_page_shows_status_next_step_who_acts_due_date_photos_and_history(app, as_user):
    client = as_user(VILLAGER)
    claim_id = file_claim_http(app, client, files=photos(3))
    facts = load_claim(app, claim_id)

    response = client.get(f"/claims/{claim_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(html)
    assert facts["number"] in text
    assert any(t in text for t in localized(app, lambda: ClaimStatus.SUBMITTED.title))
    assert any(t in text for t in localized(app, lambda: ClaimStatus.SUBMITTED.next_step))
    assert any(t in text for t in localized(app, lambda: ClaimStatus.SUBMITTED.actor_role.title))  # the township clerk
    due = facts["due_at"]
    assert due is not None and due > local_today()
    assert due.isoformat() in text
    # The photos, as thumbnails of this claim, each served as an image.
    shown = parse_form(html).photo_urls
    assert shown == [f"/claims/{claim_id}/photos/{pid}/thumb" for pid, *_ in facts["photos"]]
    for url in shown:
        thumb = client.get(url)
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    # The history tells the story, oldest first: started, ..., submitted.
    history = html[html.index('class="history"') :]
    started = min(history.find(t) for t in localized(app, lambda: ACTION_TEXT["draft_started"]) if t in history)
    submitted = min(history.find(t) for t in localized(app, lambda: ACTION_TEXT["submit"]) if t in history)
    assert 0 <= started < submitted


def test_thumbnail_and_display_copies_are_jpeg_without_exif_but_the_original_is_kept(app, as_user):
    taken = (local_now() - timedelta(days=1)).replace(hour=22, minute=0, second=0, microsecond=0, tzinfo=None)
    original = exif_jpeg(seed=5, taken=taken, gps=NAN_CENTRE)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload does carry a position
    client = as_user(VILLAGER)
    claim_id = file_claim_http(app, client, files=[photo(original, "IMG_0001.jpg")])
    ((photo_id, sha256, _, _),) = load_claim(app, claim_id)["photos"]

    for variant in ("thumb", "display"):
        response = client.get(f"/claims/{claim_id}/photos/{photo_id}/{variant}")
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        image = Image.open(io.BytesIO(response.data))
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert b"Exif\x00\x00" not in response.data and "exif" not in image.info
    thumb = Image.open(io.BytesIO(client.get(f"/claims/{claim_id}/photos/{photo_id}/thumb").data))
    assert max(thumb.size) <= 320

    kept = client.get(f"/claims/{claim_id}/photos/{photo_id}/original")
    assert kept.status_code == 200
    assert hashlib.sha256(kept.data).hexdigest() == sha256 == hashlib.sha256(original).hexdigest()
    assert "attachment" in kept.headers["Content-Disposition"]


# --- drafts ---------------------------------------------------------------------------------------------


def test_a_draft_is_saved_and_finished_later(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    partial = claim_form(app, page, action="save", claimant_id_number="", bank_account="", description="")
    response = post_form(client, page.action, partial, [photo(jpeg_bytes(seed=41), "field.jpg")])

    assert response.status_code == 302
    edit_url = response.headers["Location"]
    claim_id = int(re.search(r"/claims/(\d+)/edit$", edit_url).group(1))
    draft = load_claim(app, claim_id)
    assert draft["status"] == ClaimStatus.DRAFT and draft["number"] is None and len(draft["photos"]) == 1
    assert says(app, client.get(edit_url).get_data(as_text=True), "The draft was saved. You can finish it later from “My claims”.")
    assert f"/claims/{claim_id}" in client.get("/claims/").get_data(as_text=True)

    # Later: the form comes back with what was saved, and the photo.
    later = open_form(client, edit_url)
    assert later.action == edit_url
    assert later.value("claimant_name") == "张建国"
    assert later.value("bank_name") == partial["bank_name"]
    assert later.value("incident_at") == partial["incident_at"]
    assert later.value("losses-0-item") == "水稻" and later.value("losses-0-quantity") == "2.5"
    assert later.value("claimant_id_number") == ""
    assert len(later.photo_urls) == 1

    finished = claim_form(app, later)
    response = post_form(client, later.action, finished)  # no new photo: the saved one counts
    assert acknowledged_claim_id(response) == claim_id
    facts = load_claim(app, claim_id)
    assert facts["status"] == ClaimStatus.SUBMITTED and NUMBER_RE.match(facts["number"])
    with app.app_context():
        assert db.session.execute(select(Claim.id)).scalars().all() == [claim_id]


# --- a clerk files for a villager -----------------------------------------------------------------------


def test_clerk_files_for_a_villager_without_an_account(app, as_user):
    clerk = as_user("clerk")
    page = open_form(clerk, "/claims/new-for-villager")
    assert page.value("township_id") == str(region_id(app, SANXIANHU))  # the clerk's own township, preselected
    assert page.value("claimant_name") == ""  # not the clerk's own name

    data = claim_form(app, page, name="王老汉", mobile="13700000009")
    claim_id = acknowledged_claim_id(post_form(clerk, page.action, data, photos(2)))

    facts = load_claim(app, claim_id)
    assert facts["filed_by_id"] == user_id(app, "clerk")
    assert facts["claimant_user_id"] is None
    assert facts["status"] == ClaimStatus.SUBMITTED
    assert facts["number"] in clerk.get("/claims/").get_data(as_text=True)
    detail = clerk.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "王老汉" in detail and "王芳" in detail  # the claimant, and the clerk shown as the filer
    # Nobody else's "My claims" shows it.
    for villager in (VILLAGER, VILLAGER2):
        assert facts["number"] not in logged_in(app, villager).get("/claims/").get_data(as_text=True)


def test_clerk_filing_for_a_registered_villager_links_the_claim_only_with_proof(app, as_user):
    """A matching mobile number and name prove nothing: the villager links the claim with a code and their ID number
    (tests/intake/test_linking.py)."""
    clerk = as_user("clerk")
    page = open_form(clerk, "/claims/new-for-villager")
    claim_id = acknowledged_claim_id(post_form(clerk, page.action, claim_form(app, page, name="张建国", mobile=VILLAGER), photos(1)))

    facts = load_claim(app, claim_id)
    assert facts["filed_by_id"] == user_id(app, "clerk")
    assert facts["claimant_user_id"] is None
    villager = logged_in(app, VILLAGER)
    assert facts["number"] not in villager.get("/claims/").get_data(as_text=True)
    assert villager.get(f"/claims/{claim_id}").status_code == 404
    assert facts["number"] in clerk.get("/claims/").get_data(as_text=True)


def test_clerk_filing_with_a_matching_mobile_but_another_name_is_not_linked(app, as_user):
    clerk = as_user("clerk")
    page = open_form(clerk, "/claims/new-for-villager")
    claim_id = acknowledged_claim_id(post_form(clerk, page.action, claim_form(app, page, name="张建军", mobile=VILLAGER), photos(1)))

    facts = load_claim(app, claim_id)
    assert facts["claimant_user_id"] is None
    villager = logged_in(app, VILLAGER)
    assert facts["number"] not in villager.get("/claims/").get_data(as_text=True)
    assert villager.get(f"/claims/{claim_id}").status_code == 404


# --- concurrency ----------------------------------------------------------------------------------------


def _submit_at_once(app: Flask, jobs: list[tuple[FlaskClient, str, dict[str, str], list]]) -> list[object]:
    """Send every POST from its own thread, all released by one barrier; returns responses or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, client: FlaskClient, path: str, data: dict[str, str], files: list) -> None:
        try:
            barrier.wait(30)
            results[index] = post_form(client, path, data, files)
        except Exception as exc:  # reported by the assertions of the test, not lost in the thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, *job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a submission hung"
    return results


def test_claim_numbers_are_unique_under_concurrent_submissions(app):
    count = 8
    jobs = []
    for i in range(count):
        client = logged_in(app, VILLAGER if i % 2 == 0 else VILLAGER2)
        page = open_form(client)
        name, mobile = ("张建国", VILLAGER) if i % 2 == 0 else ("李秀英", VILLAGER2)
        jobs.append((client, page.action, claim_form(app, page, name=name, mobile=mobile), photos(1, first_seed=100 + 10 * i)))

    results = _submit_at_once(app, jobs)

    claim_ids = [acknowledged_claim_id(r) for r in results]  # every one submitted: no 500, no "database is locked"
    assert len(set(claim_ids)) == count
    with app.app_context():
        numbers = sorted(db.session.execute(select(Claim.number).where(Claim.id.in_(claim_ids))).scalars())
    year = local_today().year
    assert numbers == [f"430921-{year}-{n:06d}" for n in range(1, count + 1)]  # unique and without gaps


# --- species coverage -----------------------------------------------------------------------------------

NOT_COVERED = "The animal named is not covered on the incident date; the township will check eligibility."
SPECIES_WARNING = "Note: %(species)s is not on a protected list, nor designated by %(county)s, on %(day)s. You can still submit; the township will check."


def test_wild_boar_in_chaling_warns_but_is_submitted(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page, village=YANTANG_VILLAGE, action="save")
    saved = post_form(client, page.action, data, photos(1))
    assert saved.status_code == 302
    edit_page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert says(app, edit_page, SPECIES_WARNING, species="野猪", county="茶陵县", day=data["incident_at"][:10])

    later = parse_form(edit_page)
    later.action = saved.headers["Location"]
    response = post_form(client, later.action, claim_form(app, later, village=YANTANG_VILLAGE))
    claim_id = acknowledged_claim_id(response)
    facts = load_claim(app, claim_id)
    assert facts["status"] == ClaimStatus.SUBMITTED
    assert facts["species_covered"] is False
    assert facts["number"].startswith("430224-")
    assert says(app, client.get(response.headers["Location"]).get_data(as_text=True), NOT_COVERED)


def test_wild_boar_in_nan_county_is_covered_by_the_designation(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    response = post_form(client, page.action, claim_form(app, page), photos(1))
    claim_id = acknowledged_claim_id(response)
    assert load_claim(app, claim_id)["species_covered"] is True
    assert not says(app, client.get(response.headers["Location"]).get_data(as_text=True), NOT_COVERED)


# --- photos: who sees them ------------------------------------------------------------------------------


@pytest.fixture
def filed_photo(app: Flask) -> tuple[int, int, bytes]:
    """A claim by villager 1 in 三仙湖镇 (南县) with one photo: (claim id, photo id, original bytes)."""
    client = logged_in(app, VILLAGER)
    data = exif_jpeg(seed=61, gps=NAN_CENTRE)
    claim_id = file_claim_http(app, client, files=[photo(data, "pig.jpg")])
    ((photo_id, *_),) = load_claim(app, claim_id)["photos"]
    return claim_id, photo_id, data


@pytest.mark.parametrize(
    ("who", "display", "original"),
    [
        (VILLAGER, 200, 200),  # the claimant
        (VILLAGER2, 404, 404),  # another villager
        ("clerk", 200, 200),  # the township's clerk
        ("clerk2", 404, 404),  # the clerk of another township of the same county
        ("clerk_cl", 404, 404),  # a clerk in another county
        ("officer", 200, 200),  # the county's forestry officer
        ("approver", 200, 200),
        ("officer_cl", 404, 404),  # another county's officer
        ("insurer", 404, 404),  # not referred to the insurer
        ("admin", 200, 404),  # administrators see the evidence, not the original with its EXIF
    ],
)
def test_photo_is_served_only_to_those_who_may_see_the_claim(app, filed_photo, who, display, original):
    claim_id, photo_id, data = filed_photo
    client = logged_in(app, who)
    base = f"/claims/{claim_id}/photos/{photo_id}"
    for variant in ("display", "thumb"):
        response = client.get(f"{base}/{variant}")
        assert response.status_code == display, (who, variant)
        if display == 200:
            assert response.mimetype == "image/jpeg"
    response = client.get(f"{base}/original")
    assert response.status_code == original, who
    if original == 200:
        assert response.data == data
    else:
        assert data not in response.data


def test_photo_needs_a_login_and_the_photo_must_belong_to_the_claim(app, filed_photo):
    claim_id, photo_id, _ = filed_photo
    anonymous = app.test_client().get(f"/claims/{claim_id}/photos/{photo_id}/thumb")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    client = logged_in(app, VILLAGER)
    other_claim = file_claim_http(app, client, files=[photo(jpeg_bytes(seed=71))])
    assert client.get(f"/claims/{other_claim}/photos/{photo_id}/thumb").status_code == 404  # a photo of another claim
    assert client.get(f"/claims/{claim_id}/photos/{photo_id}/exif").status_code == 404


# --- photos: EXIF facts and evidence flags --------------------------------------------------------------


def test_exif_time_and_position_are_read_and_a_good_photo_is_not_flagged(app, as_user):
    # Two evenings ago, so that "the next morning" is in the past at any hour the suite runs.
    incident = (local_now() - timedelta(days=2)).replace(hour=21, minute=30, second=0, microsecond=0, tzinfo=None)
    taken = incident + timedelta(hours=10)  # photographed the next morning, in the field
    client = as_user(VILLAGER)
    claim_id = file_claim_http(app, client, incident=incident, files=[photo(exif_jpeg(seed=81, taken=taken, gps=(29.375, 112.41)))])

    with app.app_context():
        item = db.session.execute(select(Photo).where(Photo.claim_id == claim_id)).scalar_one()
        assert item.taken_at is not None
        assert item.taken_at.replace(tzinfo=None) == (taken - timedelta(hours=8))  # local (UTC+8) wall clock, stored in UTC
        assert item.exif_lat == pytest.approx(29.375, abs=1e-4) and item.exif_lon == pytest.approx(112.41, abs=1e-4)
        assert item.flags == []


def test_a_photo_taken_long_before_the_incident_is_flagged(app, as_user):
    incident = (local_now() - timedelta(days=1)).replace(hour=21, minute=30, second=0, microsecond=0, tzinfo=None)
    old = incident - timedelta(days=PHOTO_TIME_TOLERANCE_DAYS + 27)  # last month's damage
    client = as_user(VILLAGER)
    claim_id = file_claim_http(app, client, incident=incident, files=[photo(exif_jpeg(seed=91, taken=old, gps=NAN_CENTRE))])

    flags = load_claim(app, claim_id)["photos"][0][2]
    assert flags == ["time_before_incident"]
    staff_page = logged_in(app, "officer").get(f"/claims/{claim_id}").get_data(as_text=True)
    assert says(app, staff_page, "taken before the incident")


def test_a_photo_taken_far_away_is_flagged(app, as_user):
    """Measured from the village's own point (tests/intake/test_evidence_flags.py has the other cases)."""
    with app.app_context():
        village = db.session.execute(select(Region).where(Region.code == SANXIANHU_VILLAGE)).scalar_one()
        set_village_point(village, NAN_CENTRE, actor=find_user("admin"))
        db.session.commit()
    client = as_user(VILLAGER)
    claim_id = file_claim_http(app, client, files=[photo(exif_jpeg(seed=101, gps=BEIJING))])

    with app.app_context():
        item = db.session.execute(select(Photo).where(Photo.claim_id == claim_id)).scalar_one()
        assert item.exif_lat == pytest.approx(BEIJING[0], abs=1e-4)
        assert item.flags == ["far_from_village"]
    assert haversine_km(*BEIJING, *NAN_CENTRE) > PHOTO_DISTANCE_KM


def test_the_same_photo_on_a_second_claim_is_flagged_duplicate(app, as_user):
    shared = exif_jpeg(seed=111, gps=NAN_CENTRE)
    first_client = as_user(VILLAGER)
    first = file_claim_http(app, first_client, files=[photo(shared, "a.jpg"), photo(jpeg_bytes(seed=112), "b.jpg")])
    second_client = logged_in(app, VILLAGER2)
    second = file_claim_http(app, second_client, name="李秀英", mobile=VILLAGER2, files=[photo(shared, "same.jpg"), photo(jpeg_bytes(seed=131), "c.jpg")])

    first_photos = load_claim(app, first)["photos"]
    second_photos = load_claim(app, second)["photos"]
    assert [p[2] for p in first_photos] == [[], []]  # the earlier claim is not blamed
    (_, dup_sha, dup_flags, dup_of), (_, _, other_flags, _) = second_photos
    assert dup_flags == ["duplicate"] and dup_of == first_photos[0][0] and dup_sha == first_photos[0][1]
    assert other_flags == []  # a different photo is not a duplicate
    clerk_page = logged_in(app, "clerk").get(f"/claims/{second}").get_data(as_text=True)
    number = load_claim(app, first)["number"]
    assert says(app, clerk_page, "same as a photo of claim %(number)s", number=number)  # named, with a link
    assert f'<a href="/claims/{first}">{number}</a>' in clerk_page


def test_service_factory_files_a_claim_for_other_tests(app):
    """tests/factories.file_claim builds a submitted claim through the services (for other test modules)."""
    with app.app_context():
        claim = file_claim(VILLAGER)
        db.session.commit()
        assert claim.status == ClaimStatus.SUBMITTED and claim.claimant_user_id == find_user(VILLAGER).id
        assert claim.number.startswith("430921-") and claim.submitted_at <= utcnow()
        proxy = file_claim("clerk", submit=False)
        db.session.commit()
        assert proxy.status == ClaimStatus.DRAFT and proxy.claimant_user_id is None
