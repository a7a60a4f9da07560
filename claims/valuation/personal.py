"""Personal injury and death lines of the engine: one loss line is one person (pure, like the engine)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from claims.valuation.lines import WorkLine, num, pct, yuan
from claims.valuation.spec import DailyRule, Disability, LossIn, Personal, ScheduleSpec

if TYPE_CHECKING:
    from claims.valuation.engine import _Run

DAYS_IN_YEAR = Decimal(365)
PART_ZH = {"lost_work": "误工费", "nursing": "护理费", "nutrition": "营养费"}


def personal_lines(run: _Run, loss: LossIn) -> list[WorkLine]:
    personal, spec = run.setting("personal")
    if personal is None:
        return [WorkLine(loss.line_id, loss.category, loss.category, loss.item, loss.item, None, loss.line_id).refuse("本标准未规定人身伤害补偿")]
    assert isinstance(personal, Personal) and spec is not None
    lines = [_death(run, loss, personal, spec)] if loss.category == "death" else _injury(run, loss, personal, spec)
    _person_caps(run, loss, personal, spec, lines)
    return lines


def _line(loss: LossIn, kind: str, title: str, spec: ScheduleSpec) -> WorkLine:
    return WorkLine(f"{loss.line_id}.{kind}", kind, loss.category, f"{loss.item} {title}", f"{loss.item} {title}", spec, loss.line_id, person=loss.line_id)


def _injury(run: _Run, loss: LossIn, personal: Personal, spec: ScheduleSpec) -> list[WorkLine]:
    lines = []
    if loss.medical_costs:
        work = _line(loss, "medical", "医疗费", spec)
        if personal.medical_ratio is None:
            lines.append(work.refuse("本标准不含医疗费"))
        else:
            work.formula += f" {yuan(loss.medical_costs)}元 × 补偿比例{pct(personal.medical_ratio)}"
            work.ratio, work.loss_value = personal.medical_ratio, loss.medical_costs
            work.amount = run.q(loss.medical_costs * personal.medical_ratio)
            lines.append(work)
    elif loss.medical_note:
        lines.append(_line(loss, "medical", "医疗费", spec).refuse(loss.medical_note))
    lines.extend(_daily(run, loss, "lost_work", personal.lost_work, loss.lost_work_days, spec))
    lines.extend(_daily(run, loss, "nursing", personal.nursing, loss.nursing_days, spec))
    if personal.nutrition is None:
        if loss.nutrition_costs:
            lines.append(_line(loss, "nutrition", PART_ZH["nutrition"], spec).refuse("本标准不含营养费"))
    else:
        lines.extend(_daily(run, loss, "nutrition", personal.nutrition, None, spec))
    if loss.disability_grade or loss.disability_amount is not None:
        lines.append(_disability(run, loss, personal, spec))
    return lines


def _days(rule: DailyRule | None, hospital: int, claimed: int | None) -> tuple[int, int]:
    """(days paid, claimed days left out because they exceed the hospital days)."""
    if rule is None or rule.days == "hospital":
        return hospital, 0
    asked = claimed if claimed is not None else hospital
    if rule.days == "claimed_up_to_hospital":
        return min(asked, hospital), max(0, asked - hospital)
    return asked, 0


def _daily(run: _Run, loss: LossIn, kind: str, rule: DailyRule | None, claimed: int | None, spec: ScheduleSpec) -> list[WorkLine]:
    hospital = loss.hospital_days or 0
    days, over = _days(rule, hospital, claimed)
    lines = []
    if over:
        left = _line(loss, kind, f"{PART_ZH[kind]} 超出住院天数的{over}天", spec)
        left.id = f"{loss.line_id}.{kind}_over"
        lines.append(left.refuse(f"申报{claimed}天，按标准以住院{hospital}天为限"))
    if not days:
        return lines
    work = _line(loss, kind, PART_ZH[kind], spec)
    if rule is None:
        return [work.refuse(f"本标准不含{PART_ZH[kind]}")]
    basis = "住院" if rule.days == "hospital" else ""
    limit = f"（以住院{hospital}天为限）" if over else ""
    persons = f" × {rule.persons}人" if kind == "nursing" else ""
    if rule.rate is not None:
        work.rate = rule.rate
        work.formula += f" {basis}{days}天{limit} × {num(rule.rate)}元/天{persons}"
        work.amount = run.q(Decimal(days) * rule.rate * rule.persons)
        return [work, *lines]
    assert rule.income is not None
    found = run.income(rule.income)
    if isinstance(found, str):
        return [work.refuse(found), *lines]
    text, income = found
    work.formula += f" {text} ÷ 365 × {basis}{days}天{limit}{persons}"
    work.amount = run.q(income * Decimal(days) * rule.persons / DAYS_IN_YEAR)
    return [work, *lines]


def _disability(run: _Run, loss: LossIn, personal: Personal, spec: ScheduleSpec) -> WorkLine:
    grade = loss.disability_grade or 0
    work = _line(loss, "disability", f"伤残{grade}级" if grade else "伤残赔偿", spec)
    rule = personal.disability
    if rule is None:
        return work.refuse("本标准不含伤残补偿")
    if rule.method == "assessed":
        return _assessed_disability(run, loss, rule, work)
    if not grade:
        return work.refuse("本标准按伤残等级计算，尚未评定伤残等级")
    multiple = rule.multiples.get(grade)
    if multiple is None:
        return work.refuse(f"本标准没有{grade}级伤残的补偿倍数")
    found = run.income(rule.income)
    if isinstance(found, str):
        return work.refuse(found)
    text, income = found
    work.formula += f" {text} × {num(multiple)}倍"
    work.amount = run.q(income * multiple)
    return work


def _assessed_disability(run: _Run, loss: LossIn, rule: Disability, work: WorkLine) -> WorkLine:
    if loss.disability_amount is None:
        return work.refuse("尚未核定伤残赔偿金额")
    work.loss_value, work.ratio = loss.disability_amount, rule.ratio
    work.formula += f" 核定伤残赔偿金额{yuan(loss.disability_amount)}元"
    if rule.ratio != 1:
        work.formula += f" × 补偿比例{pct(rule.ratio)}"
    work.amount = run.q(loss.disability_amount * rule.ratio)
    return work


def _death(run: _Run, loss: LossIn, personal: Personal, spec: ScheduleSpec) -> WorkLine:
    work = _line(loss, "death", "死亡补偿", spec)
    rule = personal.death
    if rule is None:
        return work.refuse("本标准未规定死亡补偿")
    if rule.flat is not None:
        work.formula += f" 定额{yuan(rule.flat)}元"
        work.amount = rule.flat
        return work
    assert rule.income is not None and rule.multiple is not None
    found = run.income(rule.income)
    if isinstance(found, str):
        return work.refuse(found)
    text, income = found
    work.formula += f" {text} × {num(rule.multiple)}倍"
    work.amount = run.q(income * rule.multiple)
    return work


def _person_caps(run: _Run, loss: LossIn, personal: Personal, spec: ScheduleSpec, lines: list[WorkLine]) -> None:
    """Medical plus disability cap, then the per-person cap: each a deduction line for this person."""
    if personal.medical_disability_cap is not None:
        held = sum((w.amount for w in lines if w.kind in ("medical", "disability")), Decimal(0))
        if held > personal.medical_disability_cap:
            cut = held - personal.medical_disability_cap
            lines.append(_cut(loss, "cap_medical_disability", f"医疗费与伤残补偿合计每人上限{yuan(personal.medical_disability_cap)}元", cut, spec))
    per_person, cap_spec = run.setting("per_person")
    if per_person is not None:
        assert isinstance(per_person, Decimal)
        held = sum((w.amount for w in lines), Decimal(0))
        if held > per_person:
            lines.append(_cut(loss, "cap_person", f"每人补偿上限{yuan(per_person)}元", held - per_person, cap_spec))


def _cut(loss: LossIn, key: str, text: str, amount: Decimal, spec: ScheduleSpec | None) -> WorkLine:
    work = WorkLine(f"{loss.line_id}.{key}", "deduction", loss.category, f"{loss.item} {text}", f"{loss.item} {text}，核减{yuan(amount)}元", spec, loss.line_id)
    work.amount = -amount
    return work
