"""The approval page shows each adjusted line beside the engine's figure (issue 11, item 7)."""

from __future__ import annotations

from decimal import Decimal

from claims.accounts.services import find_user
from claims.approval.operations import create_notice_batch
from claims.core import time as clock
from claims.extensions import db
from claims.valuation import services as valuing
from claims.valuation.operations import value_claim_step
from claims.valuation.services import adjust_line, compute_valuation
from tests.conftest import login
from tests.factories import COUNTIES, advance
from tests.workflow.conftest import file_claim


def test_approval_page_shows_engine_and_adjusted_figures(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        claim = file_claim("13800000001", village_code=COUNTIES["chaling"].village, seed=31)
        advance(claim, "confirmed", county="chaling")
        valuation = compute_valuation(claim, actor=find_user("officer_cl"))
        engine = valuing.final_lines(valuation)[0].computed
        adjust_line(valuation, "L1", engine + Decimal("100.00"), "补种费用", actor=find_user("officer_cl"))
        valuing.countersign_valuation(valuation, actor=find_user("officer_cl2"))
        value_claim_step(claim, actor=find_user("officer_cl"))
        create_notice_batch(claim.township, [claim], clock.local_today(), actor=find_user("clerk_cl"))
        db.session.commit()
    client = app.test_client()
    login(client, "approver_cl")
    page = client.get("/approvals").get_data(as_text=True)
    assert f"{engine:,.2f}" in page and f"{engine + Decimal('100.00'):,.2f}" in page
    assert "补种费用" in page and "尹红" in page  # the reason and the countersigning officer
