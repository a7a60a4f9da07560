"""The workflow through the pages, as the clerk, the officers and the claimant use it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event

from claims.core import time as clock
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.states import ClaimStatus
from tests.conftest import csrf_token, login
from tests.intake.images import jpeg_bytes
from tests.workflow.conftest import file_claim


def _claim(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = file_claim()
        return claim.id, claim.version


def _status(app, claim_id: int) -> ClaimStatus:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(Claim, claim_id).status


def _version(app, claim_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        return str(db.session.get(Claim, claim_id).version)


def test_clerk_accepts_officer_assigns_surveys_and_claimant_confirms(app):  # type: ignore[no-untyped-def]
    claim_id, version = _claim(app)
    clerk = app.test_client()
    login(clerk, "clerk")
    page = clerk.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'id="accept-button"' in page
    token = csrf_token(clerk, f"/claims/{claim_id}")
    assert clerk.post(f"/claims/{claim_id}/accept", data={"csrf_token": token, "version": version}).status_code == 302
    assert _status(app, claim_id) == ClaimStatus.ACCEPTED

    officer = app.test_client()
    login(officer, "officer")
    page = officer.get(f"/claims/{claim_id}").get_data(as_text=True)
    ids = re.findall(r'name="surveyors" type="checkbox" value="(\d+)"', page)
    assert len(ids) == 2
    token = csrf_token(officer, f"/claims/{claim_id}")
    response = officer.post(f"/claims/{claim_id}/assign", data={"csrf_token": token, "version": _version(app, claim_id), "surveyors": ids[:1]})
    assert response.status_code == 422  # one surveyor is not enough: the form comes back with the message
    response = officer.post(f"/claims/{claim_id}/assign", data={"csrf_token": token, "version": _version(app, claim_id), "surveyors": [ids[0], "999999"]})
    refused = response.get_data(as_text=True)  # an id not on the list: said in Chinese, not in WTForms' English
    assert response.status_code == 422 and "“999999”不是这一项的有效选项。" in refused and "valid choice" not in refused
    officer.post(f"/claims/{claim_id}/assign", data={"csrf_token": token, "version": _version(app, claim_id), "surveyors": ids})
    assert _status(app, claim_id) == ClaimStatus.SURVEY_ASSIGNED

    form = officer.get(f"/claims/{claim_id}/survey").get_data(as_text=True)
    line_ids = re.findall(r'name="(lines-\d+-loss_line_id)" type="hidden" value="(\d+)"', form)
    data = {
        "csrf_token": token,
        "version": _version(app, claim_id),
        "visited_at": clock.local_now().strftime("%Y-%m-%dT%H:%M"),
        "surveyors_present": "陈志强、周伟",
    }
    data.update({"in_designated_area": "yes", "evidence": ["tracks", "droppings"], "prevention_in_place": ["fence"], "outcome": "eligible"})
    for name, value in line_ids:
        data[name] = value
        data[name.replace("loss_line_id", "quantity")] = "2"
        data[name.replace("loss_line_id", "loss_rate")] = "80"
    data["photos"] = [(__import__("io").BytesIO(jpeg_bytes(seed=77)), "survey.jpg")]
    response = officer.post(f"/claims/{claim_id}/survey", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert _status(app, claim_id) == ClaimStatus.SURVEYED

    villager = app.test_client()
    login(villager, "13800000001")
    home = villager.get("/").get_data(as_text=True)
    assert re.search(r'class="count" aria-hidden="true">\d+<', home)  # the bell counts the notices
    token = csrf_token(villager, f"/claims/{claim_id}")
    response = villager.post(f"/claims/{claim_id}/confirmation", data={"csrf_token": token, "version": _version(app, claim_id), "decision": "confirm"})
    assert response.status_code == 422  # the "I have read" tick is missing; nothing changed
    villager.post(f"/claims/{claim_id}/confirmation", data={"csrf_token": token, "version": _version(app, claim_id), "decision": "confirm", "agree": "y"})
    assert _status(app, claim_id) == ClaimStatus.CONFIRMED
    history = villager.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert history.count("<li><time>") >= 6


def test_refusal_form_keeps_the_ticked_reasons(app):  # type: ignore[no-untyped-def]
    claim_id, version = _claim(app)
    clerk = app.test_client()
    login(clerk, "clerk")
    token = csrf_token(clerk, f"/claims/{claim_id}")
    response = clerk.post(f"/claims/{claim_id}/not-accept", data={"csrf_token": token, "version": version, "reasons": ["late_report"], "explanation": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'value="late_report"[^>]*checked|checked[^>]*value="late_report"', page)
    assert _status(app, claim_id) == ClaimStatus.SUBMITTED


def test_overdue_claims_are_listed_and_marked(app):  # type: ignore[no-untyped-def]
    claim_id, _ = _claim(app)
    clerk = app.test_client()
    login(clerk, "clerk")
    assert "overdue" not in clerk.get("/overdue").get_data(as_text=True).split("<main")[1].split("</main>")[0].replace("overdue-", "")
    clock.freeze(clock.utcnow() + timedelta(days=20))
    login(clerk, "clerk")
    page = clerk.get("/overdue").get_data(as_text=True)
    with app.app_context():
        number = db.session.get(Claim, claim_id).number
    assert number in page and "三仙湖镇" in page
    queue = clerk.get("/queue").get_data(as_text=True)
    assert number in queue and 'class="overdue"' in queue


def test_the_queue_reads_its_rows_with_their_villages_in_one_statement(app):  # type: ignore[no-untyped-def]
    """The to-do rows are read with the village's name joined in: no statement of their own for the villages, and a
    column the row does not show is not read (templates/workflow/queue.html)."""
    ids = [_claim(app)[0] for _ in range(3)]
    clerk = app.test_client()
    login(clerk, "clerk")
    clerk.get("/queue?warm")  # warm: settings and caches (its rows are kept under another address)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    with app.app_context():
        numbers = [db.session.get(Claim, i).number for i in ids]
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            page = clerk.get("/queue").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert all(n in page for n in numbers)
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 3 and rows.count("<td>") >= 3 and "<td></td>" not in rows  # each row names its village
    assert not [s for s in statements if s.startswith("SELECT regions.")]  # the villages came with the rows
    listed = [s for s in statements if " FROM claims " in s and "ORDER BY claims.due_at" in s]
    assert len(listed) == 1 and "claims.claimant_id_number" not in listed[0] and "JOIN regions" in listed[0]


def test_notifications_page_marks_read(app):  # type: ignore[no-untyped-def]
    _claim(app)
    clerk = app.test_client()
    login(clerk, "clerk")
    assert 'class="count" aria-hidden="true">1<' in clerk.get("/").get_data(as_text=True)
    token = csrf_token(clerk, "/notifications")
    clerk.post("/notifications/read", data={"csrf_token": token})
    assert 'class="count"' not in clerk.get("/").get_data(as_text=True)


def test_the_return_form_asks_for_the_note_and_keeps_the_ticks(app):  # type: ignore[no-untyped-def]
    claim_id, version = _claim(app)
    clerk = app.test_client()
    login(clerk, "clerk")
    token = csrf_token(clerk, f"/claims/{claim_id}")
    response = clerk.post(f"/claims/{claim_id}/return", data={"csrf_token": token, "version": version, "items": ["photos", "other"], "note": " "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "请在备注中写明还需要补正什么。" in page
    assert re.search(r'<input checked[^>]*value="photos"|value="photos"[^>]*checked', page)  # the ticks are kept
    assert _status(app, claim_id) == ClaimStatus.SUBMITTED


def test_a_version_that_is_not_a_number_is_a_stale_form(app):  # type: ignore[no-untyped-def]
    """A form's version field holding anything but a number is never taken as "no version": the step is refused as made
    from another version of the claim."""
    claim_id, _version_now = _claim(app)
    clerk = app.test_client()
    login(clerk, "clerk")
    token = csrf_token(clerk, f"/claims/{claim_id}")
    for version in ("abc", "1e309", "99999999999999999999", "-1"):
        response = clerk.post(f"/claims/{claim_id}/accept", data={"csrf_token": token, "version": version})
        assert response.status_code in (302, 409), (version, response.status_code)
        assert _status(app, claim_id) == ClaimStatus.SUBMITTED, version
    assert clerk.post(f"/claims/{claim_id}/accept", data={"csrf_token": token, "version": _version_now}).status_code == 302
    assert _status(app, claim_id) == ClaimStatus.ACCEPTED


def test_a_survey_before_the_day_of_the_incident_is_refused(app):  # type: ignore[no-untyped-def]
    claim_id, version = _claim(app)
    clerk = app.test_client()
    login(clerk, "clerk")
    clerk.post(f"/claims/{claim_id}/accept", data={"csrf_token": csrf_token(clerk, f"/claims/{claim_id}"), "version": version})
    officer = app.test_client()
    login(officer, "officer")
    ids = re.findall(r'name="surveyors" type="checkbox" value="(\d+)"', officer.get(f"/claims/{claim_id}").get_data(as_text=True))
    token = csrf_token(officer, f"/claims/{claim_id}")
    officer.post(f"/claims/{claim_id}/assign", data={"csrf_token": token, "version": _version(app, claim_id), "surveyors": ids})
    with app.app_context():
        incident_day = clock.to_local(db.session.get(Claim, claim_id).incident_at).date()
    data = {"csrf_token": token, "version": _version(app, claim_id), "surveyors_present": "陈志强、周伟", "outcome": "eligible",
            "in_designated_area": "yes", "evidence": ["tracks"], "prevention_in_place": ["fence"]}  # fmt: skip
    data["visited_at"] = f"{incident_day - timedelta(days=1)}T10:00"
    response = officer.post(f"/claims/{claim_id}/survey", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f"勘查时间不能早于事发当天（{incident_day}）。" in page
    assert 'value="陈志强、周伟"' in page  # what was typed is kept
    assert _status(app, claim_id) == ClaimStatus.SURVEY_ASSIGNED


def test_a_clerks_own_filing_in_her_to_do_says_who_takes_its_intake(app):  # type: ignore[no-untyped-def]
    """A claim the clerk filed for a villager waits in her to-do for its intake, which another clerk or a county
    officer takes: the row says so, and so does a villager's claim she rewrote and resubmitted after its return.
    In a county that lets the filer take it (one-clerk townships), it does not."""
    from claims.accounts.services import find_user
    from claims.intake import review
    from claims.regions.admin_services import set_county_setting
    from tests.workflow.conftest import region
    from tests.workflow.test_bent_paths import _edit

    with app.app_context():
        own = file_claim("clerk")
        villagers = file_claim(seed=71)
        resubmitted = file_claim(seed=72)
        review.return_claim(resubmitted, ["photos"], "照片看不清", actor=find_user("officer"))
        db.session.commit()
        _edit(resubmitted, find_user("clerk"), submit=True, note="补充说明")
        db.session.commit()
        numbers = own.number, villagers.number, resubmitted.number
    clerk = app.test_client()
    login(clerk, "clerk")

    def badged() -> list[str]:
        rows = clerk.get("/queue").get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0].split("<tr>")
        return [number for number in numbers for row in rows if number in row and "intake-by-another" in row]

    assert badged() == [numbers[0], numbers[2]]
    with app.app_context():
        set_county_setting(region("430921"), "filer_may_accept", "1", clock.local_today(), "一人乡镇", actor=find_user("admin"))
        db.session.commit()
    assert badged() == []
