"""The checks and effects of filing and intake steps, named by the lifecycle table (claims.lifecycle)."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from claims.accounts.models import Role, User
from claims.core.time import local_today
from claims.intake.models import Claim
from claims.intake.services import changed_content, prepare_submission, submission_problems
from claims.regions.models import LimitKind
from claims.regions.services import due_date
from claims.regions.settings import county_setting
from claims.survey.permissions import kin_problem
from claims.workflow.reasons import CorrectionItem, RefusalReason
from claims.workflow.states import ClaimStatus


# Checks ---------------------------------------------------------------------------------------------
def submission_complete(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    problems = submission_problems(claim)
    return "；".join(problems) if problems else None


def may_withdraw(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """The claimant or whoever filed the claim withdraws it; a township clerk only while correcting a returned
    claim with the claimant. (A clerk turns down a submitted claim through "not accept", with reasons.)"""
    if actor.id in (claim.filed_by_id, claim.claimant_user_id):
        return None
    if claim.status == ClaimStatus.RETURNED and actor.role == Role.CLERK:
        return None
    return _("You may not take this step on this claim.")


def not_the_filer(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """Another clerk of the township or a county officer takes intake of a claim a clerk filed, or rewrote or resubmitted
    after its return, unless the county allows its one-clerk townships otherwise (the claim then records it:
    `accepted_by_filer`). The claim names its filer and its last submitter (a clerk who rewrote it stays named when the
    claimant sends it on); a clerk whose change another clerk's followed is found in the audit trail."""
    if county_setting(claim.county, "filer_may_accept"):
        return None
    if took_part(claim, actor):
        return _("You filed, rewrote or resubmitted this claim: another clerk of the township or a county officer takes its intake.")
    return None


def took_part(claim: Claim, actor: User) -> bool:
    """`actor` filed the claim, submitted it last, or (a clerk) changed or submitted its content at any time."""
    return actor.id in (claim.filed_by_id, claim.submitted_by_id) or (actor.role == Role.CLERK and changed_content(claim, actor))


def not_kin(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """No intake of a claim of one's own household or declared kin (and none before declaring)."""
    return kin_problem(claim, actor)


def may_lapse(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """A returned claim is not accepted for want of correction only after the last day the correction notice gave,
    and by whoever may take its intake (`not_the_filer`). Checked before anything is entered: the page offers the
    step from the day after the deadline."""
    if claim.due_at is None or local_today() <= claim.due_at:
        due = format_date(claim.due_at, format="long") if claim.due_at else "—"
        return _("The claimant has until %(date)s to correct the application.", date=due)
    return not_the_filer(claim, actor, data)


def needs_items(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    if not data.get("items"):
        return _("Tick at least one item that needs correcting.")
    if CorrectionItem.OTHER.value in data["items"] and not (data.get("note") or "").strip():  # "Other (see the note)"
        return _("Say in the note what else needs correcting.")
    return None


def needs_reasons(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    return None if data.get("reasons") else _("Choose at least one reason.")


# Effects --------------------------------------------------------------------------------------------
def prepare_for_intake(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    prepare_submission(claim)
    # Who may not take its intake (`not_the_filer`), with its filer: who submitted it, unless a clerk rewrote it since
    # its return (claims.intake.operations.save_filing) and the claimant only sent it on.
    if actor.role == Role.CLERK or claim.submitted_by is None or claim.submitted_by.role != Role.CLERK:
        claim.submitted_by = actor


def _record_intake_by_filer(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """The intake decision's taker: the filing clerk only where the county setting allows it, on record."""
    claim.accepted_by_filer = took_part(claim, actor)
    if claim.accepted_by_filer:
        data["changes"] = {**(data.get("changes") or {}), "intake_by_filer": "filer_may_accept"}


def on_accept(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    _record_intake_by_filer(claim, actor, data)
    claim.due_at = due_date(claim.county, LimitKind.SURVEY)
    claim.correction_items, claim.correction_note = [], None


def on_return(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    _record_intake_by_filer(claim, actor, data)
    claim.correction_items = [str(CorrectionItem(i)) for i in data["items"]]
    claim.correction_note = data.get("note")
    claim.due_at = due_date(claim.county, LimitKind.APPLICATION)


def on_lapse(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """Not accepted because the correction asked for was not made in time: the reason, and in the explanation (which the
    notice of non-acceptance prints, in Chinese whatever the clerk's language) what was asked and by when."""
    _record_intake_by_filer(claim, actor, data)
    with force_locale("zh_CN"):
        items = "、".join(CorrectionItem(i).title for i in claim.correction_items)
        due = format_date(claim.due_at, format="long") if claim.due_at else ""
        text = _("The claimant did not correct the application by %(date)s (asked for: %(items)s).", date=due, items=items or "—")
    added = (data.get("explanation") or "").strip()
    claim.decision_reasons = [str(RefusalReason.NOT_CORRECTED)]
    claim.decision_explanation = f"{text}{added}" if added else text
    claim.due_at = None


def on_not_accept(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    _record_intake_by_filer(claim, actor, data)
    claim.decision_reasons = [str(RefusalReason(r)) for r in data["reasons"]]
    claim.decision_explanation = data.get("explanation")
    claim.due_at = None
