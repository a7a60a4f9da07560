"""`flask regions import FILE`: a county's townships and villages with their points, from a CSV file (docs/regions.md).

The whole file is checked before anything is written; every problem names its line and column, and nothing is
written while there is one. Importing the same file again changes nothing (rows are matched by code). A county,
prefecture, province or township that the file's rows need and the database lacks is taken from the shipped
national list (claims/regions/national.py).
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import astuple, dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import User
from claims.extensions import db
from claims.regions.models import Region, RegionLevel
from claims.regions.national import RegionRow, Upserted, shipped, shipped_chain, upsert_regions
from claims.workflow.audit import record_event

HEADER = ("code", "name", "parent_code", "level", "lat", "lon")
MAX_ROWS = 100_000
MAX_PROBLEMS = 50
NAME_LENGTH = 100
# The level a row may have, its code's length and its parent's level.
SHAPES = {RegionLevel.TOWNSHIP: (9, RegionLevel.COUNTY), RegionLevel.VILLAGE: (12, RegionLevel.TOWNSHIP)}
DEGREES = re.compile(r"-?\d{1,3}(\.\d{1,10})?")
CHINA = {"lat": (3.0, 54.0), "lon": (73.0, 136.0)}  # a box around China's territory: a swapped pair falls outside


@dataclass(frozen=True)
class RowProblem:
    line: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("Line %(line)d, column %(column)s: %(message)s", line=self.line, column=self.column, message=self.message)


class RegionFileError(Exception):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _refusal(problems: list[RowProblem]) -> RegionFileError:
    """The first MAX_PROBLEMS problems, and how many more there are (a wrong file can have thousands)."""
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(RowProblem(None, "", _("%(count)d more problems are not shown: correct these first.", count=len(problems) - MAX_PROBLEMS)))
    return RegionFileError(shown)


@dataclass(frozen=True)
class _Line:
    number: int
    row: RegionRow


def read_region_file(data: bytes) -> list[_Line]:
    """The file's rows, checked one by one (shape, code, name, level, point); RegionFileError lists every problem."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegionFileError([RowProblem(None, "", _('The file is not UTF-8 text: save it as "CSV UTF-8" and import it again.'))]) from None
    problems: list[RowProblem] = []
    lines: list[_Line] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or tuple(h.strip().lower() for h in header) != HEADER:
            raise RegionFileError([RowProblem(1, "", _("The first line must name the columns: %(columns)s", columns=",".join(HEADER)))])
        for values in reader:
            if not any(v.strip() for v in values) or values[0].lstrip().startswith("#"):
                continue  # blank lines and comments
            if len(lines) >= MAX_ROWS:
                raise RegionFileError([RowProblem(reader.line_num, "", _("The file has more than %(count)d rows: split it by county.", count=MAX_ROWS))])
            row = _read_row(reader.line_num, values, problems)
            if row is not None:
                lines.append(_Line(reader.line_num, row))
    except csv.Error:
        problems.append(RowProblem(reader.line_num, "", _("This line cannot be read as CSV (a stray quote or a NUL character).")))
    if not lines and not problems:
        problems.append(RowProblem(None, "", _("The file has no rows.")))
    if problems:
        raise _refusal(problems)
    return lines


def _read_row(number: int, values: list[str], problems: list[RowProblem]) -> RegionRow | None:
    if len(values) != len(HEADER):
        problems.append(RowProblem(number, "", _("expected %(expected)d values, found %(found)d", expected=len(HEADER), found=len(values))))
        return None
    code, name, parent, level_text, lat_text, lon_text = (v.strip() for v in values)
    found = len(problems)
    level = _level(number, level_text, problems)
    if level is not None:
        _check_code(number, code, parent, level, problems)
    _check_name(number, name, problems)
    point = _point(number, lat_text, lon_text, problems)
    if len(problems) > found or level is None:
        return None
    return RegionRow(code, name, level, parent, *(point or (None, None)))


def _level(number: int, text: str, problems: list[RowProblem]) -> RegionLevel | None:
    level = next((lv for lv in SHAPES if text.lower() == lv.value), None)
    if level is None:
        problems.append(RowProblem(number, "level", _("the level must be township or village, not “%(text)s”", text=text[:20])))
    return level


def _check_code(number: int, code: str, parent: str, level: RegionLevel, problems: list[RowProblem]) -> None:
    digits, parent_level = SHAPES[level]
    parent_digits = SHAPES[parent_level][0] if parent_level in SHAPES else 6
    if not (code.isascii() and code.isdigit() and len(code) == digits):
        problems.append(RowProblem(number, "code", _("a %(level)s's code is %(digits)d digits (0-9)", level=level.title, digits=digits)))
    elif not (parent.isascii() and parent.isdigit() and len(parent) == parent_digits):
        problems.append(
            RowProblem(
                number,
                "parent_code",
                _("the parent of a %(level)s is a %(parent)s: a code of %(digits)d digits", level=level.title, parent=parent_level.title, digits=parent_digits),
            )
        )
    elif not code.startswith(parent):
        problems.append(RowProblem(number, "code", _("the code %(code)s does not begin with its parent's code %(parent)s", code=code, parent=parent)))


def _check_name(number: int, name: str, problems: list[RowProblem]) -> None:
    if not name:
        problems.append(RowProblem(number, "name", _("the name is empty")))
    elif len(name) > NAME_LENGTH:
        problems.append(RowProblem(number, "name", _("the name is longer than %(count)d characters", count=NAME_LENGTH)))
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name):
        problems.append(RowProblem(number, "name", _("the name holds control or invisible characters")))


def _point(number: int, lat_text: str, lon_text: str, problems: list[RowProblem]) -> tuple[float, float] | None:
    if not lat_text and not lon_text:
        return None
    if not lat_text or not lon_text:
        problems.append(RowProblem(number, "lat" if not lat_text else "lon", _("give both latitude and longitude, or neither")))
        return None
    found = len(problems)
    lat, lon = (_degrees(number, column, text, problems) for column, text in (("lat", lat_text), ("lon", lon_text)))
    return (lat, lon) if len(problems) == found else None


def _degrees(number: int, column: str, text: str, problems: list[RowProblem]) -> float:
    """Decimal degrees written with ASCII digits (no NaN, no exponent, no full-width digits), inside China's box."""
    low, high = CHINA[column]
    if not DEGREES.fullmatch(text):
        problems.append(RowProblem(number, column, _("“%(text)s” is not a number of degrees such as 21.9924", text=text[:20])))
        return math.nan
    value = float(text)
    if not low <= value <= high:
        problems.append(RowProblem(number, column, _("%(value)s is outside China (from %(low)s to %(high)s)", value=text, low=low, high=high)))
    return value


def _stored(codes: set[str]) -> dict[str, Region]:
    found: dict[str, Region] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), 500):  # within every database's limit on bound parameters
        chunk = ordered[start : start + 500]
        found.update({r.code: r for r in db.session.execute(select(Region).where(Region.code.in_(chunk))).scalars()})
    return found


def _check_tree(lines: list[_Line], actor: User | None) -> tuple[list[RegionRow], list[RegionRow]]:
    """Duplicates, parents, levels already stored and the actor's scope; the shipped ancestors the rows need, and the rows."""
    problems: list[RowProblem] = []
    by_code: dict[str, _Line] = {}
    stored = _stored({ln.row.code for ln in lines} | {ln.row.parent or "" for ln in lines} | {ln.row.code[:6] for ln in lines})
    ancestors: dict[str, RegionRow] = {}
    for line in lines:
        row = line.row
        if row.code in by_code:
            problems.append(RowProblem(line.number, "code", _("the code %(code)s is also on line %(line)d", code=row.code, line=by_code[row.code].number)))
            continue
        by_code[row.code] = line
        if row.code in stored and stored[row.code].level != row.level:
            problems.append(RowProblem(line.number, "level", _("%(code)s is already a %(level)s", code=row.code, level=stored[row.code].level.title)))
        problems += _parent_problems(line, by_code, stored, ancestors)
    for line in lines:
        problem = _scope_problem(line, stored, actor)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise _refusal(problems)
    return [r for code, r in ancestors.items() if code not in by_code], [ln.row for ln in by_code.values()]


def _parent_problems(line: _Line, by_code: dict[str, _Line], stored: dict[str, Region], ancestors: dict[str, RegionRow]) -> list[RowProblem]:
    row, parent_code = line.row, line.row.parent or ""
    expected = SHAPES[row.level][1]
    if parent_code in by_code:
        level = by_code[parent_code].row.level
    elif parent_code in stored:
        level = stored[parent_code].level
    elif shipped(parent_code) is not None:
        chain = shipped_chain(parent_code)
        ancestors.update({r.code: r for r in chain if r.code not in stored})
        level = chain[-1].level
    else:
        return [RowProblem(line.number, "parent_code", _("no region %(code)s: put its row above this one, or check the code", code=parent_code))]
    if level != expected:
        return [
            RowProblem(
                line.number,
                "parent_code",
                _(
                    "%(code)s is a %(level)s; the parent of a %(row)s is a %(parent)s",
                    code=parent_code,
                    level=level.title,
                    row=row.level.title,
                    parent=expected.title,
                ),
            )
        ]
    return []


def _scope_problem(line: _Line, stored: dict[str, Region], actor: User | None) -> RowProblem | None:
    """A row outside the region the administrator administers (nothing is outside a nationwide one's)."""
    if actor is None or actor.region is None:
        return None
    county = line.row.code[:6]
    path = stored[county].path if county in stored else "".join(r.code + "/" for r in shipped_chain(county))
    if path.startswith(actor.region.path):
        return None
    return RowProblem(line.number, "code", _("%(code)s is outside the region you administer", code=line.row.code))


def import_regions(data: bytes, *, actor: User | None) -> Upserted:
    """Check the whole file, then write it (audited); RegionFileError lists every problem and nothing is written."""
    ancestors, rows = _check_tree(read_region_file(data), actor)
    shipped_part = upsert_regions(ancestors, replace_points=False)  # the shipped list's seats never move a point already set
    own = upsert_regions(rows)
    result = Upserted(*(a + b for a, b in zip(astuple(shipped_part), astuple(own), strict=True)))
    counties = sorted({r.code[:6] for r in rows if r.level in SHAPES})
    changes = {"counties": counties, "rows": len(rows), "created": result.created, "updated": result.updated}
    record_event(entity="region", action="regions_imported", actor=actor, changes=changes)
    return result
