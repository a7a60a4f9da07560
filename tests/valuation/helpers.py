"""Helpers for the valuation tests: schedules from YAML snippets, losses, reference data."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from claims.valuation.engine import value_claim
from claims.valuation.fileformat import parse_schedule
from claims.valuation.spec import EarlierClaim, Income, LossIn, Price, ReferenceData, ScheduleSpec, Valuation, ValuationInput

D = Decimal
HUNAN_PATH = ("430000", "430900", "430921")
GD_PATH = ("440000", "441800", "441821")

# A quote request for rice and chickens in Nan county, as the JSON API and `flask valuation quote` take it.
QUOTE = {
    "region": "430921128",
    "incident_date": "2026-06-14",
    "losses": [
        {"category": "crop", "item": "水稻", "quantity": "2.5", "unit": "mu", "loss_rate": 80, "growth_stage": "mature"},
        {"category": "poultry", "item": "鸡", "quantity": "3", "unit": "bird"},
    ],
}


def header(code: str = "t-test", region: str = "430000", start: str = "2024-01-01") -> str:
    return f'format: 1\ncode: {code}\ntitle: 测试标准\nregion: "{region}"\ndocument: {{title: 测试文件, number: 测〔2024〕1号}}\neffective_from: {start}\n'


def schedule(body: str, **kw: Any) -> ScheduleSpec:
    return parse_schedule(header(**kw) + textwrap.dedent(body)).spec


def shipped(name: str) -> ScheduleSpec:
    return parse_schedule(resources.files("claims.valuation").joinpath("data", *name.split("/")).read_text(encoding="utf-8")).spec


def loss(line_id: str, category: str, item: str, quantity: str | None = None, unit: str | None = None, **kw: Any) -> LossIn:
    return LossIn(line_id, category, item, D(quantity) if quantity is not None else None, unit, **kw)


def value(
    losses: list[LossIn],
    *schedules: ScheduleSpec,
    ref: ReferenceData | None = None,
    path: tuple[str, ...] = HUNAN_PATH,
    day: date = date(2025, 6, 1),
    earlier: list[str] | None = None,
    prevention: tuple[str, ...] | None = None,
) -> Valuation:
    inp = ValuationInput(day, path, tuple(losses), tuple(EarlierClaim(f"#{i}", D(t)) for i, t in enumerate(earlier or [])), prevention=prevention)
    return value_claim(inp, list(schedules), ref or ReferenceData())


def prices(*rows: tuple[str, str, int, str, str]) -> dict[tuple[str, str, int], Price]:
    return {(key, code, year): Price(D(amount), unit, "测试价格") for key, code, year, amount, unit in rows}


def reference(price_rows: list[tuple[str, str, int, str, str]] = (), incomes: dict[tuple[str, int, str], str] | None = None) -> ReferenceData:  # type: ignore[assignment]
    return ReferenceData(prices(*price_rows), {k: Income(D(v), "测试收入") for k, v in (incomes or {}).items()})


def amounts(valuation: Valuation) -> dict[str, Decimal]:
    return {line.id: line.amount for line in valuation.lines}
