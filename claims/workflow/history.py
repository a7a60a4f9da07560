"""A claim's audit events told in plain language for the claim page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.core.crypto import mask_name
from claims.core.time import to_local
from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.permissions import sees_contact_details
from claims.workflow.models import AuditEvent
from claims.workflow.states import ClaimStatus

ACTION_TEXT = {
    "draft_started": _l("Started the application"),
    "claim_edited": _l("Changed the application"),
    "photos_added": _l("Added photos"),
    "photo_removed": _l("Removed a photo"),
    "submit": _l("Submitted the application"),
    "resubmit": _l("Submitted the corrected application"),
    "withdraw": _l("Withdrew the claim"),
    "accept": _l("Accepted the application"),
    "return": _l("Returned the application for correction"),
    "not_accept": _l("Did not accept the application"),
    "lapse": _l("Did not accept the application: not corrected by the deadline"),
    "assign_survey": _l("Assigned the surveyors"),
    "survey_eligible": _l("Recorded the field survey"),
    "survey_refused": _l("Recorded the field survey: not compensable"),
    "confirm": _l("Confirmed the verified loss"),
    "dispute": _l("Disputed the verified loss"),
    "identity_revealed": _l("Viewed the full resident ID number"),
    "valuation_computed": _l("Computed the valuation"),
    "valuation_recomputed": _l("Computed the valuation again"),
    "valuation_adjusted": _l("Adjusted a valuation line"),
    "value": _l("Submitted the valuation"),
    "refer": _l("Referred the claim to the insurer"),
    "insurer_decide": _l("Recorded the insurer's decision"),
    "start_notice": _l("Put the claim on public notice"),
    "objection": _l("Recorded an objection raised during the public notice"),
    "uphold_objection_survey": _l("Upheld the objection: the damage is surveyed again"),
    "uphold_objection_value": _l("Upheld the objection: the loss is valued again"),
    "dismiss_objection": _l("Did not uphold the objection"),
    "first_approval": _l("Gave the first of two approvals"),
    "approve": _l("Approved the compensation"),
    "refuse_award": _l("Decided not to compensate"),
    "payment_settled": _l("Recorded a payment"),
    "payment_failed": _l("Recorded a failed payment"),
    "bank_account_corrected": _l("Corrected the bank account"),
    "bank_account_changed": _l("Changed the bank account"),
    "claim_code_issued": _l("Issued a claim code to link the claim to a phone account"),
    "account_linked": _l("Linked the claim to the claimant's phone account"),
    "valuation_countersigned": _l("Countersigned the raised valuation lines"),
    "bank_account_refrozen": _l("Changed the account the approved compensation is paid into"),
    "incident_created": _l("Created an incident with this claim as its first household"),
    "incident_joined": _l("Joined the claim to an incident"),
    "incident_left": _l("Took the claim out of its incident"),
    "incident_tagged": _l("Tagged the claim into an incident"),
    "valuation_shared": _l("Shared the incident's per-accident cap again"),
    "pay": _l("Marked the claim as paid"),
    "close": _l("Closed the claim"),
    "request_advance": _l("Requested an advance on the compensation"),
    "approve_advance": _l("Approved the advance on the compensation"),
    "refuse_advance": _l("Refused the advance on the compensation"),
    "advance_overpaid": _l("Recorded that the advance paid exceeds the compensation"),
    "advance_lapsed": _l("The advance requested lapsed: the claim was refused"),
    "advance_withheld": _l("The advance approved is not paid: the claim was refused"),
}
OTHER_ACTION = _l("Recorded a change")  # an action without its own words is never shown by its code name


@dataclass(frozen=True)
class HistoryLine:
    when: datetime
    who: str
    role: str
    text: str
    reason: str | None


def claim_history(claim_id: int, *, show_names: bool = True, mask_claimants: bool = False) -> list[HistoryLine]:
    """`mask_claimants`: villagers' names masked (for insurers and administrators, as elsewhere)."""

    events = db.session.execute(select(AuditEvent).where(AuditEvent.claim_id == claim_id).order_by(AuditEvent.id)).scalars()
    lines = []
    for event in events:
        text = str(ACTION_TEXT.get(event.action, OTHER_ACTION))
        if event.to_state and event.from_state and event.to_state != event.from_state:
            text += f" → {ClaimStatus(event.to_state).title}"
        if (event.changes or {}).get("account"):  # bank account changes keep the masked number only
            text += f": {event.changes['account']}"
        role = Role(event.actor_role).title if event.actor_role else ""
        who = event.actor.name if event.actor is not None and show_names else role
        if mask_claimants and event.actor is not None and event.actor_role == Role.VILLAGER.value:
            who = mask_name(who)
        lines.append(HistoryLine(event.created_at, who, role, text, event.reason))
    return lines


def claim_on_server(claim: Claim, fields: dict[str, str], viewer: User) -> dict[str, Any]:
    """The claim as the server has it, for a draft from the phone that meets a changed claim (the phone shows both
    versions side by side: static/js/drafts-ui.js): its version and state, its last three changes as `viewer`'s claim
    page tells them (staff by role only to a villager), and `fields`, the server's values under the form's input names."""
    history = claim_history(claim.id, show_names=viewer.role.is_staff, mask_claimants=not sees_contact_details(viewer, claim))
    changes = [f"{to_local(h.when).strftime('%Y-%m-%d %H:%M')} · {h.who} · {h.text}" for h in history[-3:]]
    return {"version": claim.version, "status": str(claim.status.title), "history": changes, "fields": fields}
