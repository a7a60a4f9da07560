"""The "value" step (CONFIRMED -> VALUED) in the one transition table, its notice and history texts."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from claims.accounts.models import Role, User
from claims.core.time import utcnow
from claims.intake.models import Claim
from claims.survey.permissions import conflict_problem
from claims.survey.services import latest_survey
from claims.workflow.history import ACTION_TEXT
from claims.workflow.notify import both, claimant, county_approvers, register_notice
from claims.workflow.states import ClaimStatus, Transition, register


def _valuation_ready(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    from claims.valuation.services import current_valuation

    valuation = current_valuation(claim)
    survey = latest_survey(claim)
    if valuation is None or survey is None or valuation.survey_id != survey.id:
        return _("Compute the valuation of the current survey first.")
    if valuation.frozen_at is not None:
        return _("This valuation can no longer be changed.")
    return conflict_problem(claim, actor)


def _freeze(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    from claims.valuation.services import current_valuation

    valuation = current_valuation(claim)
    assert valuation is not None
    valuation.frozen_at = utcnow()
    claim.due_at = None


register(
    Transition(
        "value",
        _l("Submit the valuation"),
        frozenset({ClaimStatus.CONFIRMED}),
        ClaimStatus.VALUED,
        frozenset({Role.OFFICER}),
        (_valuation_ready,),
        _freeze,
    )
)

register_notice("value", _l("Claim %(number)s was valued. The amount, line by line, is on the claim page."), both(claimant, county_approvers))

ACTION_TEXT.update(
    {
        "value": _l("Submitted the valuation"),
        "valuation_computed": _l("Computed the valuation"),
        "valuation_recomputed": _l("Computed the valuation again"),
        "valuation_adjusted": _l("Adjusted a valuation line"),
    }
)
