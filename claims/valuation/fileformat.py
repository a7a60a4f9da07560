"""Schedule and reference-data files (YAML, or JSON which is YAML too): parse, validate, name line and field.

The format is documented in docs/schedules.md. Numbers are read as `Decimal` (never float). Every error
says where it is: "Line 12, field items[2].rate: must be a number of yuan". Pure: no database, no Flask
(messages go through flask_babel's gettext, which falls back to English outside an app).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from claims.valuation.fileformat_reader import CODE_RE, FORMAT_VERSION, ITEM_FIELDS, MAX_AMOUNT, REGION_RE, FileError, FileProblem, Reader, load_with_lines  # noqa: F401  (the file API)
from claims.valuation.fileformat_rules import read_items, read_rules
from claims.valuation.spec import ScheduleSpec

HEADER_FIELDS = ("format", "code", "title", "region", "document", "effective_from", "effective_to", "supersedes", "source")
RULE_FIELDS = (
    "rounding",
    "minimum",
    "tiers",
    "tier_method",
    "caps",
    "max_claims_per_household_year",
    "min_event_size",
    "personal",
    "prevention",
    "missing",
    "items",
)


@dataclass(frozen=True)
class ScheduleFile:
    spec: ScheduleSpec
    supersedes: str | None
    source: str
    body: dict[str, Any]  # the file as JSON-safe data, what the database stores


def parse_schedule(text: str) -> ScheduleFile:
    """Parse and validate a schedule file; raise FileError listing every problem with line and field."""
    data, lines = load_with_lines(text)
    reader = Reader(lines)
    data = reader.mapping(data, "", required=True) or {}
    spec = read_schedule(reader, data)
    if reader.problems or spec is None:
        raise FileError(reader.problems or [FileProblem(None, "", _("The file is empty."))])
    return ScheduleFile(spec, data.get("supersedes") or None, str(data.get("source") or "").strip(), json_safe(data))


def spec_from_body(body: dict[str, Any]) -> ScheduleSpec:
    """A stored schedule's spec (the body was validated on import)."""
    reader = Reader()
    spec = read_schedule(reader, body)
    if reader.problems or spec is None:
        raise FileError(reader.problems)
    return spec


def read_schedule(reader: Reader, data: dict[str, Any]) -> ScheduleSpec | None:

    reader.unknown(data, "", HEADER_FIELDS + RULE_FIELDS)
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        reader.fail("format", _("must be %(n)d", n=FORMAT_VERSION))
    code = reader.text(data, "code", "", max_len=60)
    if code is not None and not CODE_RE.match(code):
        reader.fail("code", _("use lower-case letters, digits, '-', '_' or '.', 2 to 60 characters"))
    title = reader.text(data, "title", "")
    region = reader.text(data, "region", "", max_len=12)
    if region is not None and not REGION_RE.match(region):
        reader.fail("region", _("must be a 6-digit division code of a province, prefecture or county"))
    document = reader.mapping(data.get("document"), "document", required=True) or {}
    reader.unknown(document, "document", ("title", "number"))
    doc_title = reader.text(document, "title", "document")
    doc_number = reader.text(document, "number", "document", required=False, max_len=100) or ""
    start = reader.day(data, "effective_from", "", required=True)
    end = reader.day(data, "effective_to", "")
    if start and end and end < start:
        reader.fail("effective_to", _("is before effective_from"))
    reader.text(data, "supersedes", "", required=False, max_len=60)
    reader.text(data, "source", "", required=False, max_len=4000)
    items = read_items(reader, data)
    rules = read_rules(reader, data)
    if not (code and title and region and doc_title and start) or reader.problems:
        return None
    return ScheduleSpec(code, title, region, start, doc_title, doc_number, end, items, **rules)


def json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
