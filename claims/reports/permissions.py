"""Who may read which reports, and over which claims."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, select

from claims.accounts.models import Role, User
from claims.insurance.models import InsurancePolicy
from claims.insurance.permissions import insurer_of
from claims.intake.models import Claim
from claims.intake.permissions import scope_filter, staff_draft_filter
from claims.regions.models import Region, RegionLevel

REPORT_READERS = frozenset({Role.APPROVER, Role.ADMIN})


@dataclass(frozen=True)
class ReportScope:
    """The claims a report covers (the same WHERE clause as the claim lists) and how finely it is split."""

    claims: Any  # a SQL condition on Claim
    townships: bool  # a county's users see its townships too; the province's and a prefecture's see counties
    region: Region | None = None  # the reader's region: the statistics list its counties (or townships)


def can_see_stage_times(user: User) -> bool:
    """County approvers, county administrators and the province's (or a prefecture's) administrators."""
    return user.active and user.role in REPORT_READERS and user.region is not None


def report_scope(user: User) -> ReportScope | None:
    """The user's scope for reports, or None when they may read none."""
    if not can_see_stage_times(user):
        return None
    return ReportScope(claims=scope_filter(user), townships=user.region.level in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP), region=user.region)


def can_export_claims(user: User | None) -> bool:
    """The claim list as a spreadsheet (claims/reports/exports.py) is for the staff who work or oversee claims,
    within the same scope as the list; a villager's list is a handful of their own claims, shown on the page."""
    return user is not None and user.active and user.role.is_staff


def can_read_ledger(user: User) -> bool:
    """The fund ledger and the policies' loss ratios: county approvers and administrators (their county), and the
    province's and prefectures' administrators (each county of their region). There is no finance role: the finance
    bureau's figures are entered by the county's administrator (claims/approval/budget.py)."""
    return can_see_stage_times(user)


DASHBOARD_LEVELS = frozenset({RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY, RegionLevel.TOWNSHIP})


def can_see_dashboard(user: User) -> bool:
    """The dashboards' readers are the stage times': county approvers and administrators (their county and its
    townships), a prefecture's and the province's administrators (their region and every region below it).
    [design] No dashboard for insurers: their figures (the referred claims) are the bordereau's, an export."""
    return can_see_stage_times(user)


def can_see_region(user: User, region: Region | None) -> bool:
    """A dashboard of `region`: within the reader's own region (itself or below it), down to a township."""
    if region is None or not can_see_dashboard(user) or region.level not in DASHBOARD_LEVELS:
        return False
    return region.is_within(user.region)


# The incident map (/reports/map): the government staff who work or oversee claims in a territory, each in their own.
MAP_READERS = frozenset({Role.CLERK, Role.OFFICER, Role.APPROVER, Role.ADMIN})


@dataclass(frozen=True)
class MapScope:
    """The claims whose points a map shows (`claims`), and among them those whose id and link it gives (`opens`)."""

    claims: Any  # a SQL condition on Claim: the reader's scope, submitted claims only (a draft is no incident yet)
    opens: Any  # a SQL condition on Claim: `can_view_claim` in SQL (scope_filter with staff_draft_filter)
    region: Region


def can_see_map(user: User | None) -> bool:
    """Clerks (their township), officers and approvers (their county), administrators (their region): where damage
    happens is what they plan patrols, fences and culling permits from. Not villagers (a map of one's own few claims
    says nothing their list does not) nor insurers' adjusters (their scope is a list of referrals, not a territory;
    they settle from the claims and the bordereau, and farms' positions are personal data they do not need)."""
    return user is not None and user.active and user.role in MAP_READERS and user.region is not None


def map_scope(user: User) -> MapScope | None:
    """The reader's map, or None when they may see none."""
    if not can_see_map(user):
        return None
    scope = scope_filter(user)
    return MapScope(claims=and_(scope, Claim.number.is_not(None)), opens=and_(scope, staff_draft_filter(user)), region=user.region)


def can_read_bordereau(user: User | None, policy: InsurancePolicy) -> bool:
    """A policy's bordereau: the insurer's own adjusters (the app has no administrator role for an insurer's
    organisation: every adjuster linked to the insurer reads its bordereaux), and the county's approvers and the
    administrators whose region holds the policyholder. `bordereau_policies` is the same rule in SQL."""
    if user is None or not user.active:
        return False
    if user.role == Role.INSURER:
        insurer = insurer_of(user)
        return insurer is not None and policy.insurer_id == insurer
    if user.role in REPORT_READERS and user.region is not None:
        return policy.policyholder.is_within(user.region)
    return False


def bordereau_policies(user: User) -> Any:
    """`can_read_bordereau` as a WHERE clause on InsurancePolicy (joined to its policyholder as `holder`)."""
    if not user.active:
        return false()
    if user.role == Role.INSURER:
        insurer = insurer_of(user)
        return InsurancePolicy.insurer_id == insurer if insurer is not None else false()
    if user.role in REPORT_READERS and user.region is not None:
        holder = select(Region.id).where(Region.path.startswith(user.region.path))
        return InsurancePolicy.policyholder_region_id.in_(holder)
    return false()


def may_ask_for_bordereau(user: User) -> bool:
    """Who gets the bordereau page at all (each then sees only their policies)."""
    return user.active and (user.role == Role.INSURER or (user.role in REPORT_READERS and user.region is not None))
