"""The insurer's bordereau of one policy for one month: the claims referred under it with movement in the month, and
those still outstanding, as at the month's end (docs/reports.md says it for readers).

A claim is listed when it was referred to the policy before the month ended and was not closed for the insurer
before the month began. It is closed for the insurer when the insurer's share was paid (its settlement), when the
insurer decided and its share is nothing (declined, or below the deductible), or when the county refused the award.
So the listing holds every claim that moved in the month (referred, decided by the insurer, approved by the county,
paid, refused) and every one outstanding at its start or end.

Each line is as at the month's end: a decision or a payment after it is not yet made. The insurer's share is the
approved decision's insurer share, or before approval the split the insurer's decision made; while the insurer has
not decided, the *reserve* stands in for it: the insurer's share of the frozen valuation under the policy's terms
(its covered categories, per-accident limits and deductible, by `insurance.split.split_award`; what other claims
drew on per-person and aggregate limits is not deducted). Outstanding is the reserve, or the share less what was
paid by the month's end.

Figures are read from the current records: a claim referred again after an upheld objection shows its latest
referral. The rows of one policy are read in one statement with their amounts joined in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import aliased

from claims.accounts.models import User
from claims.approval.models import Approval, Decision, Settlement, Share
from claims.core.crypto import mask_name
from claims.core.time import LOCAL_TZ, local_to_utc, to_local
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, InsurerDecision, Referral, Split
from claims.insurance.services import terms_of
from claims.insurance.split import split_award
from claims.intake.models import Claim
from claims.intake.permissions import scope_filter
from claims.regions.models import Region, Species
from claims.reports.permissions import bordereau_policies
from claims.valuation.models import ClaimValuation
from claims.valuation.spec import valuation_from_json
from claims.workflow.states import ClaimStatus

ZERO = Decimal("0.00")
MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")  # ASCII digits only
FIRST_YEAR, LAST_YEAR = 2000, 2100
MOVEMENTS = {
    "referred": _l("referred"),
    "decided": _l("decided by the insurer"),
    "approved": _l("approved"),
    "paid": _l("paid"),
    "refused": _l("refused by the county"),
}


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month | None:
        """`2026-03` -> Month, or None for anything else (another shape, month 13, year 1)."""
        match = MONTH.match(text.strip()) if text else None
        if match is None:
            return None
        year, month = int(match.group(1)), int(match.group(2))
        return cls(year, month) if FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12 else None

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        start = local_to_utc(datetime(self.year, self.month, 1, tzinfo=LOCAL_TZ))
        following = self.next_first
        return start, local_to_utc(datetime(following.year, following.month, 1, tzinfo=LOCAL_TZ))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Line:
    number: str
    county: str
    township: str
    species: str
    claimant: str  # masked
    incident_on: date | None
    referred_on: date | None
    decided_on: date | None
    approved_on: date | None
    paid_on: date | None
    decision: str
    valued: Decimal | None  # the government's frozen valuation
    assessed: Decimal | None  # the insurer's assessment
    reserve: Decimal | None  # while the insurer has not decided
    insurer_share: Decimal | None
    paid: Decimal  # by the month's end
    paid_in_month: Decimal
    outstanding: Decimal
    movements: str

    def cells(self) -> list[Any]:
        """The values in the order of the fields, which is the order of the export's columns."""
        return [getattr(self, f.name) for f in fields(self)]


AMOUNTS = ("valued", "assessed", "reserve", "insurer_share", "paid", "paid_in_month", "outstanding")


@dataclass
class Bordereau:
    policy: InsurancePolicy
    month: Month
    lines: list[Line] = field(default_factory=list)

    def total(self, name: str) -> Decimal:
        return sum((getattr(line, name) or ZERO for line in self.lines), ZERO)

    @property
    def totals(self) -> dict[str, Decimal]:
        return {name: self.total(name) for name in AMOUNTS}


def readable_policies(user: User) -> list[InsurancePolicy]:
    """The policies whose bordereau the user may read, newest term first."""
    holder = aliased(Region)
    query = (
        select(InsurancePolicy)
        .join(holder, holder.id == InsurancePolicy.policyholder_region_id)
        .where(bordereau_policies(user))
        .order_by(InsurancePolicy.term_start.desc(), InsurancePolicy.number)
    )
    return list(db.session.execute(query).scalars())


def _refused_at() -> Any:
    """When the county refused the award (its refusal is an approval row that did not approve)."""
    return select(func.max(Approval.decided_at)).where(Approval.claim_id == Claim.id, Approval.approved.is_(False)).correlate(Claim).scalar_subquery()


def _query(user: User, policy: InsurancePolicy, month: Month) -> Any:
    start, end = month.utc_bounds()
    county, township = aliased(Region), aliased(Region)
    refused_at = _refused_at().label("refused_at")
    paid = aliased(Settlement)
    share_now = func.coalesce(Decision.insurer_share, Split.insurer_share, 0)
    refused = _refused_at()
    closed_before = or_(  # each term false, never NULL, where its moment is missing (NOT NULL would drop the row)
        and_(paid.settled_at.is_not(None), paid.settled_at < start),
        and_(Referral.decided_at.is_not(None), Referral.decided_at < start, share_now == 0),
        and_(Claim.status == ClaimStatus.NOT_COMPENSATED, refused.is_not(None), refused < start),
    )
    return (
        select(
            Claim,
            Referral,
            county.name,
            township.name,
            Species.name_zh,
            ClaimValuation,
            Split.insurer_share,
            Decision.insurer_share,
            Decision.approved_at,
            paid.amount,
            paid.settled_at,
            refused_at,
        )
        .join(Claim, Claim.id == Referral.claim_id)
        .outerjoin(county, county.id == Claim.county_id)
        .outerjoin(township, township.id == Claim.township_id)
        .outerjoin(Species, Species.id == Claim.species_id)
        .outerjoin(ClaimValuation, (ClaimValuation.claim_id == Claim.id) & ClaimValuation.current & ClaimValuation.frozen_at.is_not(None))
        .outerjoin(Split, (Split.claim_id == Claim.id) & (Split.policy_id == policy.id))
        .outerjoin(Decision, (Decision.claim_id == Claim.id) & (Decision.policy_id == policy.id))
        .outerjoin(paid, (paid.claim_id == Claim.id) & (paid.share == Share.INSURER))
        .where(Referral.policy_id == policy.id, Referral.referred_at < end, scope_filter(user), not_(closed_before))
        .order_by(Referral.referred_at, Referral.id)
    )


def _local_day(moment: datetime | None) -> date | None:
    local = to_local(moment)
    return local.date() if local else None


def reserve_of(policy: InsurancePolicy, valuation: ClaimValuation | None) -> Decimal:
    """The insurer's share of the frozen valuation under the policy's terms, as if it accepted it as valued."""
    if valuation is None:
        return ZERO
    lines = valuation_from_json(valuation.adjusted_result or valuation.result).lines
    return split_award([(str(line.category), line.amount) for line in lines], terms_of(policy)).insurer_share


def bordereau(user: User, policy: InsurancePolicy, month: Month) -> Bordereau:
    """The policy's bordereau for the month, as the user may read it (the caller checked `can_read_bordereau`)."""
    start, end = month.utc_bounds()
    report = Bordereau(policy, month)
    for row in db.session.execute(_query(user, policy, month)):
        report.lines.append(_line(policy, row, start, end))
    return report


def _line(policy: InsurancePolicy, row: Any, start: datetime, end: datetime) -> Line:
    claim, referral, county, township, species, valuation, split_share, decided_share, approved_at, paid, paid_at, refused_at = row
    ends = {
        "referred": referral.referred_at,
        "decided": referral.decided_at,
        "approved": approved_at,
        "paid": paid_at,
        "refused": refused_at if claim.status == ClaimStatus.NOT_COMPENSATED else None,
    }
    done = {name: moment is not None and moment < end for name, moment in ends.items()}
    share, reserve = _share(policy, valuation, done, decided_share, split_share)
    paid_by_end = paid if done["paid"] and paid is not None else ZERO
    outstanding = reserve if reserve is not None else max((share or ZERO) - paid_by_end, ZERO)
    moved = [str(title) for name, title in MOVEMENTS.items() if done[name] and ends[name] >= start]  # type: ignore[operator]
    return Line(
        number=claim.number or "",
        county=county or "",
        township=township or "",
        species=species or claim.species_description or "",
        claimant=mask_name(claim.claimant_name),
        incident_on=_local_day(claim.incident_at),
        referred_on=_local_day(referral.referred_at),
        decided_on=_local_day(referral.decided_at) if done["decided"] else None,
        approved_on=_local_day(approved_at) if done["approved"] else None,
        paid_on=_local_day(paid_at) if done["paid"] else None,
        decision=_decision_title(referral, done),
        valued=valuation.total if valuation is not None else None,
        assessed=referral.assessed_amount if done["decided"] else None,
        reserve=reserve,
        insurer_share=share,
        paid=paid_by_end,
        paid_in_month=paid_by_end if done["paid"] and paid_at >= start else ZERO,
        outstanding=outstanding,
        movements="、".join(moved),
    )


Amounts = tuple[Decimal | None, Decimal | None]


def _share(policy: InsurancePolicy, valuation: ClaimValuation | None, done: dict[str, bool], decided: Decimal | None, split: Decimal | None) -> Amounts:
    """(the insurer's share, the reserve) as at the month's end: one of them, or neither (refused: nothing)."""
    if done["refused"]:
        return ZERO, None
    if done["approved"] and decided is not None:
        return decided, None
    if done["decided"]:
        return split if split is not None else ZERO, None
    return None, reserve_of(policy, valuation)


def _decision_title(referral: Referral, done: dict[str, bool]) -> str:
    if done["refused"]:
        return str(_l("Refused by the county"))
    if done["decided"] and referral.decision is not None:
        return InsurerDecision(referral.decision).title
    return str(_l("Pending"))
