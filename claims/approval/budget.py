"""A county's compensation fund: the finance bureau's allocations per fiscal year, and what approvals commit and pay from it.

The one definition of the fund's figures (docs/reports.md, "Fund ledger"), used by the approval page's warning and by
the ledger report (claims/reports/ledger.py):
- allocated: the sum of the county's allocation entries for the year (reversals are negative entries);
- committed: the government share of the county's claims approved in the year: `Decision.government_share`, the
  figure frozen at approval, by the local (Asia/Shanghai) date of `Decision.approved_at` (the final approval; a
  first of two approvals commits nothing), less the advance the decision deducts; and the advances on injury and
  death approved in the year (`Advance.amount` by `Advance.approved_at`), which county funds pay;
- paid: the government share and the advances settled in the year: `Settlement.amount` of those shares (paid
  through payment batches), by the local date of `Settlement.settled_at`;
- remaining: allocated - committed; cash left: allocated - paid.
Fiscal years are calendar years (China's budget law), so a year is 1 January to 31 December, local time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, select, type_coerce

from claims.accounts.models import Role, User
from claims.approval.models import Advance, BudgetAllocation, Decision, Settlement, Share
from claims.core.time import LOCAL_TZ, local_to_utc, local_today
from claims.extensions import db
from claims.insurance.models import Split
from claims.intake.models import Claim
from claims.regions.models import Region, RegionLevel
from claims.workflow.audit import lock_chain, record_event
from claims.workflow.services import WorkflowError

ZERO = Decimal("0.00")
FEN = Decimal("0.01")
MAX_ALLOCATION = Decimal("100000000.00")  # 1亿 yuan: far above any county's yearly fund; more is a typing error
FIRST_YEAR = 2000  # the schema's bound (and the app's earliest date)
YEARS_AHEAD = 1  # next year's budget is known in December
COUNTY_FUNDS = (Share.GOVERNMENT, Share.ADVANCE)  # the shares the county's fund pays


class BudgetError(WorkflowError):
    """An allocation that may not be recorded: the message says why, in the user's language."""


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The UTC instants where the local calendar year starts and where the next one starts."""
    start = local_to_utc(datetime.combine(date(year, 1, 1), time.min, LOCAL_TZ))
    return start, local_to_utc(datetime.combine(date(year + 1, 1, 1), time.min, LOCAL_TZ))


def year_choices(today: date | None = None) -> list[int]:
    """The fiscal years one may enter or report on: from 2000 to next year, the newest first."""
    last = (today or local_today()).year + YEARS_AHEAD
    return list(range(last, FIRST_YEAR - 1, -1))


# Who enters ---------------------------------------------------------------------------------------------
def budget_county(user: User) -> Region | None:
    """The county whose fund the user keeps: an active administrator of a county, that county; anyone else, none."""
    if user.active and user.role == Role.ADMIN and user.region is not None and user.region.level == RegionLevel.COUNTY:
        return user.region
    return None


def can_enter_allocations(user: User, county: Region) -> bool:
    return budget_county(user) is not None and budget_county(user) == county


# Writing ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AllocationInput:
    fiscal_year: int
    amount: Decimal
    document_title: str
    document_number: str
    document_date: date
    note: str | None = None


def add_allocation(county: Region, data: AllocationInput, *, actor: User) -> BudgetAllocation:
    """Record one allocation (or supplementary allocation) of the county's fund, and audit it."""
    if not can_enter_allocations(actor, county):
        raise BudgetError(_("You may not enter the budget of this county."))
    if data.amount != data.amount.quantize(FEN):  # to the fen, as typed: never rounded behind the user's back
        raise BudgetError(_("Enter the amount in yuan with at most two decimals."))
    if not ZERO < data.amount <= MAX_ALLOCATION:
        raise BudgetError(_("Enter an amount above 0 and at most %(max)s yuan.", max=f"{MAX_ALLOCATION:,.2f}"))
    if data.fiscal_year not in year_choices():
        raise BudgetError(_("Choose a fiscal year from %(first)d to %(last)d.", first=FIRST_YEAR, last=year_choices()[0]))
    entry = BudgetAllocation(
        county_id=county.id,
        fiscal_year=data.fiscal_year,
        amount=data.amount,
        document_title=data.document_title.strip(),
        document_number=data.document_number.strip(),
        document_date=data.document_date,
        note=(data.note or "").strip() or None,
        entered_by_id=actor.id,
    )
    db.session.add(entry)
    db.session.flush()
    record_event(entity="budget_allocation", entity_id=entry.id, action="budget_allocated", actor=actor, changes=_changes(entry))
    return entry


def reverse_allocation(entry: BudgetAllocation, reason: str, *, actor: User) -> BudgetAllocation:
    """Correct a wrong entry the way a finance ledger does: a negative entry of the same amount (红字冲销), audited."""
    if not can_enter_allocations(actor, entry.county):
        raise BudgetError(_("You may not enter the budget of this county."))
    lock_chain()  # the audit chain's lock first, as every writer takes it; then the entry, so two reversals take turns
    query = select(BudgetAllocation).where(BudgetAllocation.id == entry.id).with_for_update().execution_options(populate_existing=True)
    entry = db.session.execute(query).scalar_one()
    if entry.reverses_id is not None or _reversal_of(entry.id) is not None:
        raise BudgetError(_("This entry was reversed already, or is itself a reversal."))
    if not (reason or "").strip():
        raise BudgetError(_("Say why the entry is reversed."))
    reversal = BudgetAllocation(
        county_id=entry.county_id,
        fiscal_year=entry.fiscal_year,
        amount=-entry.amount,
        document_title=entry.document_title,
        document_number=entry.document_number,
        document_date=entry.document_date,
        note=reason.strip(),
        reverses_id=entry.id,
        entered_by_id=actor.id,
    )
    db.session.add(reversal)
    db.session.flush()
    record_event(entity="budget_allocation", entity_id=reversal.id, action="budget_reversed", actor=actor, reason=reversal.note, changes=_changes(reversal))
    return reversal


def _changes(entry: BudgetAllocation) -> dict[str, object]:
    return {
        "county": entry.county_id,
        "year": entry.fiscal_year,
        "amount": str(entry.amount),
        "document": entry.document_number,
        "document_date": entry.document_date.isoformat(),
        "reverses": entry.reverses_id,
    }


def _reversal_of(entry_id: int) -> BudgetAllocation | None:
    return db.session.execute(select(BudgetAllocation).where(BudgetAllocation.reverses_id == entry_id)).scalar_one_or_none()


# Reading ------------------------------------------------------------------------------------------------
def allocations_of(county: Region, year: int) -> list[BudgetAllocation]:
    """The county's entries for the year, in the order they were made (a handful a year)."""
    query = select(BudgetAllocation).where(BudgetAllocation.county_id == county.id, BudgetAllocation.fiscal_year == year)
    return list(db.session.execute(query.order_by(BudgetAllocation.id)).scalars())


def reversible(entries: list[BudgetAllocation]) -> list[BudgetAllocation]:
    """The entries that may still be reversed: allocations not reversed yet."""
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id is not None}
    return [e for e in entries if e.reverses_id is None and e.id not in reversed_ids]


@dataclass(frozen=True)
class FundPosition:
    """One county's fund in one fiscal year. `recorded`: at least one allocation entry exists for the year."""

    allocated: Decimal
    committed: Decimal
    paid: Decimal
    recorded: bool

    @property
    def remaining(self) -> Decimal:
        return self.allocated - self.committed

    @property
    def cash_left(self) -> Decimal:
        return self.allocated - self.paid


def fund_positions(county_ids: Iterable[int], year: int) -> dict[int, FundPosition]:
    """Each county's position for the year: three grouped queries, whatever the number of counties or claims."""
    ids = sorted(set(county_ids))
    if not ids:
        return {}
    start, end = year_bounds(year)
    allocated_q = (
        select(BudgetAllocation.county_id, func.sum(BudgetAllocation.amount), func.count())
        .where(BudgetAllocation.county_id.in_(ids), BudgetAllocation.fiscal_year == year)
        .group_by(BudgetAllocation.county_id)
    )
    # A decision commits its government share less the advance it deducts (the advance committed when it was approved).
    government_left = case((Decision.advance_paid >= Decision.government_share, 0), else_=Decision.government_share - Decision.advance_paid)
    committed_q = (
        select(Claim.county_id, func.sum(type_coerce(government_left, Decision.government_share.type)))
        .join(Claim, Claim.id == Decision.claim_id)
        .where(Claim.county_id.in_(ids), Decision.approved_at >= start, Decision.approved_at < end)
        .group_by(Claim.county_id)
    )
    advanced_q = (
        select(Advance.county_id, func.sum(Advance.amount))
        .where(Advance.county_id.in_(ids), Advance.approved_at >= start, Advance.approved_at < end)
        .group_by(Advance.county_id)
    )
    paid_q = (
        select(Claim.county_id, func.sum(Settlement.amount))
        .join(Claim, Claim.id == Settlement.claim_id)
        .where(Claim.county_id.in_(ids), Settlement.share.in_(COUNTY_FUNDS), Settlement.settled_at >= start, Settlement.settled_at < end)
        .group_by(Claim.county_id)
    )
    allocated = {county: (_fen(total), count) for county, total, count in db.session.execute(allocated_q)}
    committed = {county: _fen(total) for county, total in db.session.execute(committed_q)}
    for county, total in db.session.execute(advanced_q):
        committed[county] = committed.get(county, ZERO) + _fen(total)
    paid = {county: _fen(total) for county, total in db.session.execute(paid_q)}
    return {i: FundPosition(allocated.get(i, (ZERO, 0))[0], committed.get(i, ZERO), paid.get(i, ZERO), allocated.get(i, (ZERO, 0))[1] > 0) for i in ids}


def _fen(total: Decimal | None) -> Decimal:
    """A SUM of a Money column (SUM keeps the column's type: yuan to the fen), or zero when there was nothing to sum."""
    return total if total is not None else ZERO


def fund_position(county_id: int, year: int) -> FundPosition:
    return fund_positions([county_id], year)[county_id]


# The approval's check ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetCheck:
    """What approving a claim today would do to its county's fund: its government share against what remains."""

    year: int
    share: Decimal  # the government share the approval commits
    position: FundPosition

    @property
    def recorded(self) -> bool:
        return self.position.recorded

    @property
    def overdraws(self) -> bool:
        """Only when a budget is recorded for the year: with none, there is nothing to overdraw (a neutral note)."""
        return self.recorded and self.share > self.position.remaining

    @property
    def shortfall(self) -> Decimal:
        return max(self.share - self.position.remaining, ZERO)


def budget_check_after_approval(claim: Claim, today: date | None = None) -> BudgetCheck:
    """The same check, made inside the approval's transaction once its share is committed (so after the audit chain's
    lock, which every writer takes first: a concurrent approval in the county has committed or waits). The position
    is shown as it stood before this approval, so the message reads as `budget_check`'s."""
    check = budget_check(claim, today)
    before = check.position
    return BudgetCheck(check.year, check.share, FundPosition(before.allocated, before.committed - check.share, before.paid, before.recorded))


def budget_check(claim: Claim, today: date | None = None) -> BudgetCheck:
    """The check the approver sees before approving (and in the message after): approvals commit in the year of the
    approval's local date, today."""
    split = db.session.get(Split, claim.id)
    advance = db.session.get(Advance, claim.id)
    advanced = advance.amount if advance is not None and advance.approved_at is not None else ZERO  # committed already
    share = max(split.government_share - advanced, ZERO) if split is not None else ZERO
    year = (today or local_today()).year
    return BudgetCheck(year, share, fund_position(claim.county_id or 0, year))
