"""The valuation section of a claim page: the officer's quote and actions, or the submitted valuation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from claims.accounts.models import User
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim
from claims.lifecycle import available_actions
from claims.survey.services import latest_survey
from claims.valuation.forms import AdjustForm, ComputeForm, ValueForm
from claims.valuation.models import ClaimValuation
from claims.valuation.services import FinalLine, Quote, current_valuation, final_lines, quote_claim


@dataclass
class ValuationPanel:
    editable: bool
    stored: ClaimValuation | None
    lines: list[FinalLine]
    quote: Quote | None
    forms: dict[str, Any]


def valuation_panel(claim: Claim, user: User, forms: dict[str, Any]) -> dict[str, Any]:
    """{"valuation": ValuationPanel} when the user may see one on this claim, else {}."""
    if not can_view_claim(user, claim):
        return {}
    stored = current_valuation(claim)
    if "value" in available_actions(claim, user):
        survey = latest_survey(claim)
        revalue = stored is not None and stored.frozen_at is not None  # an upheld objection sent it back to be valued again
        if stored is not None and (survey is None or stored.survey_id != survey.id or revalue):
            stored = None  # valued before a new survey, or before an upheld objection: it must be computed again
        panel_forms = {
            "revalue": revalue,
            "compute": forms.get("compute") or ComputeForm(version=claim.version),
            "adjust": forms.get("adjust") or AdjustForm(version=claim.version),
            "value": ValueForm(version=claim.version),
            "has_history": current_valuation(claim) is not None,
        }
        lines = final_lines(stored) if stored is not None else []
        return {"valuation": ValuationPanel(True, stored, lines, None if stored else quote_claim(claim), panel_forms)}
    if stored is not None and stored.frozen_at is not None:
        return {"valuation": ValuationPanel(False, stored, final_lines(stored), None, {})}
    return {}
