"""Reading schedule and reference files: YAML with line numbers, typed fields, errors that say where.

The pieces `claims.valuation.fileformat` (whole schedules) and `claims.valuation.fileformat_rules` (items and
claim-level rules) read files with.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from flask_babel import gettext as _

from claims.core.inputs import EARLIEST_DATE, LATEST_DATE
from claims.valuation.spec import CATEGORIES, METHODS, PROPERTY, IncomeRef, ItemRule, PriceRef

FORMAT_VERSION = 1
MAX_AMOUNT = Decimal("100000000")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,59}$")
REGION_RE = re.compile(r"^\d{6}$")
_PARENT = re.compile(r"(\.[^.\[]+|\[\d+\])$")


@dataclass(frozen=True)
class FileProblem:
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return _("Field %(field)s: %(message)s", field=self.field or "-", message=self.message)
        return _("Line %(line)d, field %(field)s: %(message)s", line=self.line, field=self.field or "-", message=self.message)


class FileError(ValueError):
    """A file that cannot be imported; `problems` lists every error found, each with line and field."""

    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# --- YAML with line numbers ----------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """Safe YAML whose floats are Decimal."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise yaml.constructor.ConstructorError(None, None, f"not a number: {text}", node.start_mark) from exc
    if not value.is_finite():
        raise yaml.constructor.ConstructorError(None, None, f"not a finite number: {text}", node.start_mark)
    return value


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


def load_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """The document as plain data, and the line (1-based) of every field path ("items[0].rate")."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            lines: dict[str, int] = {}
            data = _construct(loader, node, "", lines) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise FileError([FileProblem(mark.line + 1 if mark else None, "", _("Not a valid YAML or JSON file: %(problem)s", problem=exc.problem or ""))]) from exc
    except yaml.YAMLError as exc:
        raise FileError([FileProblem(None, "", _("Not a valid YAML or JSON file: %(problem)s", problem=str(exc)))]) from exc
    return data, lines


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: str, lines: dict[str, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node))
            sub = f"{path}.{key}" if path else key
            if key in out:
                raise FileError([FileProblem(key_node.start_mark.line + 1, sub, _("appears twice"))])
            out[key] = _construct(loader, value_node, sub, lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, f"{path}[{i}]", lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


# --- field readers --------------------------------------------------------------------------------------
@dataclass
class Reader:
    """Reads typed fields from plain data, collecting problems with their line numbers."""

    lines: dict[str, int] = field(default_factory=dict)
    problems: list[FileProblem] = field(default_factory=list)

    def fail(self, path: str, message: str) -> None:
        """Record a problem at `path`; a missing field is reported at the line of its parent."""
        where = path
        line = self.lines.get(where)
        while line is None and where:
            parent = _PARENT.sub("", where)
            where = "" if parent == where else parent
            line = self.lines.get(where)
        self.problems.append(FileProblem(line, path, message))

    def text(self, data: dict[str, Any], key: str, path: str, *, required: bool = True, max_len: int = 200) -> str | None:
        value = data.get(key)
        where = _join(path, key)
        if value is None or value == "":
            if required:
                self.fail(where, _("is required"))
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.fail(where, _("must be text"))
            return None
        value = str(value).strip()
        if len(value) > max_len:
            self.fail(where, _("is longer than %(n)d characters", n=max_len))
            return None
        return value

    def number(
        self, data: dict[str, Any], key: str, path: str, *, required: bool = False, low: Decimal = Decimal(0), high: Decimal = MAX_AMOUNT
    ) -> Decimal | None:
        value = data.get(key)
        where = _join(path, key)
        if value is None:
            if required:
                self.fail(where, _("is required"))
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            self.fail(where, _("must be a number"))
            return None
        try:
            number = Decimal(str(value).replace("_", ""))
        except InvalidOperation:
            self.fail(where, _("must be a number"))
            return None
        if not number.is_finite() or number < low or number > high:
            self.fail(where, _("must be between %(low)s and %(high)s", low=low, high=high))
            return None
        if number.normalize().as_tuple().exponent < -4:  # type: ignore[operator]  # 2.50000 is 2.5
            self.fail(where, _("has more than four decimal places"))
            return None
        return abs(number) if number.is_zero() else number  # -0 is 0

    def integer(self, data: dict[str, Any], key: str, path: str, *, low: int = 0, high: int = 100000, required: bool = False) -> int | None:
        value = data.get(key)
        where = _join(path, key)
        if value is None:
            if required:
                self.fail(where, _("is required"))
            return None
        if isinstance(value, Decimal) and value.is_finite() and value.adjusted() < 18 and value == value.to_integral_value():
            value = int(value)  # 80.0 in a JSON request
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(where, _("must be a whole number between %(low)d and %(high)d", low=low, high=high))
            return None
        return value

    def choice(self, data: dict[str, Any], key: str, path: str, choices: tuple[str, ...], *, default: str | None = None) -> str | None:
        value = data.get(key, default)
        where = _join(path, key)
        if value is None:
            return None
        if value not in choices:
            self.fail(where, _("must be one of: %(choices)s", choices=", ".join(choices)))
            return None
        return str(value)

    def day(self, data: dict[str, Any], key: str, path: str, *, required: bool = False) -> date | None:
        value = data.get(key)
        where = _join(path, key)
        if value is None or value == "":
            if required:
                self.fail(where, _("is required"))
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value)
        if not isinstance(value, date):
            self.fail(where, _("must be a date like 2025-01-31"))
            return None
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            self.fail(where, _("must be a date between %(first)s and %(last)s", first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat()))
            return None
        return value

    def mapping(self, data: Any, path: str, *, required: bool = False) -> dict[str, Any] | None:
        if data is None:
            if required:
                self.fail(path, _("is required"))
            return None
        if not isinstance(data, dict):
            self.fail(path, _("must be a mapping of fields"))
            return None
        return data

    def listing(self, data: Any, path: str) -> list[Any]:
        if data is None:
            return []
        if not isinstance(data, list):
            self.fail(path, _("must be a list"))
            return []
        return data

    def categories(self, data: dict[str, Any], key: str, path: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = data.get(key)
        where = _join(path, key)
        if value is None:
            return default
        if not isinstance(value, list) or not value or any(v not in CATEGORIES for v in value):
            self.fail(where, _("must be a list of categories from: %(choices)s", choices=", ".join(CATEGORIES)))
            return default
        return tuple(value)

    def unknown(self, data: dict[str, Any], path: str, known: tuple[str, ...]) -> None:
        for key in data:
            if key not in known:
                where = _join(path, key)
                self.fail(where, _("is not a field of this format"))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def iter_items(reader: Reader, data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for i, raw in enumerate(reader.listing(data.get("items"), "items")):
        path = f"items[{i}]"
        item = reader.mapping(raw, path)
        if item is not None:
            yield path, item


# --- schedules ------------------------------------------------------------------------------------------


def price_ref(reader: Reader, raw: Any, path: str) -> PriceRef | None:
    data = reader.mapping(raw, path)
    if data is None:
        return None
    reader.unknown(data, path, ("key", "year"))
    year = data.get("year", "previous")
    if year not in ("previous", "same"):
        reader.fail(f"{path}.year", _("must be one of: %(choices)s", choices="previous, same"))
    key = reader.text(data, "key", path, required=False, max_len=60)
    return PriceRef(key, -1 if year == "previous" else 0)


def income_ref(reader: Reader, raw: Any, path: str) -> IncomeRef | None:
    data = reader.mapping(raw, path, required=True)
    if data is None:
        return None
    reader.unknown(data, path, ("kind", "level", "year"))
    kind = reader.choice(data, "kind", path, ("urban", "rural", "all"), default="urban") or "urban"
    level = reader.choice(data, "level", path, ("province", "prefecture", "county"), default="province") or "province"
    year = reader.choice(data, "year", path, ("previous", "same"), default="previous")
    return IncomeRef(kind, level, -1 if year == "previous" else 0)


ITEM_FIELDS = (
    "key",
    "category",
    "names",
    "unit",
    "method",
    "rate",
    "stage_rates",
    "price",
    "grades",
    "ratio",
    "ratio_killed",
    "ratio_injured",
    "tiered",
    "use_loss_rate",
    "cap",
    "cap_per_unit",
    "size",
    "excluded",
    "note",
)


def item_rule(reader: Reader, path: str, item: dict[str, Any]) -> ItemRule | None:
    reader.unknown(item, path, ITEM_FIELDS)
    key = reader.text(item, "key", path, max_len=60)
    category = reader.choice(item, "category", path, PROPERTY)
    if "category" not in item:
        reader.fail(f"{path}.category", _("is required"))
    method = reader.choice(item, "method", path, (*METHODS, "excluded"), default="fixed_rate") if not item.get("excluded") else "excluded"
    names = item.get("names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        reader.fail(f"{path}.names", _("must be a list of item names"))
        names = []
    ratios = {k: reader.number(item, k, path, high=Decimal(1)) for k in ("ratio", "ratio_killed", "ratio_injured")}
    rate = reader.number(item, "rate", path)
    stage_rates = _stage_rates(reader, item, path)
    price = price_ref(reader, item.get("price"), f"{path}.price") if item.get("price") is not None else None
    if method == "fixed_rate" and "rate" not in item and not stage_rates:
        reader.fail(f"{path}.rate", _("a fixed-rate item needs a rate or stage_rates"))
    tiered = item.get("tiered", False) is True
    size = reader.choice(item, "size", path, ("small", "large"), default="small") or "small"
    if key is None or category is None or method is None:
        return None
    return ItemRule(
        key=key,
        category=category,
        method="fixed_rate" if method == "excluded" else method,
        names=tuple(n.strip() for n in names),
        unit=reader.text(item, "unit", path, required=False, max_len=20),
        rate=rate,
        stage_rates=stage_rates,
        price=price if method == "market_value" else None,
        grades=_grades(reader, item, path, method),
        tiered=tiered,
        use_loss_rate=item.get("use_loss_rate", category in ("crop", "economic_tree")) is True,
        cap=reader.number(item, "cap", path),
        cap_per_unit=reader.number(item, "cap_per_unit", path),
        size=size,
        excluded=bool(item.get("excluded", False)),
        note=reader.text(item, "note", path, required=False, max_len=300) or "",
        **ratios,
    )


def _grades(reader: Reader, item: dict[str, Any], path: str, method: str | None) -> dict[str, Decimal | str]:
    """Price grades of one item: grade -> fixed rate (fixed_rate) or reference price key (market_value)."""
    where = f"{path}.grades"
    raw = reader.mapping(item.get("grades"), where)
    if not raw:
        return {}
    if method not in ("fixed_rate", "market_value"):
        reader.fail(where, _("price grades are for fixed-rate and market-value items"))
        return {}
    out: dict[str, Decimal | str] = {}
    for grade in raw:
        name = str(grade).strip()
        if name in out:
            reader.fail(_join(where, str(grade)), _('the grade "%(name)s" is listed twice', name=name))
            continue
        if method == "fixed_rate":
            value: Decimal | str | None = reader.number(raw, grade, where, required=True)
        elif isinstance(raw[grade], int | float | Decimal) and not isinstance(raw[grade], bool):
            reader.fail(_join(where, str(grade)), _("must be the key of a reference price (text), not a number"))
            continue
        else:
            value = reader.text(raw, grade, where, max_len=60)
        if value is not None:
            out[name] = value
    return out


def _stage_rates(reader: Reader, item: dict[str, Any], path: str) -> dict[str, Decimal]:
    raw = reader.mapping(item.get("stage_rates"), f"{path}.stage_rates")
    out: dict[str, Decimal] = {}
    for stage in raw or {}:
        value = reader.number(raw, stage, f"{path}.stage_rates", required=True)  # type: ignore[arg-type]
        if value is not None:
            out[str(stage)] = value
    return out
