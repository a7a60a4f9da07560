"""A valuation line while the engine computes it, and how its amounts, rates and units are written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from claims.core.formatting import plain
from claims.core.money import to_fen as fen
from claims.valuation.spec import ItemRule, Line, ScheduleSpec

ONE = Decimal(1)
HUNDRED = Decimal(100)
UNIT_ZH = {"mu": "亩", "plant": "株", "head": "头", "bird": "只", "hive": "箱", "kg": "公斤", "m2": "平方米", "item": "件", "person": "人"}
CATEGORY_ZH = {
    "crop": "农作物",
    "economic_tree": "经济林木",
    "livestock": "牲畜",
    "poultry": "家禽",
    "property": "房屋财产",
    "injury": "人身伤害",
    "death": "死亡",
}
PREVENTION_ZH = {
    "fence": "围栏或围网",
    "electric_fence": "电围栏",
    "guarding": "看守或夜间值守",
    "scaring": "驱赶装置",
    "penned": "圈养或夜间入圈",
    "herded": "放牧有人看管",
    "hive_protection": "蜂箱垫高或加笼",
}
INCOME_ZH = {"urban": "城镇居民人均可支配收入", "rural": "农村居民人均可支配收入", "all": "全体居民人均可支配收入"}


_WRITTEN: dict[Decimal | int, str] = {}
_KEEP = 4096


def num(value: Decimal | int) -> str:
    """A quantity or rate as written in a rule: no exponent, no trailing zeros.

    Rates, prices and ratios repeat from claim to claim, so what was written is kept. Only plain fixed-point
    texts of up to 30 characters are kept: equal values then have one text (1.50 and 1.5 both "1.5"), whereas
    a value beyond 10^30 or not finite is written as it is given (`plain`)."""
    try:
        return _WRITTEN[value]
    except KeyError:
        pass
    except TypeError:  # a signalling NaN has no hash
        return plain(value)
    text = plain(value)
    if len(text) <= 30 and text.lstrip("-").replace(".", "", 1).isdigit():
        if len(_WRITTEN) >= _KEEP:
            _WRITTEN.clear()
        _WRITTEN[value] = text
    return text


def yuan(value: Decimal) -> str:
    return str(fen(value))


def pct(ratio: Decimal) -> str:
    return num(ratio * HUNDRED) + "%"


def unit_zh(unit: str | None) -> str:
    return UNIT_ZH.get(unit or "", unit or "")


@dataclass
class WorkLine:
    """A line while it is being computed."""

    id: str
    kind: str
    category: str
    item: str
    formula: str
    spec: ScheduleSpec | None
    source_line: str | None = None
    person: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    rate: Decimal | None = None
    loss_rate: int | None = None
    ratio: Decimal | None = None
    tiered: bool = False
    preset: Decimal | None = None  # an amount found before the ratio step (marginal tiers' share)
    prevention: Decimal = Decimal(1)  # the prevention rule's ratio the line was reduced by (1: none)
    loss_value: Decimal | None = None
    amount: Decimal = Decimal(0)
    rule: ItemRule | None = None
    caps: list[str] = field(default_factory=list)
    payable: bool = True
    reason: str | None = None

    def refuse(self, reason: str) -> WorkLine:
        self.payable, self.amount, self.reason = False, Decimal(0), reason
        return self

    def freeze(self) -> Line:
        if self.kind in ("deduction", "rounding"):
            text = self.formula
        elif self.payable:
            text = f"{self.formula} = {yuan(self.amount)}元"
        else:
            text = f"{self.formula}：{self.reason}，不予补偿"
        if self.caps and self.payable:
            text += "；" + "；".join(self.caps)
        if self.spec is not None and self.kind != "rounding":
            text += f"（依据：{self.spec.citation}）"
        return Line(  # positional, in Line's field order (a third faster than by keyword: a line per loss, per claim)
            self.id,
            self.kind,
            self.category,
            self.item,
            fen(self.amount),
            text,
            self.spec.code if self.spec else "",
            self.source_line,
            self.quantity,
            self.unit,
            self.rate,
            self.loss_rate,
            self.ratio,
            fen(self.loss_value) if self.loss_value is not None else None,
            tuple(self.caps),
            self.payable,
            self.reason,
        )


def allocate(amount: Decimal, weights: Sequence[tuple[str, Decimal]], *, to_fen: bool = True) -> list[tuple[str, Decimal]]:
    """Split `amount` over the keys pro rata to the weights; to the fen by the largest remainder."""
    total_weight = sum((w for _, w in weights), Decimal(0))
    if not weights or total_weight <= 0 or amount <= 0:
        return []
    if not to_fen:
        return [(key, amount * weight / total_weight) for key, weight in weights]
    cents = int((amount * HUNDRED).to_integral_value(ROUND_HALF_UP))
    exact = [Decimal(cents) * weight / total_weight for _, weight in weights]
    floors = [int(x.to_integral_value(ROUND_FLOOR)) for x in exact]
    left = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(weights[i][0], Decimal(floors[i]) / HUNDRED) for i in range(len(weights))]
