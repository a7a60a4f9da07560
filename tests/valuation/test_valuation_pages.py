"""The valuation through HTTP: the officer's panel, the filer's estimate, admin pages, the CLI (tests/api: the JSON quote)."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from claims.core import time as clock
from claims.extensions import db
from claims.intake.models import Claim
from claims.valuation.models import ClaimValuation, CompensationSchedule, ScheduleStatus
from claims.workflow.models import AuditEvent
from tests.conftest import csrf_token, login
from tests.valuation.conftest import TODAY, confirmed_claim
from tests.valuation.helpers import QUOTE, header


def _confirmed(app: Flask, **kw) -> int:  # type: ignore[no-untyped-def]
    clock.freeze(TODAY)
    with app.app_context():
        claim_id = confirmed_claim(**kw).id
        db.session.remove()
    return claim_id


def test_officer_sees_the_quote_saves_adjusts_and_submits(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    claim_id = _confirmed(app)
    client = as_user("officer")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert 'id="valuation-panel"' in page and "¥1,308.00" in page and "水稻 2.5亩 × 600元/亩 × 损失率80%" in page
    token = csrf_token(client, f"/claims/{claim_id}")
    assert client.post(f"/claims/{claim_id}/valuation", data={"csrf_token": token}).status_code == 302
    refused = client.post(f"/claims/{claim_id}/valuation/adjust", data={"csrf_token": token, "line_id": "L2", "amount": "150", "reason": ""})
    assert refused.status_code == 422
    forged = client.post(f"/claims/{claim_id}/valuation/adjust", data={"csrf_token": token, "line_id": "\x00", "amount": "150", "reason": "x"})
    assert forged.status_code == 422 and "这一项不能调整" in forged.get_data(as_text=True)  # a forged hidden line: said so, not a bare 422
    client.post(f"/claims/{claim_id}/valuation/adjust", data={"csrf_token": token, "line_id": "L2", "amount": "150.00", "reason": "良种鸡"})
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "¥1,350.00" in page and "良种鸡" in page and 'id="countersign-needed"' in page
    assert 'id="countersign-form"' not in page  # the officer who adjusted does not countersign
    client.post(f"/claims/{claim_id}/value", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Claim, claim_id).status.value == "confirmed"  # above the engine's figure: not alone
    second = app.test_client()
    login(second, "officer2")
    assert 'id="countersign-form"' in second.get(f"/claims/{claim_id}").get_data(as_text=True)
    countersigned = second.post(f"/claims/{claim_id}/valuation/countersign", data={"csrf_token": csrf_token(second, f"/claims/{claim_id}")})
    assert countersigned.status_code == 302
    assert "周伟" in client.get(f"/claims/{claim_id}").get_data(as_text=True)  # who countersigned
    assert client.post(f"/claims/{claim_id}/value", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim.status.value in ("valued", "referred")
        valuation = db.session.execute(select(ClaimValuation).where(ClaimValuation.claim_id == claim_id)).scalar_one()
        assert valuation.frozen_at is not None and valuation.total == Decimal("1350.00")
    villager = app.test_client()

    login(villager, "13800000001")
    assert "¥1,350.00" in villager.get(f"/claims/{claim_id}").get_data(as_text=True)  # the claimant can follow every fen


def test_others_cannot_value(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    claim_id = _confirmed(app)
    for login_name in ("clerk", "approver", "officer_cl"):
        client = app.test_client()
        from tests.conftest import login

        login(client, login_name)
        token = csrf_token(client)
        assert client.post(f"/claims/{claim_id}/valuation", data={"csrf_token": token}).status_code == 404
        assert 'id="valuation-panel"' not in client.get(f"/claims/{claim_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(ClaimValuation)).first() is None


def test_the_filing_form_shows_an_estimate(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(TODAY)
    from claims.accounts.services import find_user
    from tests.workflow.conftest import file_claim

    with app.app_context():
        claim = file_claim("13800000001")
        from claims.intake.services import start_draft

        draft = start_draft(actor=find_user("13800000001"), submission_key="estimate-draft", for_self=True)
        db.session.commit()
        ids = (claim.id, draft.id)
    client = as_user("13800000001")
    page = client.get(f"/claims/{ids[1]}/edit")
    assert page.status_code == 200 and 'id="estimate"' not in page.get_data(as_text=True)  # nothing to estimate yet: no box


def test_the_estimate_box_on_a_saved_draft(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    clock.freeze(TODAY)
    from tests.factories import file_claim as file_draft

    with app.app_context():
        draft_id = file_draft("13800000001", submit=False).id  # rice 2.5 mu in Nan county
        db.session.commit()
    page = as_user("13800000001").get(f"/claims/{draft_id}/edit").get_data(as_text=True)
    assert 'id="estimate"' in page and "¥1,500.00" in page  # 2.5 x 600 as filed


def test_estimate_of_a_draft_with_losses(app: Flask) -> None:
    clock.freeze(TODAY)
    from claims.valuation.services import filing_estimate
    from tests.workflow.conftest import file_claim

    with app.app_context():
        claim = file_claim("13800000001")
        estimate = filing_estimate(claim)
        assert estimate is not None and estimate.valuation is not None
        # as filed: rice 2.5 mu at 600 with no loss rate (100%), 3 chickens 108
        assert estimate.valuation.total == Decimal("1608.00")
        claim.incident_at = claim.incident_at.replace(year=2020)
        assert filing_estimate(claim).valuation is None  # no schedule: no box, no error
        db.session.rollback()


# --- admin pages -------------------------------------------------------------------------------------------
GOOD = (
    header(code="hn-nanxian-test", region="430921", start="2026-01-01")
    + "items:\n  - {key: 玉米, category: crop, names: [玉米], method: fixed_rate, unit: mu, rate: 900}\n"
)


def _upload(client, path: str, text: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/admin/schedules")
    return client.post(path, data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "s.yaml")}, content_type="multipart/form-data")


def test_admin_imports_views_publishes_and_exports_a_schedule(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("admin")
    assert "hn-default-2024" in client.get("/admin/schedules").get_data(as_text=True)
    bad = _upload(client, "/admin/schedules/import", GOOD.replace("rate: 900", "rate: lots"))
    assert bad.status_code == 422 and "items[0].rate" in bad.get_data(as_text=True) and "8" in bad.get_data(as_text=True)
    response = _upload(client, "/admin/schedules/import", GOOD)
    assert response.status_code == 302
    with app.app_context():
        schedule = db.session.execute(select(CompensationSchedule).where(CompensationSchedule.code == "hn-nanxian-test")).scalar_one()
        schedule_id = schedule.id
    assert "玉米" in client.get(f"/admin/schedules/{schedule_id}").get_data(as_text=True)
    token = csrf_token(client, f"/admin/schedules/{schedule_id}")
    assert client.post(f"/admin/schedules/{schedule_id}/publish", data={"csrf_token": token}).status_code == 302
    assert client.get(f"/admin/schedules/{schedule_id}/export").get_data(as_text=True) == GOOD
    again = _upload(client, "/admin/schedules/import", GOOD)
    assert again.status_code == 422  # a published schedule is never edited
    with app.app_context():
        assert db.session.get(CompensationSchedule, schedule_id).status == ScheduleStatus.PUBLISHED
        events = [e.action for e in db.session.execute(select(AuditEvent).where(AuditEvent.entity == "schedule")).scalars()]
        assert events[-2:] == ["schedule_imported", "schedule_published"]


def test_a_county_admin_manages_only_their_region(app: Flask) -> None:
    from claims.accounts.models import Role
    from claims.accounts.services import create_user
    from tests.conftest import DEMO_PASSWORD, login
    from tests.security.world import region

    with app.app_context():
        create_user(login="admin_cl", name="贺敏", role=Role.ADMIN, region=region("430224"), password=DEMO_PASSWORD)
        db.session.commit()
        province = db.session.execute(select(CompensationSchedule).where(CompensationSchedule.code == "hn-default-2024")).scalar_one().id
        nan = db.session.execute(select(CompensationSchedule).where(CompensationSchedule.code == "hn-nanxian-rice-2025")).scalar_one().id
    client = app.test_client()
    login(client, "admin_cl")
    assert client.get(f"/admin/schedules/{province}").status_code == 200  # it applies to Chaling
    assert client.get(f"/admin/schedules/{nan}").status_code == 404
    response = _upload(client, "/admin/schedules/import", GOOD)
    assert response.status_code == 422 and "region" in response.get_data(as_text=True)


def test_reference_data_import_page(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("admin")
    text = "format: 1\nincomes:\n  - {region: '430000', year: 2025, kind: urban, amount: 51000, source: 测试}\n"
    response = _upload(client, "/admin/reference/import", text)
    assert response.status_code == 302
    assert "51,000.00" in client.get("/admin/reference").get_data(as_text=True)
    assert _upload(client, "/admin/reference/import", text.replace("2025", "1800")).status_code == 422


# --- the command line ------------------------------------------------------------------------------------------
def test_cli_import_publish_export_reference_and_quote(app: Flask, tmp_path: Path) -> None:
    cli = app.test_cli_runner()

    def invoke(args: list[str]):  # type: ignore[no-untyped-def]
        with app.app_context():
            return cli.invoke(args=args)

    banna = Path(__file__).resolve().parents[2] / "claims" / "valuation" / "data" / "examples" / "xishuangbanna-2022.yaml"
    result = invoke(["schedules", "import", str(banna)])
    assert result.exit_code == 1 and all(part in result.output for part in ("6", "region", "532800"))  # line 6, field region
    good = tmp_path / "s.yaml"
    good.write_text(GOOD, encoding="utf-8")
    result = invoke(["schedules", "import", str(good), "--publish", "--by", "admin"])
    assert result.exit_code == 0 and "published" in result.output, result.output
    assert invoke(["schedules", "export", "hn-nanxian-test"]).output == GOOD
    assert invoke(["schedules", "publish", "hn-nanxian-test", "--by", "admin"]).exit_code == 1
    ref = tmp_path / "r.yaml"
    ref.write_text("format: 1\nprices:\n  - {item: 芝麻, region: '430000', year: 2025, price: 900, unit: mu, source: 测试}\n", encoding="utf-8")
    assert "1 prices" in invoke(["reference", "import", str(ref)]).output
    quote = tmp_path / "q.json"
    quote.write_text(json.dumps(QUOTE), encoding="utf-8")
    result = invoke(["valuation", "quote", str(quote)])
    # the new county schedule (maize only, from 2026) supersedes Nan's rice rates: rice falls back to the
    # provincial market value, 2.5 x 1060 x 80% x 80% = 1696, plus 3 chickens 108
    assert result.exit_code == 0 and json.loads(result.output)["total"] == "1804.00"


@pytest.mark.parametrize("number", ["1e-9999999999999999999", "1E+99999999999999999999", "1e999999999"])
def test_cli_quote_refuses_a_number_with_an_absurd_exponent(app: Flask, tmp_path: Path, number: str) -> None:
    quote = tmp_path / "q.json"
    quote.write_text(json.dumps(QUOTE).replace('"2.5"', number), encoding="utf-8")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["valuation", "quote", str(quote)])
    assert result.exit_code == 1 and "not valid JSON" in result.output and result.exception is not None and isinstance(result.exception, SystemExit)
