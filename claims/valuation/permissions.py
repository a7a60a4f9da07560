"""Who may see and change schedules and reference data, value a claim, or ask for a quote."""

from __future__ import annotations

from flask_babel import gettext as _

from claims.accounts.models import Role, User
from claims.accounts.permissions import administers
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim
from claims.regions.models import Region
from claims.survey.permissions import conflict_problem
from claims.valuation.models import ClaimValuation, CompensationSchedule


def _related(user: User, region: Region) -> bool:
    """The region is within the user's region, or the user's region is within it (a schedule that applies there)."""
    return user.region is not None and (region.is_within(user.region) or user.region.is_within(region))


def can_view_schedules(user: User | None) -> bool:
    return user is not None and user.active and user.role in (Role.ADMIN, Role.APPROVER)


def can_view_schedule(user: User | None, schedule: CompensationSchedule) -> bool:
    return can_view_schedules(user) and _related(user, schedule.region)  # type: ignore[arg-type]


def can_manage_schedules(user: User | None) -> bool:
    return user is not None and user.active and user.role == Role.ADMIN and user.region is not None


def can_manage_schedule(user: User | None, schedule: CompensationSchedule) -> bool:
    return can_manage_schedules(user) and administers(user, schedule.region)


def can_value_claim(user: User | None, claim: Claim) -> bool:
    """A forestry officer of the claim's county who is not a party to it."""
    if user is None or user.role != Role.OFFICER or not can_view_claim(user, claim):
        return False
    return conflict_problem(claim, user) is None


def countersign_problem(claim: Claim, valuation: ClaimValuation, user: User) -> str | None:
    """Why `user` may not countersign the valuation's adjustments, or None: a second forestry officer of the county
    who neither computed nor adjusted it and is not a party to the claim."""
    if user.role != Role.OFFICER or not user.active or not can_view_claim(user, claim):
        return _("Only another forestry officer of the county may countersign.")
    if user.id == valuation.computed_by_id or any(a.adjusted_by_id == user.id for a in valuation.adjustments):
        return _("You computed or adjusted this valuation: another officer must countersign it.")
    return conflict_problem(claim, user)


def can_countersign(user: User | None, claim: Claim, valuation: ClaimValuation) -> bool:
    return user is not None and countersign_problem(claim, valuation, user) is None


def can_quote(user: User | None) -> bool:
    """Any signed-in user: a quote only applies the published schedules to the figures sent."""
    return user is not None and user.active
