"""The fund ledger per county and fiscal year, and the insurance policies' premiums against what the insurers paid.

The fund's figures are defined once, in claims/approval/budget.py (allocated, committed by approvals, paid, remaining);
this module chooses the counties a reader may see, adds the totals and writes the spreadsheets. docs/reports.md
("Fund ledger") says it for readers.

Loss ratio of a policy: what the insurer has paid under it to date (the insurer's share settled, of the claims whose
approved decision names the policy) divided by the premium; none when no premium was entered. The policies listed
are those held by a county or township in the reader's region whose term overlaps the fiscal year.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import func, select

from claims.accounts.models import User
from claims.approval.budget import ZERO, FundPosition, fund_positions
from claims.approval.models import Decision, Settlement, Share
from claims.core.spreadsheet import spreadsheet_text
from claims.core.time import local_now
from claims.extensions import db
from claims.insurance.models import InsurancePolicy
from claims.regions.models import Region, RegionLevel
from claims.reports.exports import Export, ExportFormat
from claims.reports.sheets import SPOOL_BYTES, Column, SheetRow, add_sheet, write_csv
from claims.workflow.audit import record_event

LEDGER_COLUMNS = (
    Column(_l("County"), width=16),
    Column(_l("Fiscal year"), width=8),  # a year, not a count: no thousands separator
    Column(_l("Allocated (yuan)"), "amount", 14),
    Column(_l("Committed by approvals (yuan)"), "amount", 14),
    Column(_l("Paid (yuan)"), "amount", 14),
    Column(_l("Remaining: allocated − committed (yuan)"), "amount", 14),
    Column(_l("Cash left: allocated − paid (yuan)"), "amount", 14),
    Column(_l("Note"), width=16),
)
LOSS_COLUMNS = (
    Column(_l("Policy number"), width=16),
    Column(_l("Insurer"), width=16),
    Column(_l("Policyholder"), width=16),
    Column(_l("Term from"), "date"),
    Column(_l("Term to"), "date"),
    Column(_l("Premium (yuan)"), "amount", 14),
    Column(_l("Paid by the insurer (yuan)"), "amount", 14),
    Column(_l("Loss ratio"), "ratio", 10),
)


@dataclass(frozen=True)
class LedgerRow:
    county: Region
    year: int
    position: FundPosition

    def cells(self) -> list[Any]:
        p = self.position
        note = "" if p.recorded else _("No budget recorded")
        return [spreadsheet_text(self.county.name), self.year, p.allocated, p.committed, p.paid, p.remaining, p.cash_left, note]


@dataclass(frozen=True)
class LossRow:
    policy: InsurancePolicy
    paid: Decimal

    @property
    def ratio(self) -> Decimal | None:
        """Paid / premium as a fraction (0.8 is 80 %), to four places; None without a premium."""
        premium = self.policy.premium
        if not premium:
            return None
        return (self.paid / premium).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    def cells(self) -> list[Any]:
        p = self.policy
        return [
            spreadsheet_text(p.number),
            spreadsheet_text(p.insurer.name),
            spreadsheet_text(p.policyholder.name),
            p.term_start,
            p.term_end,
            p.premium,
            self.paid,
            self.ratio,
        ]


@dataclass(frozen=True)
class Ledger:
    year: int
    rows: list[LedgerRow]
    policies: list[LossRow]

    @property
    def total(self) -> FundPosition:
        positions = [r.position for r in self.rows]
        return FundPosition(
            sum((p.allocated for p in positions), ZERO),
            sum((p.committed for p in positions), ZERO),
            sum((p.paid for p in positions), ZERO),
            any(p.recorded for p in positions),
        )


def ledger_counties(user: User) -> list[Region]:
    """The counties in the reader's region (their own county; each county of a prefecture or the province)."""
    if user.region is None:
        return []
    query = select(Region).where(Region.level == RegionLevel.COUNTY, Region.path.startswith(user.region.path)).order_by(Region.code)
    return list(db.session.execute(query).scalars())


def fund_ledger(user: User, year: int) -> Ledger:
    counties = ledger_counties(user)
    positions = fund_positions([c.id for c in counties], year)
    rows = [LedgerRow(c, year, positions[c.id]) for c in counties]
    return Ledger(year, rows, loss_ratios(user, year))


def loss_ratios(user: User, year: int) -> list[LossRow]:
    """The policies of the reader's region in force during the year, with what their insurers paid under them to date."""
    if user.region is None:
        return []
    held = select(Region.id).where(Region.path.startswith(user.region.path))
    query = (
        select(InsurancePolicy)
        .where(InsurancePolicy.policyholder_region_id.in_(held), InsurancePolicy.term_start <= date(year, 12, 31), InsurancePolicy.term_end >= date(year, 1, 1))
        .order_by(InsurancePolicy.term_start, InsurancePolicy.number)
    )
    policies = list(db.session.execute(query).scalars())
    paid = insurer_paid(p.id for p in policies)
    return [LossRow(p, paid.get(p.id, ZERO)) for p in policies]


def insurer_paid(policy_ids: Iterable[int]) -> dict[int, Decimal]:
    """The insurer's settled shares per policy (the policy its claim's decision names), in one grouped query."""
    ids = list(policy_ids)
    if not ids:
        return {}
    query = (
        select(Decision.policy_id, func.sum(Settlement.amount))
        .join(Decision, Decision.claim_id == Settlement.claim_id)
        .where(Settlement.share == Share.INSURER, Decision.policy_id.in_(ids))
        .group_by(Decision.policy_id)
    )
    return {policy_id: total or ZERO for policy_id, total in db.session.execute(query)}


# Spreadsheets --------------------------------------------------------------------------------------------
def write_ledger_csv(ledger: Ledger, out: IO[bytes]) -> None:
    """The fund ledger, a line a county (no total line: it is for other programs); UTF-8 with a BOM for Excel."""
    write_csv(out, LEDGER_COLUMNS, (SheetRow(row.cells()) for row in ledger.rows))


def write_ledger_xlsx(ledger: Ledger, out: IO[bytes]) -> None:
    """Two sheets: the fund ledger with a total row, and the policies' loss ratios."""
    book = Workbook(write_only=True)
    total = ledger.total
    figures = [total.allocated, total.committed, total.paid, total.remaining, total.cash_left]
    rows = [SheetRow(row.cells()) for row in ledger.rows] + [SheetRow([_("Total"), ledger.year, *figures], bold=True)]
    add_sheet(book, _("Fund ledger"), LEDGER_COLUMNS, rows)
    add_sheet(book, _("Loss ratio"), LOSS_COLUMNS, (SheetRow(loss.cells()) for loss in ledger.policies))
    book.save(out)


LEDGER_WRITERS = {ExportFormat.XLSX: write_ledger_xlsx, ExportFormat.CSV: write_ledger_csv}


def export_ledger(user: User, year: int, fmt: ExportFormat) -> Export:
    """The reader's fund ledger for the year as a spreadsheet, audited (who, which year, which format, how many counties)."""
    ledger = fund_ledger(user, year)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 -- closed by the response that sends it
    LEDGER_WRITERS[fmt](ledger, out)
    out.seek(0)
    record_event(entity="fund_ledger", action="ledger_exported", actor=user, changes={"format": fmt.value, "year": year, "counties": len(ledger.rows)})
    return Export(file=out, filename=f"fund-ledger-{year}-{local_now():%Y%m%d-%H%M}.{fmt.value}", fmt=fmt, rows=len(ledger.rows))
