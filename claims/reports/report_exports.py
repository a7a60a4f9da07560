"""The annual statistics table and the insurer's bordereau as spreadsheets (XLSX and CSV), each export audited.

The figures are the pages' own (claims/reports/statistics.py, claims/reports/bordereau.py); the cells go through
claims/reports/sheets.py, which neutralises formulas. No ID number, account or mobile is read; the bordereau's
claimants are masked (张*国), as the claim list's export masks them for every staff role.
- Statistics: a heading (the table's title and how claims are counted), the column titles, a row a county (or
  township), each prefecture's subtotal, the total. The CSV holds the same rows, without the heading.
- Bordereau: a heading (policy, insurer, policyholder, month), the column titles, a line a claim and, in the XLSX,
  a total line. The CSV holds the claims' lines only (it is for other programs), as the claim list's does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from claims.accounts.models import User
from claims.core.time import local_now
from claims.insurance.models import InsurancePolicy
from claims.intake.models import LossCategory
from claims.reports.bordereau import AMOUNTS, Bordereau, Month, bordereau
from claims.reports.exports import ExportFormat
from claims.reports.permissions import ReportScope
from claims.reports.sheets import Column, SheetRow, spooled, write_csv, write_xlsx
from claims.reports.statistics import ZERO, Row, StatisticsReport, annual_statistics, group_title
from claims.workflow.audit import record_event


@dataclass
class ReportFile:
    file: IO[bytes]
    filename: str
    fmt: ExportFormat


# --- the annual statistics -------------------------------------------------------------------------------------


STATISTICS_RULE = _l("Claims counted by the year of the incident; every submitted claim is a case; amounts as recorded at the time of export.")


def statistics_columns(report: StatisticsReport) -> list[Column]:
    counts = [_l("Cases"), _l("Households"), _l("Compensated"), _l("Refused"), _l("Withdrawn"), _l("In progress")]
    amounts = [
        _l("Amount valued (yuan)"),
        _l("Amount approved (yuan)"),
        _l("Insurer share (yuan)"),
        _l("Government share (yuan)"),
        _l("Amount paid (yuan)"),
        _l("Paid by the insurer (yuan)"),
        _l("Paid by the government (yuan)"),
    ]
    return [
        Column(_l("Region"), width=22),
        *(Column(title, "count", 9) for title in counts),
        *(Column(group_title(group), "count", 9) for group in report.groups),
        *(Column(_l("Approved: %(category)s (yuan)", category=category.title), "amount", 14) for category in LossCategory),
        *(Column(title, "amount", 14) for title in amounts),
    ]


def statistics_cells(report: StatisticsReport, row: Row) -> list[object]:
    f = row.figures
    return [
        row.name,
        f.cases,
        f.households,
        f.compensated,
        f.refused,
        f.withdrawn,
        f.in_progress,
        *(f.species.get(group, 0) for group in report.groups),
        *(f.categories.get(category, ZERO) for category in LossCategory),
        f.valued,
        f.approved,
        f.insurer_share,
        f.government_share,
        f.paid,
        f.paid_insurer,
        f.paid_government,
    ]


def _statistics_rows(report: StatisticsReport) -> Iterator[SheetRow]:
    for row in report.rows:
        yield SheetRow(statistics_cells(report, row), bold=row.level != "unit", level=row.level)


def statistics_table(report: StatisticsReport) -> tuple[list[Column], list[SheetRow]]:
    """The table as the page shows it: the export's columns and rows."""
    return statistics_columns(report), list(_statistics_rows(report))


def export_statistics(user: User, scope: ReportScope, year: int, fmt: ExportFormat) -> ReportFile:
    """The year's statistics table of the user's scope as `fmt`, audited."""
    report = annual_statistics(scope, year)
    out = spooled()
    columns = statistics_columns(report)
    if fmt is ExportFormat.XLSX:
        heading = [_("Wildlife damage compensation statistics %(year)s: %(region)s", year=year, region=report.region.name), str(STATISTICS_RULE)]
        rows = write_xlsx(out, _("Statistics"), columns, _statistics_rows(report), heading=heading)
    else:
        rows = write_csv(out, columns, _statistics_rows(report))
    out.seek(0)
    record_event(entity="statistics", action="statistics_exported", actor=user, changes={"format": fmt.value, "year": year, "rows": rows})
    return ReportFile(out, f"statistics-{year}-{local_now():%Y%m%d-%H%M}.{fmt.value}", fmt)


# --- the bordereau ----------------------------------------------------------------------------------------------

BORDEREAU_COLUMNS = (
    Column(_l("Claim number"), width=22),
    Column(_l("County"), width=10),
    Column(_l("Township"), width=12),
    Column(_l("Species"), width=10),
    Column(_l("Claimant (masked)"), width=12),
    Column(_l("Incident date"), "date"),
    Column(_l("Referred on"), "date"),
    Column(_l("Insurer decided on"), "date"),
    Column(_l("Approved on"), "date"),
    Column(_l("Paid on"), "date"),
    Column(_l("Decision"), width=12),
    Column(_l("Amount valued (yuan)"), "amount", 14),
    Column(_l("Assessed by the insurer (yuan)"), "amount", 14),
    Column(_l("Reserve (yuan)"), "amount", 14),
    Column(_l("Insurer share (yuan)"), "amount", 14),
    Column(_l("Paid by the month's end (yuan)"), "amount", 14),
    Column(_l("Paid in the month (yuan)"), "amount", 14),
    Column(_l("Outstanding (yuan)"), "amount", 14),
    Column(_l("Movement in the month"), width=24),
)
FIRST_AMOUNT = 11  # the position of the first of AMOUNTS in BORDEREAU_COLUMNS


def _bordereau_rows(report: Bordereau, *, total: bool) -> Iterator[SheetRow]:
    for line in report.lines:
        yield SheetRow(line.cells())
    if total:
        cells: list[object] = [_("Total: %(count)s claims", count=len(report.lines))] + [None] * (FIRST_AMOUNT - 1)
        yield SheetRow(cells + [report.total(name) for name in AMOUNTS] + [None], bold=True, level="total")


def bordereau_table(report: Bordereau) -> tuple[tuple[Column, ...], list[SheetRow]]:
    """The bordereau as the page shows it: the export's columns, a line a claim and the total line."""
    return BORDEREAU_COLUMNS, list(_bordereau_rows(report, total=True))


def bordereau_heading(report: Bordereau) -> list[str]:
    policy = report.policy
    return [
        _("Bordereau of policy %(number)s, %(month)s", number=policy.number, month=str(report.month)),
        _("Insurer: %(insurer)s; policyholder: %(holder)s", insurer=policy.insurer.name, holder=policy.policyholder.name),
    ]


def export_bordereau(user: User, policy: InsurancePolicy, month: Month, fmt: ExportFormat) -> ReportFile:
    """The policy's bordereau for the month as `fmt`, audited (the caller checked `can_read_bordereau`)."""
    report = bordereau(user, policy, month)
    out = spooled()
    if fmt is ExportFormat.XLSX:
        write_xlsx(out, _("Bordereau"), BORDEREAU_COLUMNS, _bordereau_rows(report, total=True), heading=bordereau_heading(report))
    else:
        write_csv(out, BORDEREAU_COLUMNS, _bordereau_rows(report, total=False))
    out.seek(0)
    changes = {"format": fmt.value, "month": str(month), "rows": len(report.lines)}
    record_event(entity="policy", entity_id=policy.id, action="bordereau_exported", actor=user, changes=changes)
    return ReportFile(out, f"bordereau-{policy.id}-{month}.{fmt.value}", fmt)
