"""The valuation engine: a pure function of (verified losses, schedules, reference data, earlier claims).

`value_claim(inp, schedules, reference)` never reads the database, the clock or Flask; the same input
always gives the same valuation. `schedules` are the schedules in force, most specific first (county,
prefecture, province): a loss takes the rule of the first schedule naming its item (or, failing that,
the first with a default rule for its category); each claim-level section (minimum, tiers, caps,
household limits, personal injury, rounding) comes from the first schedule that sets it.

Order of application (also in docs/valuation.md):

 1. Household limit: when the household (claimant ID) already filed the schedule's maximum number of
    claims this year, nothing is payable.
 2. Each loss line: loss value = quantity x unit rate (fixed rate, by growth stage, or by the line's price
    grade) or reference price (market value; a graded line reads its grade's price key) x surveyed loss
    rate; or the assessed value. Personal lines: medical costs; days x daily rates, the days being the
    hospital days, the days claimed, or the days claimed up to the hospital days (the days left out get a
    line of their own saying so); disability grade x base income, or the assessed disability amount x
    ratio; death.
 3. Ratio: the item's ratio (killed or injured for animals; a missing animal is not payable unless the
    schedule's `missing` values it as killed or injured); for tiered items, from the event's total
    tiered loss value: `bracket` (default) the whole loss at the ratio of the tier holding it, `marginal`
    each slice at its tier's ratio, the sum shared over the tiered lines by loss value; what a line
    cannot take (its item caps, its own loss value) goes to the others (tiers.py).
    Prevention: a line of a category that a `prevention` rule lists, when the survey found none of the rule's
    measures in place, is refused before the tiers (so it adds nothing to the tiered total), or its ratio is
    multiplied by the rule's ratio after them (loss value x ratio x prevention ratio). A survey that recorded
    no checklist (prevention None) meets every rule.
 4. Rounding of each line to the fen, half up (rounding "line"; with "total" lines keep full precision).
 5. Item caps: per line, and per unit (e.g. per building).
 6. Per person: medical plus disability cap, then the per-person cap (deduction lines).
    An officer's adjusted amounts (`overrides`, by line id) replace the lines' amounts after this step, the
    line's item caps apply to them, and steps 7-9 then run on the adjusted lines: no adjustment escapes a cap.
 7. Minimum event size for animals: below it, those lines are not payable (small or large animals counted
    separately, or together: small / S + large / L >= 1).
 8. Threshold: when the event's loss value is below it, the covered lines are not payable (with the
    per-person deductions taken off them); or the deductible, once per event (a deduction line per
    category): off the compensated amounts (order "after_ratio", the default), or off the loss values
    before the ratio ("before_ratio": each covered line pays (loss value - its pro rata share of the
    deductible) x ratio, within its item caps; lines of marginal tiers pay the slices of their total loss
    value less their shares of the deductible, shared by what each keeps).
 9. Caps per category and event; then per person for property (the property lines of each owner, the
    claimant unless a line names another, at most `per_person_property`); then per claim; then per
    accident (alone: the cap; in an incident: the claim's share of it, `inp.incident`, found across the
    incident's claims by accident.py); then per household per year (less what earlier claims of the year
    got): each as deduction lines split pro rata over the categories. Narrower caps come first, so more loss never lowers the amount.
10. Total = sum of the lines; with rounding "total" a rounding line makes the sum exact to the fen.
Pro rata splits are to the fen by the largest remainder, ties broken by category order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from decimal import Decimal

from claims.core.money import to_fen as fen
from claims.valuation.limits import apply_limits
from claims.valuation.lines import CATEGORY_ZH, HUNDRED, INCOME_ZH, ONE, PREVENTION_ZH, WorkLine, allocate, num, pct, unit_zh, yuan
from claims.valuation.personal import personal_lines
from claims.valuation.spec import (
    ANIMALS,
    CATEGORIES,
    PERSONAL,
    IncomeRef,
    ItemRule,
    Line,
    LossIn,
    PreventionRule,
    ReferenceData,
    ScheduleSpec,
    Valuation,
    ValuationInput,
)
from claims.valuation.tiers import apply_tiers

LEVEL_INDEX = {"province": 0, "prefecture": 1, "county": 2}


__all__ = ["NoSchedule", "allocate", "value_claim"]


class NoSchedule(ValueError):
    """No schedule is in force for the claim's region on its incident date."""


def value_claim(inp: ValuationInput, schedules: Sequence[ScheduleSpec], reference: ReferenceData, overrides: Mapping[str, Decimal] | None = None) -> Valuation:
    """Value a claim: lines with their rule text, reasons when something is not payable, and the total.

    `overrides`: line id -> amount set by an officer, in place of the line's own (the caps still apply)."""
    if not schedules:
        raise NoSchedule("no compensation schedule in force")
    return _Run(inp, _Chain.of(tuple(schedules)), reference, overrides or {}).run()


_IDENTITY = ("code", "title", "region", "effective_from", "document_title", "document_number", "effective_to", "items")
_SETTINGS = tuple(f.name for f in fields(ScheduleSpec) if f.name not in _IDENTITY)  # the claim-level sections


class _Chain:
    """The schedules in force for a claim, most specific first, with each claim-level setting resolved once
    (the first schedule that sets it) and each item's rule found once. Schedules are immutable, so the chain is
    kept for the next claim valued with the same schedules (a memo of a pure function, at most `KEEP` chains)."""

    KEEP = 256
    _memo: dict[tuple[int, ...], _Chain] = {}

    def __init__(self, schedules: tuple[ScheduleSpec, ...]) -> None:
        self.schedules = schedules
        self.settings: dict[str, tuple[object, ScheduleSpec | None]] = {}
        for name in _SETTINGS:
            self.settings[name] = next(((value, spec) for spec in schedules if (value := getattr(spec, name)) is not None), (None, None))
        self.rules: dict[tuple[str, str], tuple[ScheduleSpec, ItemRule] | None] = {}

    @classmethod
    def of(cls, schedules: tuple[ScheduleSpec, ...]) -> _Chain:
        key = tuple(map(id, schedules))
        chain = cls._memo.get(key)
        if chain is None or any(a is not b for a, b in zip(chain.schedules, schedules, strict=True)):
            if len(cls._memo) >= cls.KEEP:
                cls._memo.clear()
            chain = cls._memo[key] = cls(schedules)
        return chain

    def item_rule(self, category: str, item: str) -> tuple[ScheduleSpec, ItemRule] | None:
        key = (category, item)
        try:
            return self.rules[key]
        except KeyError:
            pass
        found = None
        for spec in self.schedules:
            rule = spec.item_rule(category, item)
            if rule is not None:
                found = (spec, rule)
                break
        if len(self.rules) < 4096:
            self.rules[key] = found
        return found


class _Run:
    def __init__(self, inp: ValuationInput, chain: _Chain, reference: ReferenceData, overrides: Mapping[str, Decimal] | None = None) -> None:
        self.inp, self.chain, self.schedules, self.ref = inp, chain, chain.schedules, reference
        self.settings = chain.settings
        self.overrides = overrides or {}
        self.lines: list[WorkLine] = []
        self.reasons: list[str] = []
        self.by_line = self.settings["rounding"][0] != "total"

    # settings ---------------------------------------------------------------------------------------
    def setting(self, name: str) -> tuple[object, ScheduleSpec | None]:
        return self.settings[name]

    def q(self, value: Decimal) -> Decimal:
        return fen(value) if self.by_line else value

    # the run ------------------------------------------------------------------------------------------
    def run(self) -> Valuation:

        for loss in self.inp.losses:
            if loss.category in PERSONAL:
                self.lines.extend(personal_lines(self, loss))
            else:
                self.lines.append(self.property_line(loss))
        apply_tiers(self)
        for work in self.lines:
            if work.kind == "loss" and work.payable:
                self.reduce_for_prevention(work)
                self.finish_property(work)
        self.apply_overrides()
        apply_limits(self)
        return self.result()

    def result(self) -> Valuation:
        total = sum((w.amount for w in self.lines), Decimal(0))
        lines = [w.freeze() for w in self.lines]
        if not self.by_line:
            total = fen(total)
            diff = total - sum((line.amount for line in lines), Decimal(0))
            if diff:
                target = max(lines, key=lambda line: line.amount)
                lines.append(
                    Line(id="rounding", kind="rounding", category=target.category, item="舍入差额", amount=diff, rule=f"合计舍入到分的差额 {yuan(diff)}元")
                )
        else:
            total = sum((line.amount for line in lines), Decimal(0))
        if total <= 0 and not self.reasons:
            self.reasons.append("无可补偿的损失")
        used = tuple(dict.fromkeys(s.code for s in self.schedules if any(w.spec is s for w in self.lines)))
        return Valuation(tuple(lines), total, used or (self.schedules[0].code,), tuple(self.reasons))

    # property lines ---------------------------------------------------------------------------------
    def property_line(self, loss: LossIn) -> WorkLine:
        found = self.chain.item_rule(loss.category, loss.item)
        quantity = f" {num(loss.quantity)}{unit_zh(loss.unit)}" if loss.quantity is not None else ""
        work = WorkLine(
            loss.line_id, "loss", loss.category, loss.item, f"{loss.item}{quantity}", None, loss.line_id, loss.owner, quantity=loss.quantity, unit=loss.unit
        )
        if found is None:
            return work.refuse("本标准未列此项损失")
        work.spec, work.rule = found
        rule = work.rule
        if rule.excluded:
            return work.refuse("本标准不含此项" + (f"（{rule.note}）" if rule.note else ""))
        prevention = self.prevention_rule(loss.category)
        if prevention is not None and prevention.ratio is None:
            return work.refuse(f"{self.prevention_text(prevention)}，不符合补偿条件")
        if loss.category in ANIMALS and loss.condition == "missing" and self.missing_as() is None:
            kind = CATEGORY_ZH[loss.category]
            return work.refuse(f"{kind}失踪，本标准未规定失踪{kind}的补偿")
        if rule.method == "assessed_value":
            if loss.assessed_value is None:
                return work.refuse("尚未核定损失价值")
            work.formula = f"{loss.item} 核定损失价值{yuan(loss.assessed_value)}元"
            work.loss_value = loss.assessed_value
        elif not self.unit_value(work, loss, rule):
            return work
        self.set_ratio(work, loss, rule)
        return work

    def unit_value(self, work: WorkLine, loss: LossIn, rule: ItemRule) -> bool:
        if loss.quantity is None:
            work.refuse("没有核实的数量")
            return False
        if rule.unit and loss.unit and rule.unit != loss.unit:
            work.refuse(f"计量单位不符（标准按{unit_zh(rule.unit)}计）")
            return False
        unit = unit_zh(rule.unit or loss.unit)
        graded = rule.grades.get(loss.grade) if loss.grade else None
        if loss.grade and graded is None:
            listed = "、".join(rule.grades) or "无"
            work.refuse(f"本标准该项没有“{loss.grade}”这一价格等级（可选：{listed}）")
            return False
        grade = f"（{loss.grade}）" if loss.grade else ""
        if rule.method == "fixed_rate":
            rate = graded if isinstance(graded, Decimal) else rule.stage_rates.get(loss.growth_stage or "", rule.rate)
            if rate is None:
                work.refuse("没有该生长期的补偿标准")
                return False
            work.formula += f" × {grade}{num(rate)}元/{unit}"
        else:
            year = self.inp.incident_date.year + (rule.price.year_offset if rule.price else -1)
            key = graded if isinstance(graded, str) else None
            key = key or (rule.price.key if rule.price and rule.price.key else None) or (rule.key if rule.names else loss.item.strip())
            found = self.ref.price(key, self.inp.region_path, year)
            if found is None or (found[1].unit != (rule.unit or loss.unit)):
                work.refuse(f"缺少{year}年“{key}”的参考价格（元/{unit}）")
                return False
            rate = found[1].amount
            work.formula += f" × {year}年{f'“{key}”' if grade else ''}市场价{num(rate)}元/{unit}"
        work.rate = rate
        loss_rate = loss.loss_rate if (rule.use_loss_rate and loss.loss_rate is not None) else 100
        work.loss_rate = loss_rate if rule.use_loss_rate else None
        if rule.use_loss_rate:
            work.formula += f" × 损失率{loss_rate}%"
        work.loss_value = loss.quantity * rate * Decimal(loss_rate) / HUNDRED
        return True

    def set_ratio(self, work: WorkLine, loss: LossIn, rule: ItemRule) -> None:
        if rule.tiered:
            work.tiered = True
            return
        ratio, label = rule.ratio, ""
        if loss.category in ANIMALS:
            missing = loss.condition == "missing"
            condition = (self.missing_as() if missing else loss.condition) or "killed"
            by_condition = rule.ratio_killed if condition == "killed" else rule.ratio_injured
            label = "（死亡）" if condition == "killed" else "（受伤）"
            if missing:
                label = f"（失踪，按{'死亡' if condition == 'killed' else '受伤'}计）"
            if by_condition is not None:
                ratio = by_condition
            elif ratio is None and (rule.ratio_killed is not None or rule.ratio_injured is not None):
                work.refuse(f"本标准未规定{'死亡' if condition == 'killed' else '受伤'}牲畜的补偿比例")
                return
        work.ratio = ratio if ratio is not None else ONE
        if work.ratio != ONE:
            work.formula += f" × 补偿比例{pct(work.ratio)}{label}"

    def missing_as(self) -> str | None:
        """How the schedules value a missing animal: as killed, as injured, or not at all (None)."""
        missing, _ = self.setting("missing")
        return missing if missing in ("killed", "injured") else None  # type: ignore[return-value]

    def prevention_rule(self, category: str) -> PreventionRule | None:
        """The first prevention rule for the category whose measures the survey found none of (None: no rule applies)."""
        rules, _ = self.setting("prevention")
        if self.inp.prevention is None or not rules:
            return None
        for rule in rules:  # type: ignore[attr-defined]
            if category in rule.categories:
                return rule if not set(rule.measures) & set(self.inp.prevention) else None
        return None

    @staticmethod
    def prevention_text(rule: PreventionRule) -> str:
        measures = "、".join(PREVENTION_ZH.get(m, m) for m in rule.measures)
        note = f"；{rule.note}" if rule.note else ""
        return f"未采取防范措施（{measures}，至少其一{note}）"

    def reduce_for_prevention(self, work: WorkLine) -> None:
        """Step 3, prevention: loss value x ratio x the prevention rule's ratio (a marginal tier share x it)."""
        rule = self.prevention_rule(work.category)
        if rule is None or rule.ratio is None or work.ratio is None:
            return
        work.ratio = work.ratio * rule.ratio
        work.prevention = work.prevention * rule.ratio
        if work.preset is not None:
            work.preset = self.q(work.preset * rule.ratio)
        work.formula += f" × {self.prevention_text(rule)}按{pct(rule.ratio)}计"

    def apply_overrides(self) -> None:
        """The officers' amounts, each within its line's item caps (the claim-level limits follow)."""
        for work in self.lines:
            amount = self.overrides.get(work.id)
            if amount is None or work.kind in ("deduction", "rounding"):
                continue
            work.payable, work.reason, work.amount = True, None, self.q(amount)
            if work.rule is not None:
                self.item_caps(work, work.rule)

    def finish_property(self, work: WorkLine) -> None:
        rule = work.rule
        assert rule is not None and work.loss_value is not None and work.ratio is not None
        work.amount = work.preset if work.preset is not None else self.q(work.loss_value * work.ratio)
        self.item_caps(work, rule)

    def item_caps(self, work: WorkLine, rule: ItemRule) -> None:
        caps = []
        if rule.cap is not None:
            caps.append((rule.cap, f"每项上限{yuan(rule.cap)}元"))
        if rule.cap_per_unit is not None and work.quantity is not None:
            caps.append((work.quantity * rule.cap_per_unit, f"每{unit_zh(work.unit)}上限{yuan(rule.cap_per_unit)}元"))
        for cap, text in caps:
            if work.amount > cap:
                work.amount = self.q(cap)
                work.caps.append(f"{text}，按上限计")

    # helpers used by personal.py and limits.py --------------------------------------------------------
    def income(self, ref: IncomeRef) -> tuple[str, Decimal] | str:
        """(text, yearly amount) of a base income, or the reason it is missing."""
        year = self.inp.incident_date.year + ref.year_offset
        index = LEVEL_INDEX[ref.level]
        if index >= len(self.inp.region_path):
            return f"缺少{year}年{INCOME_ZH.get(ref.kind, ref.kind)}"
        found = self.ref.income(self.inp.region_path[index], year, ref.kind)
        if found is None:
            return f"缺少{year}年{INCOME_ZH.get(ref.kind, ref.kind)}"
        return f"{year}年{INCOME_ZH.get(ref.kind, ref.kind)}{num(found.amount)}元", found.amount

    def category_sum(self, categories: Sequence[str], *, loss_value: bool = False) -> Decimal:
        chosen = set(categories)
        if loss_value:
            return sum((w.loss_value or Decimal(0) for w in self.lines if w.category in chosen and w.payable and w.kind == "loss"), Decimal(0))
        return sum((w.amount for w in self.lines if w.category in chosen), Decimal(0))

    def deduct(self, key: str, amount: Decimal, categories: Sequence[str], text: str, spec: ScheduleSpec | None, label: str) -> None:
        """Add deduction lines taking `amount` off `categories`, split pro rata to what each holds."""
        weights = [(c, self.category_sum([c])) for c in CATEGORIES if c in set(categories)]
        weights = [(c, w) for c, w in weights if w > 0]
        self.deduct_each(key, allocate(amount, weights, to_fen=self.by_line), text, spec, label)

    def deduct_each(self, key: str, shares: Sequence[tuple[str, Decimal]], text: str, spec: ScheduleSpec | None, label: str) -> None:
        """Add a deduction line per (category, amount) given."""
        for category, share in shares:
            if share:
                line = WorkLine(f"{key}:{category}", "deduction", category, label, f"{text}，{CATEGORY_ZH[category]}核减{yuan(share)}元", spec)
                line.amount = -share
                self.lines.append(line)

    def add(self, work: WorkLine) -> None:
        self.lines.append(work)

    def refuse_where(self, test: Callable[[WorkLine], bool], reason: str) -> None:
        for work in self.lines:
            if work.kind not in ("deduction", "rounding") and work.payable and test(work):
                work.refuse(reason)
