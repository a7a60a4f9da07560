"""The claim list as a spreadsheet: XLSX (openpyxl, write-only) or CSV (UTF-8 with a BOM, so Excel reads the Chinese).

The rows are the list page's claims for the same user and filters (`claim_list_filter` in claims/intake/services.py
is the one definition of both), newest first. What a row holds is what the list shows a staff member, plus the
figures of the claim's steps: no ID number, no bank account, no mobile; the claimant's name masked (张*国), as the
list masks it for every staff role. Text cells go through `spreadsheet_text`, so nothing a claimant typed runs
as a formula. Dates and times are local (Asia/Shanghai).

Bounded: the rows are counted first and an export of more than EXPORT_ROW_LIMIT is refused (narrow the filter);
then they are read in keyset batches of BATCH_SIZE over the list's own indexed order (`id` descending), one
statement a batch with the amounts joined in, and written to a temporary file that spills to disk: a province is
never held in memory, and the database is free again before the file is sent. Every export is audited: who,
which filter, which format, how many rows.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from claims.accounts.models import User
from claims.approval.models import Decision, Settlement
from claims.core.crypto import mask_name
from claims.core.spreadsheet import spreadsheet_text
from claims.core.time import local_now, to_local
from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.services import claim_list_filter
from claims.regions.models import Region, Species
from claims.reports.sheets import csv_value, spooled, xlsx_cell
from claims.valuation.models import ClaimValuation
from claims.workflow.audit import record_event
from claims.workflow.states import ClaimStatus

EXPORT_ROW_LIMIT = 100_000  # a county's years of claims; a province's all-time list is narrowed by status first
BATCH_SIZE = 1_000

COLUMNS = (
    _l("Claim number"),
    _l("Status"),
    _l("County"),
    _l("Township"),
    _l("Village"),
    _l("Species"),
    _l("Incident date"),
    _l("Submitted at"),
    _l("Due date"),
    _l("Amount valued (yuan)"),
    _l("Amount approved (yuan)"),
    _l("Amount paid (yuan)"),
    _l("Claimant (masked)"),
)
AMOUNT_COLUMNS = range(9, 12)  # the positions of the three amounts in COLUMNS
WIDTHS = (22, 12, 12, 14, 14, 10, 12, 17, 12, 14, 14, 14, 12)


class ExportFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"

    @property
    def mimetype(self) -> str:
        if self is ExportFormat.XLSX:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return "text/csv; charset=utf-8"


class ExportTooLarge(Exception):
    """More rows than EXPORT_ROW_LIMIT: the message says how many, and to narrow the filter."""


@dataclass(frozen=True)
class ExportRow:
    number: str
    status: str
    county: str
    township: str
    village: str
    species: str
    incident_on: date | None  # local
    submitted_at: datetime | None  # local, without a zone (spreadsheets have none)
    due_on: date | None
    valued: Decimal | None
    approved: Decimal | None
    paid: Decimal | None
    claimant: str  # masked

    def cells(self) -> list[Any]:
        return [
            self.number,
            self.status,
            self.county,
            self.township,
            self.village,
            self.species,
            self.incident_on,
            self.submitted_at,
            self.due_on,
            self.valued,
            self.approved,
            self.paid,
            self.claimant,
        ]


@dataclass
class Export:
    """A written export: the file (positioned at its start), its name and type, and its number of claims."""

    file: IO[bytes]
    filename: str
    fmt: ExportFormat
    rows: int


def _export_query(user: User, status: ClaimStatus | None) -> Select[Any]:
    """The list's claims with the names and amounts a row shows; no encrypted column is read (nothing to decrypt)."""
    county, township, village = aliased(Region), aliased(Region), aliased(Region)
    paid = select(func.sum(Settlement.amount)).where(Settlement.claim_id == Claim.id).correlate(Claim).scalar_subquery()
    return (
        select(
            Claim.id,
            Claim.number,
            Claim.status,
            county.name,
            township.name,
            village.name,
            Species.name_zh,
            Claim.species_description,
            Claim.incident_at,
            Claim.submitted_at,
            Claim.due_at,
            ClaimValuation.total,
            Decision.total,
            paid.label("paid"),
            Claim.claimant_name,
        )
        .where(claim_list_filter(user, status=status))
        .outerjoin(county, county.id == Claim.county_id)
        .outerjoin(township, township.id == Claim.township_id)
        .outerjoin(village, village.id == Claim.village_id)
        .outerjoin(Species, Species.id == Claim.species_id)
        .outerjoin(ClaimValuation, (ClaimValuation.claim_id == Claim.id) & ClaimValuation.current)
        .outerjoin(Decision, Decision.claim_id == Claim.id)
    )


def count_export(user: User, status: ClaimStatus | None = None) -> int:
    query = select(func.count()).select_from(Claim).where(claim_list_filter(user, status=status))
    return int(db.session.execute(query).scalar_one())


def export_rows(user: User, status: ClaimStatus | None, *, limit: int) -> Iterator[ExportRow]:
    """The list's claims for `user`, newest first, read BATCH_SIZE at a time after the last id read."""
    query, last, given = _export_query(user, status), None, 0
    while given < limit:
        size = min(BATCH_SIZE, limit - given)
        batch = query if last is None else query.where(Claim.id < last)
        found = db.session.execute(batch.order_by(Claim.id.desc()).limit(size)).all()
        for row in found:
            yield _row(row)
        given += len(found)
        if len(found) < size:
            return
        last = found[-1][0]


def _row(row: Sequence[Any]) -> ExportRow:
    (_id, number, status, county, township, village, species, species_text, incident, submitted, due, valued, approved, paid, name) = row
    incident_local, submitted_local = to_local(incident), to_local(submitted)
    return ExportRow(
        number=number or _("Draft"),
        status=status.title,
        county=spreadsheet_text(county),
        township=spreadsheet_text(township),
        village=spreadsheet_text(village),
        species=spreadsheet_text(species or species_text),
        incident_on=incident_local.date() if incident_local else None,
        submitted_at=submitted_local.replace(tzinfo=None, second=0, microsecond=0) if submitted_local else None,
        due_on=due,
        valued=valued,
        approved=approved,
        paid=paid,
        claimant=spreadsheet_text(mask_name(name)),
    )


def _headers() -> list[str]:
    return [str(title) for title in COLUMNS]


def write_csv(rows: Iterator[ExportRow], out: IO[bytes]) -> int:
    """One line a claim under the header line; amounts with two decimals, dates ISO. Returns the number of claims."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")  # the BOM tells Excel the file is UTF-8
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(_headers())
    count = 0
    for row in rows:
        writer.writerow([csv_value(value) for value in row.cells()])
        count += 1
    text.flush()
    text.detach()  # leave `out` open for the response
    return count


FORMATS = {6: "yyyy-mm-dd", 7: "yyyy-mm-dd hh:mm", 8: "yyyy-mm-dd", **dict.fromkeys(AMOUNT_COLUMNS, "#,##0.00")}


def write_xlsx(rows: Iterator[ExportRow], out: IO[bytes]) -> int:
    """One sheet: the header, a row a claim, and a total row (the number of claims and each amount's sum)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Claims"))
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)
    sheet.append([xlsx_cell(sheet, title, font=bold) for title in _headers()])
    count, totals = 0, {i: Decimal(0) for i in AMOUNT_COLUMNS}
    for row in rows:
        values = row.cells()
        sheet.append([xlsx_cell(sheet, value, FORMATS.get(i)) for i, value in enumerate(values)])
        for i in AMOUNT_COLUMNS:
            totals[i] += values[i] or 0
        count += 1
    total_row: list[Any] = [xlsx_cell(sheet, _("Total: %(count)s claims", count=count), font=bold)] + [None] * (len(COLUMNS) - 1)
    for i in AMOUNT_COLUMNS:
        total_row[i] = xlsx_cell(sheet, totals[i], FORMATS[i], font=bold)
    sheet.append(total_row)
    book.save(out)
    return count


WRITERS = {ExportFormat.XLSX: write_xlsx, ExportFormat.CSV: write_csv}


def export_claims(user: User, fmt: ExportFormat, *, status: ClaimStatus | None = None, limit: int | None = None) -> Export:
    """Write the user's claim list (filtered by `status`) as `fmt` and audit it; ExportTooLarge beyond `limit` rows
    (default EXPORT_ROW_LIMIT)."""
    limit = EXPORT_ROW_LIMIT if limit is None else limit
    total = count_export(user, status)
    if total > limit:
        raise ExportTooLarge(
            _("The list has %(count)s claims; an export holds at most %(limit)s. Choose a status to narrow it.", count=f"{total:,}", limit=f"{limit:,}")
        )
    out = spooled()
    rows = WRITERS[fmt](export_rows(user, status, limit=limit), out)
    out.seek(0)
    filters = {"status": status.value if status is not None else None}
    record_event(entity="claim_list", action="claims_exported", actor=user, changes={"format": fmt.value, "filters": filters, "rows": rows})
    return Export(file=out, filename=f"claims-{local_now():%Y%m%d-%H%M}.{fmt.value}", fmt=fmt, rows=rows)
