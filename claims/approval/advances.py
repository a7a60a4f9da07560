"""The advance on injury and death (先行支付): how much may be advanced, and what the final decision still pays.

Some programmes pay part of a personal award at once (Uttarakhand: 30 % of the death compensation within 48 hours;
Karnataka: an immediate advance). A county turns it on with its settings `advance_percent` and `advance_fixed`,
bounded by `advance_cap` (claims/regions/settings.py). The amount, in this order (docs/payments.md):

1. a valued claim: the percentage of the valued personal lines (injury and death) of its current valuation;
2. else, a death: the percentage of the flat death amount of the schedule in force on the incident date, per person;
3. else: the fixed sum;
4. never more than the cap.

[design] The advance is paid from county funds, so the final decision deducts it from the government's share first;
what exceeds the government's share is deducted from the insurer's payment to the claimant (the insurer owes that part
to the county fund). The split between insurer and government (claims/insurance/split.py) is not changed: the policy's
limits are drawn as before. A final award smaller than the advance pays nothing more and records the overpayment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from claims.approval.models import Advance, Payment, PaymentStatus, Share
from claims.core.money import FEN
from claims.core.pagination import PAGE_SIZE, Page, SortKey, paginate
from claims.core.time import to_local
from claims.documents.formats import yuan
from claims.extensions import db
from claims.intake.models import PERSONAL_CATEGORIES, Claim, LossCategory
from claims.regions.settings import county_settings
from claims.valuation.schedules import schedules_for, spec_of
from claims.valuation.services import current_valuation, final_lines
from claims.workflow.states import ClaimStatus as S

ZERO = Decimal("0.00")
SETTINGS = ["advance_percent", "advance_fixed", "advance_cap"]
# [design] From intake on (the township has recorded the injury or death) until the claim goes on public notice: an
# advance later than that is no longer ahead of the decision, which follows the notice within days.
ADVANCE_SOURCES = frozenset({S.ACCEPTED, S.SURVEY_ASSIGNED, S.SURVEYED, S.DISPUTED, S.CONFIRMED, S.VALUED, S.REFERRED, S.INSURER_DECIDED})
# A request made before the notice may still be approved while the claim is on it (not after the final decision).
APPROVAL_SOURCES = ADVANCE_SOURCES | {S.IN_NOTICE, S.OBJECTION_REVIEW}
VALUED = frozenset({S.VALUED, S.REFERRED, S.INSURER_DECIDED})
# An approved advance is paid (and a failed one paid again) while the claim is on its course or approved; a claim
# refused or withdrawn has its unpaid advance left out of the advance batches (docs/payments.md section 4).
PAYABLE_SOURCES = APPROVAL_SOURCES | {S.APPROVED}


@dataclass(frozen=True)
class AdvanceQuote:
    """What may be advanced now: the amount and how it was found (as the decision prints it), or why none."""

    amount: Decimal
    basis: str
    problem: str | None = None


def advance_of(claim: Claim) -> Advance | None:
    return db.session.get(Advance, claim.id)


def personal_losses(claim: Claim) -> list[LossCategory]:
    return [line.category for line in claim.losses if line.category in PERSONAL_CATEGORIES]


def quote_advance(claim: Claim, on_date: date | None = None) -> AdvanceQuote:
    """The advance the county's settings allow on this claim today (steps 1 to 4 of the module's order)."""
    settings = county_settings(claim.county, SETTINGS, on_date)
    percent, fixed, cap = Decimal(settings["advance_percent"]), Decimal(settings["advance_fixed"]), Decimal(settings["advance_cap"])
    if not personal_losses(claim):
        return AdvanceQuote(ZERO, "", _("An advance is paid only for a personal injury or a death."))
    if not percent and not fixed:
        return AdvanceQuote(ZERO, "", _("This county pays no advance: its settings give neither a percentage nor a fixed sum."))
    amount, basis = _base_amount(claim, percent, fixed)
    if amount is None or amount <= 0:
        return AdvanceQuote(ZERO, "", _("There is no amount to advance yet: the county's settings give no fixed sum for this case."))
    if amount > cap:
        amount, basis = cap.quantize(FEN), f"{basis}，超过县级设定的先行支付上限，按上限{yuan(cap)}支付"
    if amount <= 0:  # a cap of 0 leaves nothing to advance
        return AdvanceQuote(ZERO, "", _("There is no amount to advance: the county's advance cap is zero."))
    return AdvanceQuote(amount, basis)


def _base_amount(claim: Claim, percent: Decimal, fixed: Decimal) -> tuple[Decimal | None, str]:
    valued = _valued_personal(claim)
    if percent and valued is not None:
        return _share(valued, percent), f"核定的人身损害补偿{yuan(valued)} × {percent}%"
    death = _flat_death(claim)
    deaths = sum(1 for category in personal_losses(claim) if category == LossCategory.DEATH)
    if percent and death is not None and deaths:
        persons = f" × {deaths}人" if deaths > 1 else ""
        return _share(death * deaths, percent), f"补偿标准规定的死亡补偿{yuan(death)}{persons} × {percent}%"
    if fixed:
        return fixed.quantize(FEN), f"县级设定的先行支付定额{yuan(fixed)}"
    return None, ""


def _share(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / 100).quantize(FEN, rounding=ROUND_HALF_UP)


def _valued_personal(claim: Claim) -> Decimal | None:
    """The personal lines of the current valuation, once the claim is valued (caps and deductions included)."""
    valuation = current_valuation(claim) if claim.status in VALUED else None
    if valuation is None:
        return None
    return sum((line.amount for line in final_lines(valuation) if line.category in PERSONAL_CATEGORIES), ZERO)


def _flat_death(claim: Claim) -> Decimal | None:
    """The flat death amount of the schedule in force on the incident date (the most specific one with personal rules)."""
    if claim.county is None or claim.incident_at is None:
        return None
    for schedule in schedules_for(claim.county, to_local(claim.incident_at).date()):
        personal = spec_of(schedule).personal
        if personal is not None:
            return personal.death.flat if personal.death is not None else None
    return None


def advance_payment_failed(claim: Claim) -> bool:
    """The advance's payment came back from the bank and no corrected payment replaces it yet."""
    shares = db.session.execute(select(Payment.status).where(Payment.claim_id == claim.id, Payment.share == Share.ADVANCE)).scalars().all()
    return PaymentStatus.FAILED in shares and not any(status != PaymentStatus.FAILED for status in shares)


@dataclass(frozen=True)
class NetOfAdvance:
    """What the final decision still pays each payer after the advance, and what the advance paid too much."""

    government: Decimal
    insurer: Decimal
    overpaid: Decimal

    @property
    def payable(self) -> Decimal:
        return self.government + self.insurer


def net_of_advance(government_share: Decimal, insurer_share: Decimal, advance: Decimal) -> NetOfAdvance:
    """The advance comes off the government's share first, then off the insurer's payment; what is left over was
    overpaid. E.g. shares 3,000 + 7,000 and an advance of 4,000: the government pays 0, the insurer 6,000."""
    government = max(government_share - advance, ZERO)
    rest = max(advance - government_share, ZERO)
    insurer = max(insurer_share - rest, ZERO)
    return NetOfAdvance(government, insurer, max(rest - insurer_share, ZERO))


# The approvers' queue: the county's advances waiting for approval, the most urgent first -------------------------
WAITING_KEYS = (SortKey(Advance.due_on, date), SortKey(Advance.claim_id, int))


def waiting_query(county_id: int) -> Select[tuple[Advance]]:
    """A request on a claim that has left the statuses where it may be approved (refused, decided) lapses: not listed."""
    waiting = (Advance.county_id == county_id) & Advance.approved_at.is_(None) & Claim.status.in_(APPROVAL_SOURCES)
    return select(Advance).join(Claim, Claim.id == Advance.claim_id).where(waiting).options(joinedload(Advance.claim))


def waiting_advances(county_id: int, after: str | None = None, size: int = PAGE_SIZE) -> Page[Advance]:
    """Index: (county_id, approved_at)."""
    return paginate(waiting_query(county_id), WAITING_KEYS, after, size=size, session=db.session)
