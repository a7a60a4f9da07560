"""An insurer's system plays its part through the API alone: fetch the referral, adjust a line, and, once the
county has approved, record its payment. Each write needs an Idempotency-Key; a repeat gets the first answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.api import services
from claims.api.models import ApiClient
from claims.approval import operations
from claims.approval.models import Payment, Share
from claims.core import time as clock
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.models import AuditEvent
from claims.workflow.states import ClaimStatus
from tests.api.conftest import EVERY_SCOPE, call, make_token
from tests.approval.conftest import valued_claim


@pytest.fixture
def referred(app: Flask) -> tuple[int, str]:
    clock.freeze(datetime(2026, 12, 14, 2, tzinfo=UTC))  # a Monday, within the Nan county policy of 2026-27
    with app.app_context():
        claim = valued_claim("nan", seed=5)
        assert claim.status == ClaimStatus.REFERRED
        claim_id = claim.id
    return claim_id, make_token(app, "insurer")


def _post(app: Flask, path: str, token: str, body: dict[str, object], key: str | None):  # type: ignore[no-untyped-def]
    return call(app.test_client(), path, token, "POST", headers={"Idempotency-Key": key} if key else {}, json=body)


def _approve(app: Flask, claim_id: int) -> Decimal:
    """The county's notice and approval, through the services the pages call; the insurer's share that is then due."""
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        operations.create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk"))
        db.session.commit()
        clock.freeze(clock.utcnow() + timedelta(days=8))
        assert operations.approve(claim, actor=find_user("approver"))
        db.session.commit()
        return db.session.execute(select(Payment.amount).where(Payment.claim_id == claim_id, Payment.share == Share.INSURER)).scalar_one()


def test_an_insurers_system_adjusts_and_pays_through_the_api(app: Flask, referred: tuple[int, str]) -> None:
    claim_id, token = referred
    referral = call(app.test_client(), f"/api/v1/referrals/{claim_id}", token).get_json()
    line = referral["package"]["valuation"][0]
    lowered = f"{Decimal(line['amount']) - Decimal('10.00'):.2f}"
    body = {"decision": "adjust", "lines": [{"index": line["index"], "amount": lowered, "reason": "面积核减"}]}
    path = f"/api/v1/referrals/{claim_id}/decision"

    missing = _post(app, path, token, body, None)
    assert missing.status_code == 422 and [e["field"] for e in missing.get_json()["errors"]] == ["headers.Idempotency-Key"]
    first = _post(app, path, token, body, "decision-1")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["decision"] == "adjust" and first.get_json()["adjustments"][str(line["index"])][0] == lowered
    again = _post(app, path, token, body, "decision-1")
    assert (again.status_code, again.get_json(), again.headers["Idempotent-Replayed"]) == (200, first.get_json(), "true")
    assert _post(app, path, token, {"decision": "accept"}, "decision-1").status_code == 422  # the key of another request
    twice = _post(app, path, token, body, "decision-2")  # a new key: the step itself refuses a second decision
    assert twice.status_code == 422 and twice.get_json()["detail"]

    amount = _approve(app, claim_id)
    payment = {"amount": f"{amount:.2f}", "reference": "ZHLH-2026-0001"}
    paid = _post(app, f"/api/v1/referrals/{claim_id}/payment", token, payment, "payment-1")
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json() == {"claim_id": claim_id, "amount": f"{amount:.2f}", "reference": "ZHLH-2026-0001", "status": "paid"}
    assert _post(app, f"/api/v1/referrals/{claim_id}/payment", token, payment, "payment-1").get_json() == paid.get_json()
    with app.app_context():
        actors = db.session.execute(select(AuditEvent.actor_role).where(AuditEvent.claim_id == claim_id, AuditEvent.action == "insurer_decide")).scalars().all()
        assert actors == ["insurer"]


def test_writes_are_scoped(app: Flask, referred: tuple[int, str]) -> None:
    claim_id, token = referred
    body, path = {"decision": "accept"}, f"/api/v1/referrals/{claim_id}/decision"
    other, platform = make_token(app, "other_insurer"), make_token(app, "province")
    missing = _post(app, "/api/v1/referrals/987654/decision", token, body, "k")
    assert (missing.status_code, _post(app, path, other, body, "k").get_json()) == (404, missing.get_json())  # another insurer's
    assert _post(app, path, platform, body, "k").status_code == 403
    form = call(app.test_client(), path, token, "POST", headers={"Idempotency-Key": "k"}, data={"decision": "accept"})
    assert form.status_code == 415 and form.mimetype == "application/problem+json"
    stale = _post(app, path, token, {**body, "version": 1}, "k")
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.REFERRED


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"decision": NaN}', "\xff"])
def test_a_write_whose_body_is_no_plain_json_is_a_400_problem(app: Flask, referred: tuple[int, str], body: str) -> None:
    claim_id, token = referred
    client = app.test_client()
    headers = {"Idempotency-Key": "deep-1", "Content-Type": "application/json"}
    answer = call(client, f"/api/v1/referrals/{claim_id}/decision", token, "POST", headers=headers, data=body.encode("latin-1"))
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json", answer.get_data(as_text=True)[:300]
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.REFERRED


def test_stored_answers_are_forgotten_after_thirty_days_and_the_write_still_stands(app: Flask, referred: tuple[int, str]) -> None:
    claim_id, _token = referred
    with app.app_context():  # a token of the same system that outlives the month
        client = db.session.execute(select(ApiClient).where(ApiClient.name == "system insurer")).scalar_one()
        token = services.issue_token(client, EVERY_SCOPE, clock.utcnow() + timedelta(days=90), actor=None).secret
        db.session.commit()
    path = f"/api/v1/referrals/{claim_id}/decision"
    assert _post(app, path, token, {"decision": "accept"}, "old-key").status_code == 200
    runner = app.test_cli_runner()
    clock.freeze(clock.utcnow() + timedelta(days=29))
    assert "forgot 0 stored answers" in runner.invoke(args=["api", "purge-keys"]).output
    assert _post(app, path, token, {"decision": "accept"}, "old-key").headers.get("Idempotent-Replayed") == "true"  # still kept
    clock.freeze(clock.utcnow() + timedelta(days=2))
    result = runner.invoke(args=["api", "purge-keys"])
    assert result.exit_code == 0 and "forgot 1 stored answers older than 30 days" in result.output
    again = _post(app, path, token, {"decision": "accept"}, "old-key")
    assert again.status_code == 422 and "Idempotent-Replayed" not in again.headers  # the step refuses a second decision
    with app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.INSURER_DECIDED


def test_a_token_that_may_decide_but_not_read_is_not_sent_the_package(app: Flask, referred: tuple[int, str]) -> None:
    claim_id, full = referred
    with app.app_context():
        client = db.session.execute(select(ApiClient).where(ApiClient.name == "system insurer")).scalar_one()
        decide_only = services.issue_token(client, ["referrals:decide"], clock.utcnow() + timedelta(days=30), actor=None).secret
        db.session.commit()
    assert call(app.test_client(), f"/api/v1/referrals/{claim_id}", decide_only).status_code == 403
    decided = _post(app, f"/api/v1/referrals/{claim_id}/decision", decide_only, {"decision": "accept"}, "decide-only-1")
    assert decided.status_code == 200 and decided.get_json()["decision"] == "accept" and "package" not in decided.get_json()
    path = f"/api/v1/referrals/{claim_id}/decision"
    again = {name: _post(app, path, token, {"decision": "accept"}, "decide-only-1") for name, token in (("full", full), ("decide_only", decide_only))}
    assert all(r.headers["Idempotent-Replayed"] == "true" for r in again.values())
    assert "package" in again["full"].get_json() and "package" not in again["decide_only"].get_json()  # trimmed per token, on repeats too
