"""Bad input on the filing form: each mistake gets a clear message in the user's language, on the field
concerned, and nothing is lost: every typed value stays in the form, and photos already uploaded stay
with the draft. Also double clicks, oversized requests and a session that expires mid-form.

Messages are asserted in either language (English msgid or the zh_CN translation, see factories.says),
because catalogs may lag behind the code.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from claims.core import time as clock
from claims.core.storage import LocalStorage
from claims.core.time import local_now, local_today, utcnow
from claims.extensions import db
from claims.intake.models import Claim, ClaimSequence, FormStash, Photo
from claims.workflow.states import ClaimStatus
from tests.conftest import DEMO_PASSWORD, csrf_token, login
from tests.factories import (
    MAOCAOJIE_VILLAGE,
    VILLAGER,
    VILLAGER2,
    YANTANG_VILLAGE,
    acknowledged_claim_id,
    claim_count,
    claim_form,
    config,
    open_form,
    parse_form,
    photo,
    photos,
    post_form,
    region_id,
    resident_id,
    says,
    with_wrong_check_digit,
)
from tests.intake.images import elf_program, jpeg_bytes, mz_program, png_bomb, truncated

DRAFT_URL = re.compile(r"/claims/(\d+)/edit$")

MSG_CHECK_DIGIT = "The check digit (the last character) of this ID number is wrong. Please check the number."
MSG_FUTURE = "The incident cannot be in the future."
MSG_ORDER = "The damage cannot have been discovered before it happened. Please check both dates."
MSG_NO_PHOTO = "Add at least one photo of the damage."
MSG_NOT_PHOTO = "This file is not a photo. Please choose a JPEG, PNG, WebP or HEIC photo."
MSG_TRUNCATED = "The photo is incomplete or damaged, perhaps because the upload was interrupted. Please send it again."
MSG_TOO_LARGE = "The photo is larger than %(limit)s MB. Please send a smaller photo."
MSG_PIXELS = "The photo has too many pixels (more than %(limit)s megapixels). Please send a smaller photo."
MSG_TOO_MANY = "At most %(n)d photos per claim: this one was not added."
MSG_VILLAGE = "The village %(village)s is not in %(township)s. Please choose the village again."
MSG_QUANTITY_POSITIVE = "The quantity must be more than 0."
MSG_QUANTITY_PLAUSIBLE = "%(q)s is not a plausible quantity here (at most %(limit)s). Please check it."
MSG_PHOTOS_KEPT = "The other photos and everything you typed are saved."
MSG_NOT_SAVED = "The photo could not be saved. Please try again."
MSG_EXPIRED = "Your session has expired. Please log in again."
MSG_REQUEST_TOO_LARGE = "What you sent is too large. Photos may be at most 20 MB each; send fewer at a time."


# --- helpers --------------------------------------------------------------------------------------------


def refused(app: Flask, client: FlaskClient, data: dict[str, str], files=(), path: str = "/claims/new"):  # type: ignore[no-untyped-def]
    """POST the form and expect it back (422, not submitted): returns (page, claim id of the saved draft)."""
    response = post_form(client, path, data, files)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, (response.status_code, response.headers.get("Location"))
    page = parse_form(html)
    match = DRAFT_URL.search(page.action)
    assert match, page.action  # the draft exists: the form now posts to its edit page
    return page, int(match.group(1))


def field_says(app: Flask, page, field: str, msgid: str, **params: object) -> bool:  # type: ignore[no-untyped-def]
    """The message is shown on that field (its error element), in English or in the translation."""
    return any(says(app, error, msgid, **params) for error in page.errors.get(field, []))


def draft_facts(app: Flask, claim_id: int) -> tuple[ClaimStatus, str | None, list[int]]:
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        return claim.status, claim.number, [p.id for p in claim.photos if p.removed_at is None]


def photo_problem_says(app: Flask, page, filename: str, msgid: str, **params: object) -> bool:  # type: ignore[no-untyped-def]
    """The photo problems list names the file and says why (``<li>name: message</li>``)."""
    items = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", li)).strip() for li in re.findall(r"<li>(.*?)</li>", page.html, flags=re.S)]
    return any(item.startswith(f"{filename}:") and says(app, item, msgid, **params) for item in items)


def assert_kept(page, data: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert page.differences(data) == {}, "values lost on the re-rendered form"


# --- field errors: the message on the field, every value kept ---------------------------------------------


def test_wrong_id_check_digit(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page, claimant_id_number=with_wrong_check_digit(resident_id()))

    shown, claim_id = refused(app, client, data, photos(1))

    assert field_says(app, shown, "claimant_id_number", MSG_CHECK_DIGIT)
    assert list(shown.errors) == ["claimant_id_number"]
    assert_kept(shown, data)
    status, number, kept_photos = draft_facts(app, claim_id)
    assert status == ClaimStatus.DRAFT and number is None and len(kept_photos) == 1
    assert shown.photo_urls == [f"/claims/{claim_id}/photos/{kept_photos[0]}/thumb"]


def test_id_check_digit_x_is_accepted(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    number = resident_id("43092119650315123")
    assert number.endswith("X")
    response = post_form(client, page.action, claim_form(app, page, claimant_id_number=number.lower()), photos(1))
    acknowledged_claim_id(response)


def test_incident_in_the_future(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    future = (local_now() + timedelta(days=2)).replace(tzinfo=None)
    data = claim_form(app, page, incident=future, discovered=local_today())

    shown, claim_id = refused(app, client, data, photos(1))

    assert field_says(app, shown, "incident_at", MSG_FUTURE)
    assert_kept(shown, data)
    assert draft_facts(app, claim_id)[0] == ClaimStatus.DRAFT


def test_incident_after_the_date_discovered(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    incident = (local_now() - timedelta(days=1)).replace(hour=8, minute=0, tzinfo=None)
    data = claim_form(app, page, incident=incident, discovered=incident.date() - timedelta(days=2))

    shown, _ = refused(app, client, data, photos(1))

    assert field_says(app, shown, "discovered_on", MSG_ORDER)
    assert "incident_at" not in shown.errors
    assert_kept(shown, data)


def test_no_photo_refuses_the_submission_and_keeps_the_values(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)

    shown, claim_id = refused(app, client, data)

    assert says(app, shown.html, MSG_NO_PHOTO)
    assert_kept(shown, data)
    status, number, kept_photos = draft_facts(app, claim_id)
    assert status == ClaimStatus.DRAFT and number is None and kept_photos == []

    # Adding the photo on the same form then submits the same claim.
    again = claim_form(app, shown)
    assert acknowledged_claim_id(post_form(client, shown.action, again, photos(1))) == claim_id
    assert claim_count(app) == 1


def test_village_of_another_county_names_the_chosen_township(app, as_user):
    """A villager may file in any county, so a village of another county is a village outside the chosen township."""
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page, village_id=str(region_id(app, YANTANG_VILLAGE)))  # 和吕村 lies in 茶陵县

    shown, claim_id = refused(app, client, data, photos(1))

    assert field_says(app, shown, "village_id", MSG_VILLAGE, village="和吕村", township="三仙湖镇")
    with app.app_context():
        assert db.session.get(Claim, claim_id).village_id is None


def test_village_outside_the_chosen_township(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page, village_id=str(region_id(app, MAOCAOJIE_VILLAGE)))  # 八百弓村 lies in 茅草街镇

    shown, claim_id = refused(app, client, data, photos(1))

    assert field_says(app, shown, "village_id", MSG_VILLAGE, village="八百弓村", township="三仙湖镇")
    assert_kept(shown, data)
    with app.app_context():
        assert db.session.get(Claim, claim_id).village_id is None  # an inconsistent place is never stored


@pytest.mark.parametrize(
    ("quantity", "unit", "msgid", "params"),
    [
        ("-3", "mu", MSG_QUANTITY_POSITIVE, {}),
        ("0", "mu", MSG_QUANTITY_POSITIVE, {}),
        ("999999", "mu", MSG_QUANTITY_PLAUSIBLE, {"q": "999999", "limit": "5000"}),
        ("80", "person", MSG_QUANTITY_PLAUSIBLE, {"q": "80", "limit": "50"}),
        ("abc", "mu", None, {}),
    ],
)
def test_negative_zero_absurd_or_garbled_quantity(app, as_user, quantity, unit, msgid, params):
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page, **{"losses-0-quantity": quantity, "losses-0-unit": unit})

    shown, claim_id = refused(app, client, data, photos(1))

    assert shown.errors.get("losses-0-quantity"), shown.errors
    if msgid:
        assert field_says(app, shown, "losses-0-quantity", msgid, **params)
    assert_kept(shown, data)
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim.status == ClaimStatus.DRAFT and claim.losses == []  # a wrong line is never stored


# --- bad photos: refused by name, the rest kept -----------------------------------------------------------


@pytest.mark.parametrize(
    ("blob", "name", "msgid"),
    [
        (elf_program(), "photo.jpg", MSG_NOT_PHOTO),  # a Linux program renamed .jpg
        (mz_program(), "IMG_2024.jpg", MSG_NOT_PHOTO),  # a Windows program renamed .jpg
        (truncated(jpeg_bytes(1600, 1200, seed=3)), "broken.jpg", MSG_TRUNCATED),  # the upload broke off half-way
    ],
)
def test_bad_photo_is_refused_by_name_and_the_good_one_kept(app, as_user, blob, name, msgid):
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)

    shown, claim_id = refused(app, client, data, [photo(jpeg_bytes(seed=2), "good.jpg"), photo(blob, name)])

    assert photo_problem_says(app, shown, name, msgid)
    assert not photo_problem_says(app, shown, "good.jpg", msgid)
    assert says(app, shown.html, MSG_PHOTOS_KEPT)
    assert_kept(shown, data)
    status, number, kept_photos = draft_facts(app, claim_id)
    assert status == ClaimStatus.DRAFT and number is None  # not submitted while a photo was refused
    assert len(kept_photos) == 1 and shown.photo_urls == [f"/claims/{claim_id}/photos/{kept_photos[0]}/thumb"]


def test_a_photo_the_store_cannot_write_is_refused_by_name_and_the_rest_kept(app, as_user, monkeypatch):  # type: ignore[no-untyped-def]
    """A full disk (or an object store that refuses the write) while the second photo's copies are stored: that
    photo is refused with a message, the part of it already written is deleted, and the first photo is kept."""
    failing = jpeg_bytes(seed=8)
    storage = LocalStorage(app.config["UPLOAD_FOLDER"])
    real_put = storage.put
    written: list[str] = []

    def put(data: bytes, suffix: str = "") -> str:
        if suffix == ".jpg" and written and written[-1] == "failing":
            raise OSError(28, "No space left on device")
        key = real_put(data, suffix)
        written.append("failing" if data == failing else key)
        return key

    monkeypatch.setattr(storage, "put", put)
    monkeypatch.setitem(app.extensions, "claims_storage", storage)
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)

    shown, claim_id = refused(app, client, data, [photo(jpeg_bytes(seed=7), "kept.jpg"), photo(failing, "disk-full.jpg")])

    assert photo_problem_says(app, shown, "disk-full.jpg", MSG_NOT_SAVED)
    assert_kept(shown, data)
    kept_photos = draft_facts(app, claim_id)[2]
    assert len(kept_photos) == 1
    with app.app_context():
        kept = db.session.get(Photo, kept_photos[0])
        assert sorted(storage.keys()) == sorted([kept.original_key, kept.display_key, kept.thumb_key])


def test_png_of_20000_by_20000_pixels_is_refused_without_decoding(app, as_user, decoded):
    bomb = png_bomb(20000, 20000)
    assert len(bomb) < 5 * 1024 * 1024
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)

    shown, claim_id = refused(app, client, data, [photo(bomb, "huge.png", "image/png"), photo(jpeg_bytes(seed=4), "ok.jpg")])

    assert decoded and (20000, 20000) not in decoded  # the header alone refused it; the good photo was decoded
    assert photo_problem_says(app, shown, "huge.png", MSG_PIXELS, limit="60")
    assert len(draft_facts(app, claim_id)[2]) == 1
    assert_kept(shown, data)


def test_photo_of_40_mb_is_refused_and_the_rest_kept(app, as_user):
    assert app.config["MAX_CONTENT_LENGTH"] >= 100 * 1024 * 1024 > 40 * 1024 * 1024 > app.config["PHOTO_MAX_BYTES"]
    big = b"\xff\xd8\xff\xe0" + bytes(40 * 1024 * 1024)
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)

    shown, claim_id = refused(app, client, data, [photo(big, "big.jpg"), photo(jpeg_bytes(seed=6), "small.jpg")])

    assert photo_problem_says(app, shown, "big.jpg", MSG_TOO_LARGE, limit="20")
    assert_kept(shown, data)
    status, _, kept_photos = draft_facts(app, claim_id)
    assert status == ClaimStatus.DRAFT and len(kept_photos) == 1
    with app.app_context():
        assert db.session.get(Photo, kept_photos[0]).size_bytes < 1024 * 1024


def test_request_over_max_content_length_gets_the_friendly_413_page(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)
    with config(app, MAX_CONTENT_LENGTH=2 * 1024 * 1024):
        response = post_form(client, page.action, data, [photo(b"\xff\xd8\xff\xe0" + bytes(3 * 1024 * 1024), "big.jpg")])
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert says(app, response.get_data(as_text=True), MSG_REQUEST_TOO_LARGE)
    assert app.config["MAX_CONTENT_LENGTH"] == 100 * 1024 * 1024
    assert claim_count(app) == 0
    # Still logged in, and the form works afterwards.
    assert client.get("/claims/new").status_code == 200


def test_twenty_one_photos_keeps_twenty_and_refuses_the_21st(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)

    shown, claim_id = refused(app, client, data, photos(21))

    assert photo_problem_says(app, shown, "photo-21.jpg", MSG_TOO_MANY, n=20)
    assert not any(photo_problem_says(app, shown, f"photo-{i:02d}.jpg", MSG_TOO_MANY, n=20) for i in range(1, 21))
    kept_photos = draft_facts(app, claim_id)[2]
    assert len(kept_photos) == 20 and len(shown.photo_urls) == 20
    assert_kept(shown, data)

    # One more later is refused too; submitting without new photos then works with the twenty.
    more, _ = refused(app, client, claim_form(app, shown), [photo(jpeg_bytes(seed=99), "late.jpg")], path=shown.action)
    assert photo_problem_says(app, more, "late.jpg", MSG_TOO_MANY, n=20)
    assert acknowledged_claim_id(post_form(client, more.action, claim_form(app, more))) == claim_id
    assert len(draft_facts(app, claim_id)[2]) == 20


def test_photos_saved_earlier_still_show_after_a_rejected_submit(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    first = claim_form(app, page, claimant_id_number=with_wrong_check_digit(resident_id()))
    shown, claim_id = refused(app, client, first, [photo(jpeg_bytes(seed=21), "one.jpg")])
    assert len(shown.photo_urls) == 1

    # Second try: the ID is fixed, but now the date is wrong; another photo comes along.
    future = (local_now() + timedelta(days=3)).replace(tzinfo=None)
    second = claim_form(app, shown, incident=future, discovered=local_today())
    shown, same = refused(app, client, second, [photo(jpeg_bytes(seed=22), "two.jpg")], path=shown.action)
    assert same == claim_id
    assert field_says(app, shown, "incident_at", MSG_FUTURE)
    assert len(shown.photo_urls) == 2
    assert_kept(shown, second)

    # Third try without any file: both photos are still there, and each is served.
    third = claim_form(app, shown, declaration="")
    shown, _ = refused(app, client, third, path=shown.action)
    saved = draft_facts(app, claim_id)[2]
    assert shown.photo_urls == [f"/claims/{claim_id}/photos/{pid}/thumb" for pid in saved] and len(saved) == 2
    for url in shown.photo_urls:
        assert client.get(url).status_code == 200


# --- double clicks ----------------------------------------------------------------------------------------


def test_double_click_on_submit_files_one_claim(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)

    first = acknowledged_claim_id(post_form(client, page.action, data, photos(1)))
    second = acknowledged_claim_id(post_form(client, page.action, data, photos(1)))

    assert first == second
    assert claim_count(app) == 1
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Photo)).scalar_one() == 1
        assert db.session.execute(select(ClaimSequence.last_value)).scalar_one() == 1  # no number used up


def test_concurrent_double_click_from_two_threads_files_one_claim(app, as_user):
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)
    twin = app.test_client()  # the same browser session, sending the second click at the same moment
    twin.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), client.get_cookie("session").value)

    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def click(index: int, who: FlaskClient) -> None:
        try:
            barrier.wait(30)
            results[index] = post_form(who, page.action, data, photos(1))
        except Exception as exc:  # surfaced by the assertions below
            results[index] = exc

    threads = [threading.Thread(target=click, args=(i, c)) for i, c in enumerate((client, twin))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    ids = {acknowledged_claim_id(r) for r in results}  # both clicks answered with the acknowledgement
    assert len(ids) == 1
    assert claim_count(app) == 1
    with app.app_context():
        claim = db.session.get(Claim, ids.pop())
        assert claim.status == ClaimStatus.SUBMITTED and claim.submission_key == data["submission_key"]
        assert db.session.execute(select(ClaimSequence.last_value)).scalar_one() == 1


def test_a_draft_made_by_the_other_click_is_the_answer(app, monkeypatch):  # type: ignore[no-untyped-def]
    """The other click's draft committed first: this click's insert does nothing, the key is looked up only then, and the
    other click's draft comes back, with one draft and one stay in the database."""
    from claims.accounts.services import find_user
    from claims.intake import services
    from claims.workflow.models import ClaimStage

    key = "b" * 32
    with app.app_context():
        villager = find_user(VILLAGER)
        looked: list[str] = []
        real = services.find_by_submission_key

        def look(submission_key: str):  # type: ignore[no-untyped-def]
            looked.append(submission_key)
            return real(submission_key)

        monkeypatch.setattr(services, "find_by_submission_key", look)
        first = services.start_draft(actor=villager, submission_key=key, for_self=True)
        db.session.commit()
        first_id = first.id
        assert looked == []  # the usual path: the insert alone
        again = services.start_draft(actor=find_user(VILLAGER), submission_key=key, for_self=True)
        db.session.commit()
        assert again.id == first_id and looked == [key]
        assert db.session.execute(select(func.count()).select_from(Claim).where(Claim.submission_key == key)).scalar_one() == 1
        assert db.session.execute(select(func.count()).select_from(ClaimStage).where(ClaimStage.claim_id == first_id)).scalar_one() == 1


# --- a session that expires mid-form ----------------------------------------------------------------------


def test_expired_session_mid_form_keeps_what_was_typed(app, client):
    login(client, VILLAGER)
    page = open_form(client)
    data = claim_form(app, page, description="野猪半夜进了稻田，拱倒两亩多。", claimant_address="三仙湖村5组")

    clock.freeze(utcnow() + timedelta(minutes=31))  # the villager went to take photos and came back later
    response = post_form(client, page.action, data, photos(1))

    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login") and "next=" in login_url
    assert claim_count(app) == 0
    login_page = client.get(login_url).get_data(as_text=True)
    assert says(app, login_page, MSG_EXPIRED)
    with app.app_context():
        stash = db.session.execute(select(FormStash)).scalar_one()
        assert "野猪" not in stash.data and data["claimant_id_number"] not in stash.data  # kept encrypted

    # Log in again (still 31 minutes later): the same form page comes back filled in.
    again = client.post(login_url, data={"login": VILLAGER, "password": DEMO_PASSWORD, "csrf_token": csrf_token(client, login_url)})
    assert again.status_code == 302 and again.headers["Location"].endswith("/claims/new")
    restored = open_form(client, "/claims/new")
    assert restored.differences(data) == {}
    assert restored.submission_key == page.submission_key

    # It can then be submitted as it is, and is filed once.
    response = post_form(client, restored.action, dict(data, csrf_token=restored.csrf_token), photos(1))
    acknowledged_claim_id(response)
    assert claim_count(app) == 1
    # The rescued values were for one page view only, and are deleted once they are back in a saved form.
    assert open_form(client, "/claims/new").value("description") == ""
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(FormStash)).scalar_one() == 0


def test_a_rescued_form_goes_back_only_to_the_person_who_typed_it(app, client):
    """A shared phone: 张建国's session expires mid-form, then 李秀英 logs in on the same browser."""
    login(client, VILLAGER)
    page = open_form(client)
    data = claim_form(app, page)
    clock.freeze(utcnow() + timedelta(minutes=31))
    assert post_form(client, page.action, data, photos(1)).status_code == 302

    login(client, VILLAGER2)
    shown = open_form(client, "/claims/new")
    assert shown.value("claimant_name") == "李秀英"  # her own prefill, not his form
    assert data["claimant_id_number"] not in shown.html and data["bank_account"] not in shown.html
    assert shown.submission_key != page.submission_key


def test_a_blank_kind_of_loss_is_the_default_kind_not_an_error_page(app, as_user):
    """A kind of loss of spaces passed Optional() without the choice check and became a 500 (found by the fuzzed forms
    test): it is the default kind, as an empty one is."""
    client = as_user(VILLAGER)
    page = open_form(client)
    data = claim_form(app, page, **{"losses-0-category": "   "})

    claim_id = acknowledged_claim_id(post_form(client, page.action, data, photos(1)))

    with app.app_context():
        (loss,) = db.session.get(Claim, claim_id).losses
        assert loss.category.value == "crop"
