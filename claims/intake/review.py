"""Intake by the township clerk: accept, return for correction, or not accept (Hunan Art. 3: 受理)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from claims.accounts.models import Role, User
from claims.intake.models import Claim
from claims.regions.models import LimitKind
from claims.regions.services import due_date
from claims.workflow.notify import claimant, county_officers, register_notice
from claims.workflow.reasons import CorrectionItem, RefusalReason
from claims.workflow.services import apply_transition
from claims.workflow.states import ClaimStatus, Transition, register


def _needs_items(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    return None if data.get("items") else _("Tick at least one item that needs correcting.")


def _needs_reasons(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    return None if data.get("reasons") else _("Choose at least one reason.")


def _on_accept(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    claim.due_at = due_date(claim.county, LimitKind.SURVEY)
    claim.correction_items, claim.correction_note = [], None


def _on_return(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    claim.correction_items = [str(CorrectionItem(i)) for i in data["items"]]
    claim.correction_note = data.get("note")
    claim.due_at = due_date(claim.county, LimitKind.APPLICATION)


def _on_refuse(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    claim.decision_reasons = [str(RefusalReason(r)) for r in data["reasons"]]
    claim.decision_explanation = data.get("explanation")
    claim.due_at = None


CLERK = frozenset({Role.CLERK})
register(Transition("accept", _l("Accept"), frozenset({ClaimStatus.SUBMITTED}), ClaimStatus.ACCEPTED, CLERK, (), _on_accept))
register(Transition("return", _l("Return for correction"), frozenset({ClaimStatus.SUBMITTED}), ClaimStatus.RETURNED, CLERK, (_needs_items,), _on_return))
register(
    Transition(
        "not_accept",
        _l("Do not accept"),
        frozenset({ClaimStatus.SUBMITTED}),
        ClaimStatus.NOT_ACCEPTED,
        CLERK,
        (_needs_reasons,),
        _on_refuse,
        reason_required=True,
    )
)

register_notice(
    "accept", _l("Claim %(number)s was accepted; the county will survey the damage."), lambda c, d: claimant(c, d) + county_officers(c, d), sms_claimant=True
)
register_notice("return", _l("Claim %(number)s needs correction: please look at what is missing and submit it again."), claimant, sms_claimant=True)
register_notice("not_accept", _l("Claim %(number)s was not accepted. The reasons are on the claim page."), claimant, sms_claimant=True)


def accept_claim(claim: Claim, *, actor: User, expected_version: int | None = None) -> None:
    apply_transition(claim, "accept", actor=actor, expected_version=expected_version)


def return_claim(claim: Claim, items: list[str], note: str | None, *, actor: User, expected_version: int | None = None) -> None:
    apply_transition(
        claim, "return", actor=actor, reason=note, data={"items": items, "note": note, "changes": {"items": items}}, expected_version=expected_version
    )


def refuse_intake(claim: Claim, reasons: list[str], explanation: str, *, actor: User, expected_version: int | None = None) -> None:
    data = {"reasons": reasons, "explanation": explanation, "changes": {"reasons": reasons}}
    apply_transition(claim, "not_accept", actor=actor, reason=explanation, data=data, expected_version=expected_version)


def accept_message() -> str:
    return _("The claim was accepted. The county's forestry officers are notified.")


def return_message() -> str:
    return _("The claim was returned to the claimant for correction.")


def refuse_message() -> str:
    return _("The claim was not accepted. The claimant is notified with the reasons.")
