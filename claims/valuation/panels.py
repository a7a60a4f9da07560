"""The valuation section of a claim page: the officer's quote and actions, or the submitted valuation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from claims.accounts.models import User
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim
from claims.lifecycle import available_actions
from claims.survey.services import latest_survey
from claims.valuation.forms import AdjustForm, ComputeForm, CountersignForm, ValueForm
from claims.valuation.incidents import shared_cap_text, stale_share
from claims.valuation.models import ClaimValuation, ValuationAdjustment
from claims.valuation.permissions import can_countersign
from claims.valuation.services import FinalLine, Quote, current_valuation, final_lines, pending_countersign, quote_claim


@dataclass
class ValuationPanel:
    editable: bool
    stored: ClaimValuation | None
    lines: list[FinalLine]
    quote: Quote | None
    forms: dict[str, Any]
    pending: list[ValuationAdjustment] = field(default_factory=list)  # above the engine's figure, not countersigned yet
    shared_cap: str = ""  # a claim of an incident: how the per-accident cap was shared


def valuation_panel(claim: Claim, user: User, forms: dict[str, Any]) -> dict[str, Any]:
    """{"valuation": ValuationPanel} when the user may see one on this claim, else {}."""
    if not can_view_claim(user, claim):
        return {}
    stored = current_valuation(claim)
    if "value" in available_actions(claim, user):
        survey = latest_survey(claim)
        revalue = stored is not None and stored.frozen_at is not None  # an upheld objection sent it back to be valued again
        if stored is not None and (survey is None or stored.survey_id != survey.id or revalue or stale_share(claim, stored)):
            stored = None  # valued before a new survey, an upheld objection or joining an incident: it must be computed again
        panel_forms = {
            "revalue": revalue,
            "compute": forms.get("compute") or ComputeForm(version=claim.version),
            "adjust": forms.get("adjust") or AdjustForm(version=claim.version),
            "value": ValueForm(version=claim.version),
            "has_history": current_valuation(claim) is not None,
        }
        lines = final_lines(stored) if stored is not None else []
        pending = pending_countersign(stored) if stored is not None else []
        if pending and stored is not None and can_countersign(user, claim, stored):
            panel_forms["countersign"] = CountersignForm(version=claim.version)
        shared = shared_cap_text(stored) if stored is not None else ""
        return {"valuation": ValuationPanel(True, stored, lines, None if stored else quote_claim(claim), panel_forms, pending, shared)}
    if stored is not None and stored.frozen_at is not None:
        return {"valuation": ValuationPanel(False, stored, final_lines(stored), None, {}, shared_cap=shared_cap_text(stored))}
    return {}
