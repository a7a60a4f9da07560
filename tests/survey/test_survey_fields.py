"""The survey form records what valuation needs, by the line's category: an animal's condition, a person's days,
disability and medical invoices (photo + amount); the prevention checklist and the protection zone. Bad input
comes back in Chinese with everything typed kept; the claim page and the survey record show what was verified."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from claims.accounts.services import find_user
from claims.documents.builders import survey_record_data
from claims.extensions import db
from claims.intake import services as intake
from claims.intake.models import Claim, LossCategory, Photo, PhotoStage
from claims.survey.models import FieldSurvey, MedicalInvoice
from claims.survey.services import latest_survey
from claims.valuation.schedules import import_schedule, publish_schedule
from claims.workflow.models import AuditEvent
from tests.conftest import csrf_token, login
from tests.factories import advance, file_claim, page_text
from tests.intake.images import jpeg_bytes

D = Decimal
LOSSES = [
    intake.LossInput(LossCategory.CROP, "水稻", D("2.5"), "mu"),
    intake.LossInput(LossCategory.POULTRY, "鸡", D("3"), "bird"),
    intake.LossInput(LossCategory.INJURY, "张建国", D("1"), "person", hospital_days=4),
]


def _assigned(app: Flask) -> int:
    with app.app_context():
        claim = file_claim(losses=LOSSES)
        advance(claim, "survey_assigned")
        db.session.commit()
        return claim.id


def _form(app: Flask, client: FlaskClient, claim_id: int, **extra: Any) -> dict[str, Any]:
    page = client.get(f"/claims/{claim_id}/survey").get_data(as_text=True)
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        version = str(claim.version)
    data: dict[str, Any] = {
        "csrf_token": csrf_token(client, f"/claims/{claim_id}/survey"),
        "version": version,
        "visited_at": re.search(r'name="visited_at"[^>]*value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
        "surveyors_present": "陈志强、周伟",
        "outcome": "eligible",
        "evidence": ["tracks"],
        "prevention_in_place": ["scaring"],
        "in_designated_area": "na",
        "in_protection_zone": "no",
    }
    for name, value in re.findall(r'name="(lines-\d+-loss_line_id)" type="hidden" value="(\d+)"', page):
        data[name] = value
        data[name.replace("loss_line_id", "quantity")] = "1"
    return data | extra


def _record(app: Flask, client: FlaskClient, fields: dict[str, Any]) -> tuple[int, Any]:
    """The second officer posts the survey form of a newly assigned claim with `fields`: (claim id, response)."""
    claim_id = _assigned(app)
    login(client, "officer2")
    data = _form(app, client, claim_id, **fields)
    return claim_id, client.post(f"/claims/{claim_id}/survey", data=data, content_type="multipart/form-data")


def _invoice(seed: int) -> tuple[io.BytesIO, str]:
    return (io.BytesIO(jpeg_bytes(seed=seed)), f"invoice-{seed}.jpg")


def recorded() -> dict[str, Any]:
    """Fields a valid survey adds (fresh files each call: a file is read once)."""
    return {
        "lines-0-loss_rate": "80",
        "lines-0-growth_stage": "mature",
        "lines-1-condition": "missing",
        "lines-1-quantity": "3",
        "lines-2-hospital_days": "10",
        "lines-2-lost_work_days": "30",
        "lines-2-nursing_days": "10",
        "lines-2-disability_grade": "8",
        "lines-2-invoices-0-amount": "1200.50",
        "lines-2-invoices-0-photo": _invoice(501),
        "lines-2-invoices-1-amount": "799.50",
        "lines-2-invoices-1-photo": _invoice(502),
        "lines-2-invoices-2-amount": "",  # the third row left empty, as a browser sends it
    }


def refused() -> dict[str, Any]:
    """Fields that are wrong together: both disability figures, an invoice without photo, one without amount."""
    return {
        "lines-2-hospital_days": "12",
        "lines-2-disability_grade": "8",
        "lines-2-disability_amount": "5000",
        "lines-2-invoices-0-amount": "300",  # no photo
        "lines-2-invoices-1-photo": _invoice(503),  # no amount
        "lines-1-condition": "eaten",
    }


def test_the_form_shows_each_line_the_fields_of_its_category(app: Flask, client: FlaskClient) -> None:
    claim_id = _assigned(app)
    login(client, "officer")
    page = client.get(f"/claims/{claim_id}/survey").get_data(as_text=True)
    # rice: stage and loss rate; chickens: condition and grade; the person: days, disability, invoices
    assert 'name="lines-0-growth_stage"' in page and 'name="lines-0-condition"' not in page and 'name="lines-0-hospital_days"' not in page
    assert 'name="lines-1-condition"' in page and 'name="lines-1-growth_stage"' not in page and 'name="lines-1-loss_rate"' not in page
    assert 'name="lines-2-hospital_days"' in page and 'name="lines-2-invoices-0-photo"' in page and 'name="lines-2-condition"' not in page
    assert 'name="prevention_in_place"' in page and 'name="in_protection_zone"' in page
    text = page_text(page)
    assert "已采取的防范措施" in text and "医疗发票（每张拍照并填写金额，合计即为医疗费）" in text


def test_the_survey_records_invoices_days_and_condition(app: Flask, client: FlaskClient) -> None:
    claim_id, response = _record(app, client, recorded())
    assert response.status_code == 302, page_text(response.get_data(as_text=True))[:2000]
    with app.app_context():
        survey = latest_survey(db.session.get(Claim, claim_id))
        assert survey is not None, page_text(client.get(f"/claims/{claim_id}").get_data(as_text=True))[:1500]
        assert (survey.prevention_in_place, survey.in_protection_zone) == (["scaring"], False)
        rice, chickens, person = survey.lines
        assert (rice.loss_rate, rice.growth_stage, rice.condition) == (80, "mature", None)
        assert (chickens.condition, chickens.quantity) == ("missing", D("3"))
        assert (person.hospital_days, person.lost_work_days, person.nursing_days, person.disability_grade) == (10, 30, 10, 8)
        assert [i.amount for i in person.invoices] == [D("1200.50"), D("799.50")]
        assert person.medical_costs == D("2000.00")
        assert all(i.photo.claim_id == claim_id for i in person.invoices)
        # review #5: an invoice is a paper, not the scene: its own stage, no evidence flags, not a site photo of the record
        assert all((i.photo.stage, i.photo.flags or []) == (PhotoStage.INVOICE, []) for i in person.invoices)
        record = survey_record_data(db.session.get(Claim, claim_id), survey)
        assert not {p.sha256 for p in record.photos} & {i.photo.sha256 for i in person.invoices}
    text = page_text(client.get(f"/claims/{claim_id}").get_data(as_text=True))
    assert "失踪" in text and "住院 10 天" in text and "误工 30 天" in text and "伤残 8 级" in text
    assert "医疗发票2张，合计2,000.00元" in text
    assert "已采取的防范措施" in text and "驱赶装置（声、光、稻草人）" in text
    assert "位于自然保护地内" in text


def test_bad_input_comes_back_in_chinese_with_everything_kept(app: Flask, client: FlaskClient) -> None:
    claim_id, response = _record(app, client, refused())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    text = page_text(page)
    assert "伤残等级与核定伤残赔偿金额只填其一。" in text
    assert "请拍摄或上传这张发票的照片（出错后需重新选择：网页无法保留已选的文件）。" in text
    assert "请填写这张发票的金额。" in text
    assert re.search(r'name="lines-2-hospital_days"[^>]*value="12"', page)
    assert re.search(r'name="lines-2-invoices-0-amount"[^>]*value="300"', page)
    assert re.search(r'value="scaring"[^>]*checked|checked[^>]*value="scaring"', page)
    with app.app_context():
        assert db.session.query(FieldSurvey).filter_by(claim_id=claim_id).count() == 0
        assert db.session.query(MedicalInvoice).count() == 0


def _nothing_saved(app: Flask, claim_id: int) -> None:
    with app.app_context():
        assert db.session.query(FieldSurvey).filter_by(claim_id=claim_id).count() == 0
        assert db.session.query(MedicalInvoice).count() == 0


def test_an_amount_below_one_fen_is_refused_not_rounded(app: Flask, client: FlaskClient) -> None:
    # 1200.505 yuan was stored as 1200.51; now each money field refuses it and keeps what was typed
    fields = recorded() | {"lines-2-invoices-0-amount": "1200.505", "lines-2-disability_grade": "", "lines-2-disability_amount": "3000.001"}
    fields["lines-2-nutrition_costs"] = "400.125"
    claim_id, response = _record(app, client, fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page_text(page).count("请以元为单位填写金额，最多两位小数。") == 3
    assert re.search(r'name="lines-2-invoices-0-amount"[^>]*value="1200.505"', page)
    assert re.search(r'name="lines-2-hospital_days"[^>]*value="10"', page)
    _nothing_saved(app, claim_id)


def test_a_bad_invoice_photo_comes_back_with_the_form(app: Flask, client: FlaskClient) -> None:
    # a PDF as the invoice photo: the form comes back (422) with what was typed, not a flash and a lost survey
    fields = recorded() | {"lines-2-invoices-1-photo": (io.BytesIO(b"%PDF-1.4 not an image"), "invoice.pdf")}
    claim_id, response = _record(app, client, fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "这张发票照片未被接受：" in page_text(page)
    assert re.search(r'name="lines-2-lost_work_days"[^>]*value="30"', page)
    assert re.search(r'name="lines-2-invoices-1-amount"[^>]*value="799.50"', page)
    _nothing_saved(app, claim_id)


def test_invoices_posted_on_a_line_without_invoices_are_not_stored(app: Flask, client: FlaskClient) -> None:
    # an invoice on the rice line (crop lines have none): the survey is recorded, with the person's 2 invoices only
    fields = recorded() | {"lines-0-invoices-0-amount": "88.00", "lines-0-invoices-0-photo": _invoice(509)}
    claim_id, response = _record(app, client, fields)
    assert response.status_code == 302
    with app.app_context():
        survey = latest_survey(db.session.get(Claim, claim_id))
        assert survey is not None
        assert [i.amount for i in db.session.query(MedicalInvoice).order_by(MedicalInvoice.id)] == [D("1200.50"), D("799.50")]
        assert db.session.query(Photo).filter_by(claim_id=claim_id, stage="invoice").count() == 2  # no photo of the rice "invoice"


def test_the_prevention_checklist_must_be_answered_and_none_is_an_answer(app: Flask, client: FlaskClient) -> None:
    claim_id, response = _record(app, client, recorded() | {"prevention_in_place": []})
    assert response.status_code == 422
    assert "请勾选已采取的防范措施，或勾选“以上措施均未采取”。" in page_text(response.get_data(as_text=True))
    _nothing_saved(app, claim_id)
    claim_id, response = _record(app, client, recorded() | {"prevention_in_place": ["none", "fence"]})
    assert response.status_code == 422
    assert "请勾选已采取的措施或“以上措施均未采取”，不能同时勾选。" in page_text(response.get_data(as_text=True))
    claim_id, response = _record(app, client, recorded() | {"prevention_in_place": ["none"]})
    assert response.status_code == 302
    with app.app_context():
        survey = latest_survey(db.session.get(Claim, claim_id))
        assert survey is not None and survey.prevention_in_place == []
    claim_id, response = _record(app, client, recorded() | {"prevention_in_place": ["fence", "fence", "scaring"]})
    assert response.status_code == 302
    with app.app_context():
        survey = latest_survey(db.session.get(Claim, claim_id))
        assert survey is not None and survey.prevention_in_place == ["fence", "scaring"]  # each once


def test_the_audit_record_keeps_what_each_line_verified(app: Flask, client: FlaskClient) -> None:
    claim_id, response = _record(app, client, recorded() | {"lines-2-nutrition_costs": "400.00"})
    assert response.status_code == 302
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        rice, chickens, person = (line.id for line in claim.losses)
        event = db.session.query(AuditEvent).filter_by(claim_id=claim_id, action="survey_eligible").one()
        assert event.changes["lines"] == [
            [rice, "1", 80, {"growth_stage": "mature"}],
            [chickens, "3", None, {"condition": "missing"}],
            [
                person,
                "1",
                None,
                {
                    "hospital_days": 10,
                    "lost_work_days": 30,
                    "nursing_days": 10,
                    "disability_grade": 8,
                    "nutrition_costs": "400.00",
                    "invoices": ["1200.50", "799.50"],
                },
            ],
        ]


def test_an_eleventh_invoice_is_refused_not_dropped(app: Flask, client: FlaskClient) -> None:
    # 11 invoices of 10.00 posted: FieldList kept 10 (100.00) without a word; now the form comes back
    fields = recorded() | {f"lines-2-invoices-{n}-amount": "10.00" for n in range(11)} | {f"lines-2-invoices-{n}-photo": _invoice(600 + n) for n in range(11)}
    claim_id, response = _record(app, client, fields)
    assert response.status_code == 422
    assert "每人最多填写10张发票。" in page_text(response.get_data(as_text=True))
    _nothing_saved(app, claim_id)


GRADED = """format: 1
code: t-graded-chicken
title: 测试家禽价格等级
region: "{county}"
document: {{title: 测试文件, number: 测〔2026〕9号}}
effective_from: 2026-01-01
items:
  - {{key: chicken, category: poultry, names: [鸡], unit: bird, rate: 60, grades: {{成鸡: 60, 雏鸡: 15}}}}
"""


def test_the_price_grade_is_chosen_from_those_the_schedule_lists(app: Flask, client: FlaskClient) -> None:
    """Review #9: the grade was free text, and a grade the schedule does not list was refused only at valuation, after
    the officer had left the site. Now the form offers the schedule's grades for the item (none: no grade field), and
    a grade it does not list comes back on the form, in Chinese, with everything kept."""
    claim_id = _assigned(app)
    login(client, "officer2")
    page = client.get(f"/claims/{claim_id}/survey").get_data(as_text=True)
    assert 'name="lines-1-grade"' not in page  # the schedules in force list no grades for chickens
    with app.app_context():
        admin = find_user("admin")
        county = db.session.get(Claim, claim_id).county.code
        publish_schedule(import_schedule(GRADED.format(county=county), actor=admin), actor=admin)
        db.session.commit()
    page = client.get(f"/claims/{claim_id}/survey").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="lines-1-grade"', page) and '<option value="雏鸡">雏鸡</option>' in page
    data = _form(app, client, claim_id, **(recorded() | {"lines-1-grade": "小鸡", "lines-1-note": "三只雏鸡"}))
    response = client.post(f"/claims/{claim_id}/survey", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    text = page_text(response.get_data(as_text=True))
    assert "鸡：补偿标准未列出“小鸡”这一价格等级（可选：成鸡、雏鸡）。" in text, text[:1500]
    assert re.search(r'name="lines-1-note"[^>]*value="三只雏鸡"', response.get_data(as_text=True))
    _nothing_saved(app, claim_id)
    data = _form(app, client, claim_id, **(recorded() | {"lines-1-grade": "雏鸡"}))
    assert client.post(f"/claims/{claim_id}/survey", data=data, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        survey = latest_survey(db.session.get(Claim, claim_id))
        assert survey is not None and survey.lines[1].grade == "雏鸡"
