"""Field work without signal (issue 17): the officer's survey and the villager's filing are saved on the phone with
their photos and positions, open again offline with the draft in them, and arrive once when the signal returns; a
draft sent twice files one claim; a claim changed meanwhile shows both versions; logging out warns, then leaves
nothing of the account on the phone.

The signal is cut twice over: Playwright's offline switch for the page (navigator.onLine, the `offline` and
`online` events) and, since that switch does not reach the service worker, a route that aborts every request of
the context. The drafts then go by the page's retry loop, not by a Background Sync event.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from claims.accounts.services import find_user
from claims.extensions import db
from claims.intake import review
from claims.intake.models import Claim, Photo, PhotoStage
from claims.survey.models import FieldSurvey
from claims.workflow.states import ClaimStatus
from tests.browser.conftest import Phone
from tests.browser.steps import log_in
from tests.browser.test_age_friendly import AXE, AXE_RULES, AXE_RUN, SMALL_TARGETS
from tests.browser.test_filing_journeys import LOCAL, choose_place, fill_incident, fill_loss, resident_id, wrong_check_digit
from tests.browser.test_pwa import cut_the_signal, wait_for_the_shell
from tests.factories import advance, file_claim
from tests.intake import images
from tests.survey.test_survey_fields import LOSSES

pytestmark = [pytest.mark.browser]

SEND_WAIT_MS = 30_000  # the retry loop's first tries come within seconds of the signal's return

DRAFTS = """async () => {
  const owner = document.querySelector('meta[name=claims-account]').content;
  return (await ClaimsDrafts.list(owner)).map(d => ({id: d.id, state: d.state, photos: (d.photos || []).length,
    positions: (d.photos || []).map(p => [p.lat, p.lon]), fields: d.fields}));
}"""


# Whether the account's kept form pages (the service worker's cache) hold the page at `path`.
KEPT = """async path => {
  const owner = document.querySelector('meta[name=claims-account]').content;
  return !!(await (await caches.open('claims-forms-' + owner)).match(new URL(path, location.href).href));
}"""


def wait_until(page: Any, script: str, arg: Any, wanted: Any, timeout_ms: int = 15_000) -> None:
    """Evaluate the async `script` until it gives `wanted` (wait_for_function would take its promise for a truthy answer)."""
    waited = 0
    while (got := page.evaluate(script, arg)) != wanted:
        assert waited < timeout_ms, f"{script[:60]}... gave {got!r}, not {wanted!r}"
        page.wait_for_timeout(200)
        waited += 200


DRAFT_COUNT = """n => window.ClaimsDrafts &&
  ClaimsDrafts.list(document.querySelector('meta[name=claims-account]').content).then(rows => rows.length === n)"""


def lose_the_signal(page: Any) -> None:
    cut_the_signal(page)
    page.context.set_offline(True)


def signal_returns(page: Any) -> None:
    page.context.unroute("**/*")
    page.context.set_offline(False)


def phone_photo(name: str, seed: int) -> dict[str, Any]:
    taken = datetime.now(LOCAL) - timedelta(hours=3)
    exif = images.make_exif(taken=taken, offset="+08:00", gps=(29.3625 + seed / 10000, 112.3981))
    return {"name": name, "mimeType": "image/jpeg", "buffer": images.jpeg_bytes(640, 480, seed=seed, exif=exif)}


def add_photos(page: Any, selector: str, files: list[dict[str, Any]]) -> None:
    page.set_input_files(selector, files)
    page.wait_for_function(
        "n => { try { return JSON.parse(document.querySelector('[name=photo_meta]').value || '[]').length >= n; } catch (e) { return false; } }",
        arg=len(files),
    )


def assigned_claim(app: Flask) -> int:
    with app.app_context():
        claim = file_claim()
        advance(claim, "survey_assigned")
        db.session.commit()
        return claim.id


def open_kept_form(phone: Phone, path: str) -> None:
    """Open a form once the service worker controls the page: it keeps that form for the account."""
    phone.goto(path)
    wait_for_the_shell(phone.page)
    phone.goto(path)
    phone.page.wait_for_selector("#draft-status", state="attached")


def fill_survey(page: Any) -> None:
    page.fill("#witnesses", "村民李四")
    page.check("input[name=outcome][value=eligible]")
    page.check("input[name=evidence][value=tracks]")
    page.check("input[name=prevention_in_place][value=scaring]")
    page.select_option("#in_designated_area", "na")
    page.fill("#lines-0-quantity", "2.2")
    page.fill("#explanation", "田里一片狼藉，野猪脚印清楚。")


def survey_saved_offline(app: Flask, phone: Phone, photos: list[dict[str, Any]] | None = None, **fields: str) -> int:
    """The second officer opens the survey of a newly assigned claim, loses the signal, fills it (`fields` by input
    id), adds `photos` and saves it on the phone; the claim's id."""
    claim_id = assigned_claim(app)
    log_in(phone, "officer2")
    open_kept_form(phone, f"/claims/{claim_id}/survey")
    lose_the_signal(phone.page)
    fill_survey(phone.page)
    for name, value in fields.items():
        phone.page.fill(f"#{name}", value)
    if photos:
        add_photos(phone.page, "#photo-camera", photos)
    save_offline(phone.page, "#survey-form button[type=submit]")
    return claim_id


def save_offline(page: Any, button: str) -> None:
    page.click(button)
    page.wait_for_function("() => /已保存在本手机上/.test(document.querySelector('#draft-status').innerText)")


def fill_report(page: Any, photos: list[dict[str, Any]], id_number: str, crop: str = "水稻") -> None:
    """A villager's report of boar damage to `crop`, with `photos`."""
    page.fill("#claimant_id_number", id_number)
    page.fill("#claimant_address", "南县三仙湖镇利群村5组")
    page.fill("#bank_name", "湖南南县农村商业银行")
    page.fill("#bank_account", "6214 8312 3456 7890")
    choose_place(page, "利群村")
    fill_incident(page, description=f"夜里野猪下田拱食{crop}，约两亩倒伏。")
    fill_loss(page, 0, crop, "2")
    page.check("#declaration")
    add_photos(page, "#photo-gallery", photos)


def fill_filing(page: Any, photos: list[dict[str, Any]]) -> None:
    """A villager's report of boar damage to rice, with `photos`, saved on the phone."""
    fill_report(page, photos, resident_id("43232219720808002"))
    save_offline(page, "button[name=action][value=submit]")


def survey_facts(app: Flask, claim_id: int) -> tuple[int, list[tuple[float | None, float | None]], str | None]:
    with app.app_context():
        surveys = db.session.execute(select(FieldSurvey).where(FieldSurvey.claim_id == claim_id)).scalars().all()
        photos = db.session.execute(select(Photo).where(Photo.claim_id == claim_id, Photo.stage == PhotoStage.SURVEY).order_by(Photo.id)).scalars().all()
        return len(surveys), [(p.browser_lat, p.browser_lon) for p in photos], surveys[0].witnesses if surveys else None


def test_the_officer_surveys_without_signal_and_the_survey_arrives_once(app: Flask, app_phone: Phone) -> None:
    page = app_phone.page
    claim_id = survey_saved_offline(app, app_phone, photos=[phone_photo("site-1.jpg", 11), phone_photo("site-2.jpg", 12)])
    drafts = page.evaluate(DRAFTS)
    assert [(d["state"], d["photos"]) for d in drafts] == [("waiting", 2)]
    assert drafts[0]["positions"] == [[29.36, 112.4], [29.36, 112.4]]  # the phone's position when each was taken
    assert page.locator("#drafts li[data-state=waiting]").count() == 1  # the list of what waits to be sent

    page.reload()  # still no signal: the form comes from the phone, with the draft back in it
    page.wait_for_selector("#survey-form")
    page.wait_for_function("() => document.querySelectorAll('#photo-preview li.on-phone').length === 2")
    assert page.input_value("#witnesses") == "村民李四" and page.input_value("#lines-0-quantity") == "2.2"
    assert page.is_checked("input[name=outcome][value=eligible]")
    assert survey_facts(app, claim_id)[0] == 0

    signal_returns(page)
    page.wait_for_url(re.compile(rf"/claims/{claim_id}$"), timeout=SEND_WAIT_MS)
    count, positions, witnesses = survey_facts(app, claim_id)
    assert count == 1 and witnesses == "村民李四"
    assert positions == [(29.36, 112.4), (29.36, 112.4)]
    assert page.evaluate(DRAFTS)[0]["state"] == "done"  # a receipt, without the photos
    assert not page.evaluate(KEPT, f"/claims/{claim_id}/survey"), "the survey's form is no longer kept on the phone"
    page.reload()
    assert survey_facts(app, claim_id)[0] == 1  # nothing sent again
    app_phone.assert_clean()


def test_a_villager_files_without_signal_and_the_claim_arrives_once(app: Flask, app_phone: Phone) -> None:
    page = app_phone.page
    log_in(app_phone, "13800000001")
    open_kept_form(app_phone, "/claims/new")

    page.add_script_tag(url=AXE)  # loaded while there is a signal: the draft's list and message are checked below
    lose_the_signal(page)
    fill_filing(page, [phone_photo("rice-1.jpg", 21), phone_photo("rice-2.jpg", 22)])
    assert [(d["state"], d["photos"]) for d in page.evaluate(DRAFTS)] == [("waiting", 2)]
    assert page.locator("#drafts li[data-state=waiting]").count() == 1
    problems = page.evaluate(AXE_RUN, AXE_RULES) + page.evaluate(SMALL_TARGETS, 44)
    assert not problems, problems  # the waiting list and the message are as usable as the rest of a villager's page

    page.reload()
    page.wait_for_function("() => document.querySelectorAll('#photo-preview li.on-phone').length === 2")
    assert page.input_value("#bank_name") == "湖南南县农村商业银行" and page.input_value("#losses-0-item") == "水稻"
    assert page.eval_on_selector("#village_id", "s => s.options[s.selectedIndex].text") == "利群村"

    signal_returns(page)
    page.wait_for_url(re.compile(r"/claims/\d+/submitted$"), timeout=SEND_WAIT_MS)
    with app.app_context():
        claims = db.session.execute(select(Claim)).scalars().all()
        mine = [c for c in claims if c.bank_name == "湖南南县农村商业银行"]
        assert len(mine) == 1 and mine[0].status == ClaimStatus.SUBMITTED
        assert sorted((p.browser_lat, p.browser_lon) for p in mine[0].photos) == [(29.36, 112.4), (29.36, 112.4)]
        assert all(p.taken_at is not None for p in mine[0].photos)  # EXIF read from what arrived
    app_phone.assert_clean()


def test_the_same_draft_sent_twice_files_one_claim(app: Flask, app_phone: Phone) -> None:
    page = app_phone.page
    log_in(app_phone, "13800000001")
    open_kept_form(app_phone, "/claims/new")
    with app.app_context():
        before = db.session.execute(select(func.count()).select_from(Claim)).scalar_one()
    lose_the_signal(page)
    fill_filing(page, [phone_photo("rape-1.jpg", 31)])
    page.goto(app_phone.base_url + "/claims/")  # another page, without a signal: the offline page lists the draft
    page.wait_for_selector("#offline")
    page.wait_for_selector("#drafts li[data-state=waiting]")
    signal_returns(page)  # the offline page's retry loop sends it, and the test sends it twice more at once
    answers = page.evaluate(
        """async () => {
          const [draft] = await ClaimsDrafts.list(localStorage.getItem('claims.owner'));
          const who = await ClaimsDrafts.session();
          return Promise.all([ClaimsDrafts.send(draft, who.token), ClaimsDrafts.send(draft, who.token)]);
        }"""
    )
    assert [a["result"] for a in answers] == ["done", "done"] and answers[0]["url"] == answers[1]["url"]
    page.wait_for_selector("#drafts li[data-state=done]", timeout=SEND_WAIT_MS)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Claim)).scalar_one() == before + 1
    app_phone.assert_clean()


def test_a_claim_changed_meanwhile_shows_both_versions_and_the_officer_decides(app: Flask, app_phone: Phone) -> None:
    page = app_phone.page
    claim_id = survey_saved_offline(app, app_phone, surveyors_present="周伟")

    with app.app_context():  # meanwhile at the county: another officer records the survey of the same visit
        claim = db.session.get(Claim, claim_id)
        advance(claim, "surveyed", surveyor="officer")
        db.session.commit()

    signal_returns(page)
    page.wait_for_selector("#draft-conflict", timeout=SEND_WAIT_MS)
    conflict = page.locator("#draft-conflict")
    assert "两个版本" in conflict.inner_text()
    headers = conflict.locator("th[scope=col]").all_inner_texts()
    assert headers[1:] == ["本手机上", "服务器上现在的内容"]
    row = conflict.locator("tr[data-field=surveyors_present]")
    assert row.locator("td.mine").inner_text() == "周伟"
    assert row.locator("td.theirs").inner_text() not in ("周伟", "—")
    assert page.evaluate(DRAFTS)[0]["state"] == "conflict"
    assert survey_facts(app, claim_id)[0] == 1  # nothing overwritten

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#discard-mine")
    page.wait_for_url(re.compile(rf"/claims/{claim_id}$"))
    assert page.evaluate(DRAFTS) == []
    app_phone.errors[:] = [e for e in app_phone.errors if "status of 409" not in e]  # the conflict's answer, expected
    app_phone.assert_clean()


def test_logging_out_warns_of_unsent_drafts_then_leaves_nothing_on_the_phone(app: Flask, app_phone: Phone) -> None:
    page = app_phone.page
    claim_id = survey_saved_offline(app, app_phone)
    owner = page.get_attribute("meta[name=claims-account]", "content")
    # The signal returns for pages but the survey's upload still fails: the draft stays unsent.
    page.context.route(
        re.compile(r".*/claims/\d+/survey$"), lambda route: route.abort("internetdisconnected") if route.request.method == "POST" else route.fallback()
    )
    signal_returns(page)

    said: list[str] = []

    def refuse(dialog: Any) -> None:
        said.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", refuse)
    page.click("form[data-logout] button")
    page.wait_for_timeout(300)
    assert said and "1 份草稿" in said[0]
    assert "/login" not in page.url and len(page.evaluate(DRAFTS)) == 1  # kept: the officer said no

    page.once("dialog", lambda dialog: dialog.accept())
    app_phone.navigate(lambda: page.click("form[data-logout] button"), "log out")
    assert "/login" in page.url
    left = page.evaluate(
        """async (owner) => {
          const db = await new Promise(r => { const q = indexedDB.open('claims-drafts', 1); q.onsuccess = () => r(q.result); });
          const rows = await new Promise(r => { const q = db.transaction('drafts').objectStore('drafts').getAll(); q.onsuccess = () => r(q.result); });
          return {rows: rows.length, caches: (await caches.keys()).filter(n => n.includes(owner))};
        }""",
        owner,
    )
    assert left == {"rows": 0, "caches": []}
    with app.app_context():
        assert survey_facts(app, claim_id)[0] == 0
    app_phone.assert_clean()


def test_the_filing_page_first_load_stays_under_100_kb(phone: Phone) -> None:
    """Everything the filing page downloads when nothing is in the browser's cache (routing turns the cache off):
    the page, its stylesheet, scripts and icon; the service worker's precache is not counted (it downloads after the
    page is usable; the `phone` fixture blocks it)."""
    page = phone.page
    log_in(phone, "13800000001")
    sizes: dict[str, int] = {}
    page.route("**/*", lambda route: route.continue_())
    page.on("requestfinished", lambda request: sizes.__setitem__(request.url, request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]))
    phone.goto("/claims/new")
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("/static/js/drafts-ui.js") for url in sizes)  # the offline drafts are part of it
    assert sum(sizes.values()) < 100 * 1024, sizes
    phone.assert_clean()


def test_a_session_that_expired_offline_sends_the_drafts_after_the_next_login(app: Flask, app_phone: Phone) -> None:
    page = app_phone.page
    claim_id = survey_saved_offline(app, app_phone)
    with app.app_context():  # the session ends while the phone is in the fields (idle limit, or logged out elsewhere)
        officer = find_user("officer2")
        officer.session_epoch += 1
        db.session.commit()
    signal_returns(page)
    page.wait_for_selector("#draft-status a[href^='/login']", timeout=SEND_WAIT_MS)
    assert "重新登录" in page.inner_text("#draft-status")
    assert page.evaluate(DRAFTS)[0]["state"] == "login" and survey_facts(app, claim_id)[0] == 0

    log_in(app_phone, "officer2")
    page.wait_for_selector("#drafts li[data-state=done]", timeout=SEND_WAIT_MS)
    assert survey_facts(app, claim_id)[0] == 1
    app_phone.errors[:] = [e for e in app_phone.errors if "status of 401" not in e]  # the expired session's answer, expected
    app_phone.assert_clean()


def test_in_save_data_mode_the_phone_sends_smaller_photos_that_keep_time_and_place(app: Flask, app_phone: Phone) -> None:
    page = app_phone.page
    claim_id = assigned_claim(app)
    log_in(app_phone, "officer2")
    app_phone.goto(f"/claims/{claim_id}/survey")
    fill_survey(page)
    page.check("#save-data")
    taken = datetime.now(LOCAL) - timedelta(hours=2)
    exif = images.make_exif(taken=taken, offset="+08:00", gps=(29.3625, 112.3981))
    big = {"name": "wide.jpg", "mimeType": "image/jpeg", "buffer": images.jpeg_bytes(4000, 3000, seed=41, exif=exif)}
    add_photos(page, "#photo-camera", [big])
    app_phone.navigate(lambda: page.click("#survey-form button[type=submit]"), "save the survey")
    assert page.url.endswith(f"/claims/{claim_id}")
    assert page.locator(".resized-on-phone").count() == 1  # the claim says the phone resized it
    with app.app_context():
        photo = db.session.execute(select(Photo).where(Photo.claim_id == claim_id, Photo.stage == PhotoStage.SURVEY)).scalar_one()
        assert photo.resized_on_phone and (photo.width, photo.height) == (2560, 1920)
        assert photo.size_bytes < len(big["buffer"])
        assert photo.exif_lat == pytest.approx(29.3625, abs=1e-4) and photo.taken_at is not None  # the evidence checks still work
    assert page.evaluate("localStorage.getItem('claims.saveData')") == "1"  # the choice stays for the next form
    app_phone.assert_clean()


def test_losing_the_signal_while_typing_keeps_the_form_on_the_phone_unsent(app: Flask, app_phone: Phone) -> None:
    page = app_phone.page
    claim_id = assigned_claim(app)
    log_in(app_phone, "officer2")
    open_kept_form(app_phone, f"/claims/{claim_id}/survey")
    page.fill("#witnesses", "村民王五")
    lose_the_signal(page)  # the officer has not tapped save: what is typed is kept, not sent
    wait_until(page, DRAFT_COUNT, 1, True)
    assert [d["state"] for d in page.evaluate(DRAFTS)] == ["editing"]
    page.reload()
    # The draft is read back from IndexedDB after the page's load event: wait for it (on a busy machine, after the load).
    page.wait_for_function("() => document.querySelector('#witnesses').value !== ''", timeout=15_000)
    assert page.input_value("#witnesses") == "村民王五"
    signal_returns(page)
    page.wait_for_timeout(1000)
    assert [d["state"] for d in page.evaluate(DRAFTS)] == ["editing"] and survey_facts(app, claim_id)[0] == 0
    app_phone.assert_clean()


def test_an_injury_survey_with_its_invoice_photo_arrives_from_the_phone(app: Flask, app_phone: Phone) -> None:
    page = app_phone.page
    with app.app_context():
        claim = file_claim(losses=LOSSES)
        advance(claim, "survey_assigned")
        db.session.commit()
        claim_id = claim.id
    log_in(app_phone, "officer2")
    open_kept_form(app_phone, f"/claims/{claim_id}/survey")
    lose_the_signal(page)
    fill_survey(page)
    page.select_option("#lines-1-condition", "missing")
    page.fill("#lines-2-hospital_days", "6")
    page.fill("#lines-2-invoices-0-amount", "860.50")
    page.set_input_files("#lines-2-invoices-0-photo", [phone_photo("invoice-1.jpg", 51)])
    add_photos(page, "#photo-camera", [phone_photo("site-1.jpg", 52)])
    save_offline(page, "#survey-form button[type=submit]")
    page.reload()  # the invoice's photo comes back beside its own field
    page.wait_for_selector("#lines-2-invoices-0-photo ~ p.on-phone img")
    assert page.input_value("#lines-2-invoices-0-amount") == "860.50"

    signal_returns(page)
    page.wait_for_url(re.compile(rf"/claims/{claim_id}$"), timeout=SEND_WAIT_MS)
    with app.app_context():
        survey = db.session.execute(select(FieldSurvey).where(FieldSurvey.claim_id == claim_id)).scalar_one()
        invoices = [i for line in survey.lines for i in line.invoices]
        assert [str(i.amount) for i in invoices] == ["860.50"] and invoices[0].photo.stage == PhotoStage.INVOICE
        stages = sorted(str(p.stage) for p in db.session.get(Claim, claim_id).photos)
        assert stages == ["filing", "invoice", "survey"]
    app_phone.assert_clean()


def test_a_correction_sent_without_signal_is_kept_on_the_phone_and_arrives(app: Flask, app_phone: Phone) -> None:
    """A claim returned for correction: the villager corrects it where there is no signal. The form opens again from
    the phone with the correction in it, and the claim is submitted again once, with it, when the signal returns."""
    page = app_phone.page
    with app.app_context():
        claim = file_claim()
        review.return_claim(claim, ["bank_account"], "银行卡号少了一位", actor=find_user("clerk"))
        db.session.commit()
        claim_id, number = claim.id, claim.number
    log_in(app_phone, "13800000001")
    open_kept_form(app_phone, f"/claims/{claim_id}/edit")
    lose_the_signal(page)
    page.fill("#bank_account", "6228480010123456789")
    if not page.is_checked("#declaration"):
        page.check("#declaration")
    save_offline(page, "button[name=action][value=submit]")
    drafts = page.evaluate(DRAFTS)
    assert [d["state"] for d in drafts] == ["waiting"]
    assert page.locator("#drafts li[data-state=waiting]").inner_text().count(number) == 1  # named by its claim number

    page.reload()  # still no signal: the correction comes back from the phone
    page.wait_for_function("() => document.querySelector('#bank_account').value === '6228480010123456789'", timeout=15_000)
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.RETURNED

    signal_returns(page)
    page.wait_for_url(re.compile(rf"/claims/{claim_id}/submitted$"), timeout=SEND_WAIT_MS)
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim.status == ClaimStatus.SUBMITTED and claim.bank_account == "6228480010123456789" and claim.number == number
    assert [d["state"] for d in page.evaluate(DRAFTS)] == ["done"]
    assert not page.evaluate(KEPT, f"/claims/{claim_id}/edit"), "the claim's form is no longer kept on the phone"
    # Its receipt is listed as sent, not under the heading of what waits.
    page.wait_for_selector("#drafts li[data-state=done]")
    assert page.locator("#drafts h2").all_inner_texts() == ["已从本手机送达"]
    app_phone.assert_clean()


def test_a_refused_filing_corrected_without_signal_opens_again_from_the_phone(app: Flask, app_phone: Phone) -> None:
    """A filing refused for a wrong ID number is drawn at /claims/new but corrected on the claim's own form: that
    form is kept on the phone while there is a signal, so a correction typed without one opens again with it."""
    page = app_phone.page
    good_id = resident_id("43232219720808003")
    log_in(app_phone, "13800000001")
    open_kept_form(app_phone, "/claims/new")
    fill_report(page, [phone_photo("rape.jpg", 31)], wrong_check_digit(good_id), crop="油菜")
    page.click("button[name=action][value=submit]")
    page.wait_for_selector("div.field.has-error #claimant_id_number")
    app_phone.errors[:] = [e for e in app_phone.errors if "status of 422" not in e]  # the refusal's answer, expected
    edit_path = page.eval_on_selector("#claim-form", "f => new URL(f.getAttribute('action'), location.href).pathname")
    assert re.fullmatch(r"/claims/\d+/edit", edit_path), edit_path
    wait_until(page, KEPT, edit_path, True)

    lose_the_signal(page)
    page.fill("#claimant_id_number", good_id)
    save_offline(page, "button[name=action][value=submit]")
    page.reload()  # no signal: the claim's form comes from the phone with the correction in it
    page.wait_for_function("id => document.querySelector('#claimant_id_number').value === id", arg=good_id, timeout=15_000)

    signal_returns(page)
    page.wait_for_url(re.compile(r"/claims/\d+/submitted$"), timeout=SEND_WAIT_MS)
    claim_id = int(edit_path.split("/")[2])
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim.status == ClaimStatus.SUBMITTED and claim.claimant_id_number == good_id
        assert db.session.execute(select(func.count()).select_from(Claim).where(Claim.bank_name == "湖南南县农村商业银行")).scalar_one() == 1
    app_phone.assert_clean()


KEPT_VERSION = """async path => {
  const owner = document.querySelector('meta[name=claims-account]').content;
  const kept = await (await caches.open('claims-forms-' + owner)).match(new URL(path, location.href).href);
  const found = kept && /name="version" value="(\\d+)"/.exec(await kept.text());
  return found ? found[1] : null;
}"""


def test_a_correction_refused_online_keeps_the_fresh_form_on_the_phone(app: Flask, app_phone: Phone) -> None:
    """A correction sent with a wrong ID number is refused, and what passed is kept, so the claim's version moves on:
    the form kept on the phone is the fresh one, so a correction typed on it later without signal is not a conflict."""
    page = app_phone.page
    with app.app_context():
        claim = file_claim()
        review.return_claim(claim, ["bank_account"], "银行卡号少了一位", actor=find_user("clerk"))
        db.session.commit()
        claim_id = claim.id
    path = f"/claims/{claim_id}/edit"
    log_in(app_phone, "13800000001")
    open_kept_form(app_phone, path)
    before = page.evaluate(KEPT_VERSION, path)
    page.fill("#claimant_id_number", wrong_check_digit(resident_id("43232219720808004")))
    page.fill("#bank_account", "6228480010123456789")
    page.click("button[name=action][value=submit]")
    page.wait_for_selector("div.field.has-error #claimant_id_number")
    app_phone.errors[:] = [e for e in app_phone.errors if "status of 422" not in e]  # the refusal's answer, expected
    now = page.input_value("input[name=version]")
    assert before is not None and int(now) > int(before)
    wait_until(page, KEPT_VERSION, path, now)
    app_phone.assert_clean()
