"""The insurer's portal, the notice, approval and payment pages, as their users click through them."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from claims.approval.models import PaymentBatch
from claims.core import time as clock
from claims.extensions import db
from claims.insurance.models import Split
from claims.intake.models import Claim
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import valued_claim
from tests.conftest import csrf_token, login


def _client(app, who):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, who)
    return client


def _get(app, claim_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        return claim.status, claim.version, claim.number


def test_insurer_portal_notice_approval_and_bank_files(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        insured = valued_claim(seed=21).id
        uninsured = valued_claim("chaling", seed=22).id
    insurer = _client(app, "insurer")
    portal = insurer.get("/insurer/").get_data(as_text=True)
    assert _get(app, insured)[2] in portal and _get(app, uninsured)[2] not in portal
    assert "待贵司决定" in portal and "待支付" not in portal  # undecided: waiting for the insurer, not for a payment
    assert insurer.get(f"/claims/{uninsured}").status_code == 404  # not referred to this insurer
    assert f'href="/insurer/referrals/{insured}"' in insurer.get("/queue").get_data(as_text=True)  # the to-do leads to the decision form
    notices = insurer.get("/notifications").get_data(as_text=True)
    opened = re.search(rf'<li class="claim-row" data-claim="{insured}"><form method="post" action="(/notifications/\d+/open)"', notices)
    assert opened, "the insurer is told of the referral"
    followed = insurer.post(opened.group(1), data={"csrf_token": csrf_token(insurer, "/notifications")})
    assert followed.headers["Location"].endswith(f"/insurer/referrals/{insured}")  # and the notice leads there too
    page = insurer.get(f"/insurer/referrals/{insured}").get_data(as_text=True)
    assert "4307" not in page or "**********" in page  # ID numbers masked in the package
    token = csrf_token(insurer, f"/insurer/referrals/{insured}")
    index = re.search(r'name="lines-0-index" type="hidden" value="(\d+)"', page).group(1)
    # Refused on the form itself, each message on its line, the chosen decision and what was typed kept.
    for amount, reason, message in (("NaN", "x", "请输入数字。"), ("1e309", "x", "这个数字太大了。"), ("700", "", "每一项调整都需要填写金额和原因。")):
        refused = insurer.post(
            f"/insurer/referrals/{insured}",
            data={
                "csrf_token": token,
                "version": str(_get(app, insured)[1]),
                "decision": "adjust",
                "lines-0-index": index,
                "lines-0-amount": amount,
                "lines-0-reason": reason,
                "note": "现场复核",
            },
        )
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422 and message in text, (amount, refused.status_code)
        assert re.search(r'<input checked[^>]*value="adjust"|value="adjust"[^>]*checked', text), amount  # the decision kept
        assert "现场复核" in text and _get(app, insured)[0] != ClaimStatus.INSURER_DECIDED
    response = insurer.post(
        f"/insurer/referrals/{insured}",
        data={
            "csrf_token": token,
            "version": str(_get(app, insured)[1]),
            "decision": "adjust",
            "lines-0-index": index,
            "lines-0-amount": "1.00",
            "lines-0-reason": "核减",
        },
    )
    assert response.status_code == 302 and _get(app, insured)[0] == ClaimStatus.INSURER_DECIDED
    officer_view = _client(app, "officer").get(f"/claims/{insured}").get_data(as_text=True)
    assert 'id="insurer-share"' in officer_view and 'id="government-share"' in officer_view

    clerk = _client(app, "clerk_cl")
    token = csrf_token(clerk, "/notices")
    response = clerk.post("/notices", data={"csrf_token": token, "claims": [str(uninsured)], "start_date": clock.local_today().isoformat()})
    assert response.status_code == 302
    batch_url = response.headers["Location"]
    again = clerk.post("/notices", data={"csrf_token": token, "claims": [str(uninsured)], "start_date": clock.local_today().isoformat()})
    assert again.status_code == 422 and "已经不在待公示之列" in again.get_data(as_text=True)  # a second press: said, not silent
    printed = clerk.get(batch_url + "/print").get_data(as_text=True)
    with app.app_context():
        claim = db.session.get(Claim, uninsured)
        full_id, name = claim.claimant_id_number, claim.claimant_name
    assert full_id not in printed and name not in printed and "**********" in printed

    clock.freeze(clock.utcnow() + timedelta(days=8))
    approver = _client(app, "approver_cl")
    token = csrf_token(approver, "/approvals")
    listed = approver.get("/approvals").get_data(as_text=True)
    assert f'aria-labelledby="approve-{uninsured}"' in listed and f'id="approve-{uninsured}"' in listed  # each box named
    nothing = approver.post("/approvals", data={"csrf_token": token})  # none ticked: said so, nothing done
    assert nothing.status_code == 422 and "请至少选择一件申请。" in nothing.get_data(as_text=True)
    assert _get(app, uninsured)[0] != ClaimStatus.APPROVED
    approver.post("/approvals", data={"csrf_token": token, "claims": [str(uninsured)]})
    assert _get(app, uninsured)[0] == ClaimStatus.APPROVED

    response = approver.post("/payments", data={"csrf_token": token})
    assert response.status_code == 302
    batch_page = response.headers["Location"]
    with app.app_context():
        batch = db.session.execute(select(PaymentBatch)).scalar_one()
        assert batch.payment_count == 1  # stored with the batch: the list of batches shows it without counting
    listed = approver.get("/payments").get_data(as_text=True)
    assert re.search(rf">{batch.reference}</a> · [^<]* · 1</li>", listed)
    exported = approver.post(batch_page + "/export", data={"csrf_token": token})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    cells = exported.get_data().decode("utf-8-sig").splitlines()[1].split(",")
    result = f"reference,status,amount,bank_reference,reason\n{cells[0]},SUCCESS,{cells[4]},B-1,\n".encode()
    approver.post(batch_page, data={"csrf_token": token, "what": "file", "file": (io.BytesIO(result), "result.csv")}, content_type="multipart/form-data")
    assert _get(app, uninsured)[0] == ClaimStatus.CLOSED
    with app.app_context():
        assert db.session.get(Split, uninsured).insurer_share == 0
