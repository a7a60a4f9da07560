"""The checks and effects of the "value" step (CONFIRMED -> VALUED), named by claims.lifecycle."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from claims.accounts.models import User
from claims.core.time import utcnow
from claims.intake.models import Claim
from claims.survey.permissions import conflict_problem
from claims.survey.services import latest_survey
from claims.valuation.services import current_valuation


def may_value(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """A forestry officer of the county who is not a party to the claim (the role is the table's)."""
    return conflict_problem(claim, actor)


def valuation_ready(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    valuation = current_valuation(claim)
    survey = latest_survey(claim)
    if valuation is None or survey is None or valuation.survey_id != survey.id:
        return _("Compute the valuation of the current survey first.")
    if valuation.frozen_at is not None:
        return _("This valuation can no longer be changed.")
    return conflict_problem(claim, actor)


def freeze_valuation(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    valuation = current_valuation(claim)
    assert valuation is not None
    valuation.frozen_at = utcnow()
    claim.due_at = None
