"""The checks and effects of the "value" step (CONFIRMED -> VALUED), named by claims.lifecycle."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from claims.accounts.models import User
from claims.core.time import local_today, utcnow
from claims.intake.models import Claim
from claims.regions.services import add_working_days
from claims.regions.settings import county_setting
from claims.survey.permissions import conflict_problem
from claims.survey.services import latest_survey
from claims.valuation.incidents import stale_share, unvalued_households
from claims.valuation.services import current_valuation, latest_adjustments, pending_countersign


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
    if stale_share(claim, valuation):
        return _("The claim joined an incident after it was valued: compute the valuation again.")
    waiting = unvalued_households(claim)
    if waiting is not None and waiting[1]:
        # the per-accident cap is shared pro rata over all its households, whoever is submitted first
        return _(
            "%(count)d other household(s) of incident %(number)s are not valued yet: "
            "value them first, so that the per-accident cap is shared among all of them.",
            count=waiting[1],
            number=waiting[0].number,
        )
    return conflict_problem(claim, actor)


def adjustments_countersigned(claim: Claim, actor: User, data: dict[str, Any]) -> str | None:
    """No single person sets an amount: an adjustment above the engine's figure is countersigned by a second
    officer (who then does not submit the valuation themself)."""
    valuation = current_valuation(claim)
    if valuation is None:
        return None
    pending = pending_countersign(valuation)
    if pending:
        lines = "、".join(a.line_id for a in pending)
        return _("An adjustment above the schedule's amount (line %(lines)s) needs a second officer's countersignature first.", lines=lines)
    if any(a.countersigned_by_id == actor.id for a in latest_adjustments(valuation).values()):
        return _("You countersigned an adjustment of this valuation: another officer submits it.")
    return None


def freeze_valuation(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    valuation = current_valuation(claim)
    assert valuation is not None
    valuation.frozen_at = utcnow()
    # The township puts it on public notice within the county's limit (a referral that follows sets the insurer's).
    claim.due_at = add_working_days(local_today(), county_setting(claim.county, "notice_within_working_days"))
