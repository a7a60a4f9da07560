"""A table as a spreadsheet file: XLSX (openpyxl, write-only) or CSV (UTF-8 with a BOM, CRLF), for the reports' exports.

The one place that turns cells into file cells: every text goes through `spreadsheet_text` (so nothing typed runs
as a formula), amounts are `Decimal` written as numbers with two decimals, dates as dates. A row may be bold (a
subtotal or a total). The file is written to a temporary file that spills to disk beyond SPOOL_BYTES.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from claims.core.spreadsheet import spreadsheet_text

SPOOL_BYTES = 8 * 1024 * 1024  # larger files go to a temporary file on disk
NUMBER_FORMATS = {"amount": "#,##0.00", "count": "#,##0", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "ratio": "0.00%"}


@dataclass(frozen=True)
class Column:
    title: Any  # a (lazy) translated string
    kind: str = "text"  # text, count, amount, date, datetime or ratio (a fraction shown as a percentage)
    width: int = 12


@dataclass(frozen=True)
class SheetRow:
    cells: Sequence[Any]
    bold: bool = False
    level: str = "unit"  # for a page's CSS class: unit, subtotal or total


def spooled() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


def cell_value(value: Any) -> Any:
    """A text neutralised as a formula; anything else as it is (numbers and dates are never formulas)."""
    return spreadsheet_text(value) if isinstance(value, str) else value


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(cell_value(value))


def xlsx_cell(sheet: Any, value: Any, number_format: str | None = None, *, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=cell_value(value))
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def write_xlsx(out: IO[bytes], title: str, columns: Sequence[Column], rows: Iterable[SheetRow], *, heading: Sequence[str] = ()) -> int:
    """One sheet: optional heading lines, the column titles, then the rows. Returns the number of rows written."""
    book = Workbook(write_only=True)
    count = add_sheet(book, title, columns, rows, heading=heading)
    book.save(out)
    return count


def add_sheet(book: Workbook, title: str, columns: Sequence[Column], rows: Iterable[SheetRow], *, heading: Sequence[str] = ()) -> int:
    """Append a sheet to a write-only book (a file of several sheets). Returns the number of rows written."""
    sheet = book.create_sheet(title=title)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    for line in heading:
        sheet.append([xlsx_cell(sheet, line, font=bold)])
    sheet.append([xlsx_cell(sheet, str(column.title), font=bold) for column in columns])
    formats = [NUMBER_FORMATS.get(column.kind) for column in columns]
    count = 0
    for row in rows:
        font = bold if row.bold else None
        sheet.append([xlsx_cell(sheet, value, formats[i], font=font) for i, value in enumerate(row.cells)])
        count += 1
    return count


def write_csv(out: IO[bytes], columns: Sequence[Column], rows: Iterable[SheetRow]) -> int:
    """The column titles, then a line a row. Returns the number of rows written."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")  # the BOM tells Excel the file is UTF-8
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([str(column.title) for column in columns])
    count = 0
    for row in rows:
        writer.writerow([csv_value(value) for value in row.cells])
        count += 1
    text.flush()
    text.detach()  # leave `out` open for the response
    return count
