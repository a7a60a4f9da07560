"""Valuing a claim: the engine's input from the verified losses, stored valuations, recompute, adjustments.

`current_valuation(claim)` is what later steps (insurance split, decision, payment) read: its `.total`
and `final_lines(valuation)` include the officers' adjustments.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from claims.accounts.models import User
from claims.core.db import FEN
from claims.core.time import local_to_utc, to_local, utcnow
from claims.extensions import db
from claims.intake.models import Claim, LossCategory, LossLine
from claims.regions.models import Region
from claims.survey.incidents import incident_of
from claims.survey.models import VerifiedLoss
from claims.survey.services import latest_survey, line_fields
from claims.valuation.engine import NoSchedule, value_claim
from claims.valuation.incidents import DECIDED, incident_input, share_incident
from claims.valuation.models import ClaimValuation, CompensationSchedule, ValuationAdjustment
from claims.valuation.permissions import can_value_claim, countersign_problem
from claims.valuation.reference import reference_for
from claims.valuation.schedules import schedules_for, spec_of
from claims.valuation.spec import (
    EarlierClaim,
    LossIn,
    Valuation,
    ValuationInput,
    input_from_json,
    input_to_json,
    valuation_from_json,
    valuation_to_json,
)
from claims.workflow.audit import record_event
from claims.workflow.services import ClaimChanged, WorkflowError
from claims.workflow.states import ClaimStatus

log = logging.getLogger(__name__)

# A claim of the household counts towards "claims per year" unless it never became an application.
NOT_COUNTED = (ClaimStatus.DRAFT, ClaimStatus.WITHDRAWN, ClaimStatus.NOT_ACCEPTED)
# Its amount counts towards the household's yearly cap once it is valued and not refused (and, of an incident's
# claims, towards its per-accident cap).
AMOUNT_COUNTED = DECIDED


# --- the engine's input ---------------------------------------------------------------------------------
def region_path(region: Region) -> tuple[str, ...]:
    return tuple(code for code in region.path.split("/") if code)


def loss_in(line: LossLine, verified: VerifiedLoss | None) -> LossIn:
    """One loss line for the engine: what the survey verified (quantity, loss rate, stage; an animal's condition and
    grade; a person's days, disability, nutrition costs, and medical costs as the sum of the invoices it saw, 0 when
    it saw none). A survey recorded before 0021 (no invoices then) leaves the filed hospital days and medical costs."""
    filed = LossIn(
        line_id=f"L{line.position + 1}",
        category=str(line.category),
        item=line.item,
        quantity=line.quantity,
        unit=line.unit,
        medical_costs=line.medical_costs,
        hospital_days=line.hospital_days,
    )
    if verified is None:
        return filed
    hospital = verified.hospital_days
    medical, note = line.medical_costs, None
    if verified.survey.invoices_checked and "invoices" in line_fields(line.category):
        medical = verified.medical_costs or Decimal(0)
        if not verified.invoices and line.medical_costs:
            note = "勘查未见医疗费发票"
    return replace(
        filed,
        quantity=verified.quantity,
        loss_rate=verified.loss_rate,
        growth_stage=verified.growth_stage,
        condition=verified.condition,
        grade=verified.grade,
        medical_costs=medical,
        medical_note=note,
        hospital_days=hospital if hospital is not None else line.hospital_days,
        **{name: getattr(verified, name) for name in ("nutrition_costs", "lost_work_days", "nursing_days", "disability_grade", "disability_amount")},
    )


def earlier_claims(claim: Claim, year: int) -> tuple[EarlierClaim, ...]:
    """The household's (same claimant ID) applications with an incident in `year`, submitted before this one."""
    if not claim.claimant_id_hash:
        return ()
    start, end = local_to_utc(datetime(year, 1, 1)), local_to_utc(datetime(year + 1, 1, 1))
    query = (
        select(Claim.number, Claim.status, ClaimValuation.total)
        .outerjoin(ClaimValuation, (ClaimValuation.claim_id == Claim.id) & ClaimValuation.current)
        .where(
            Claim.claimant_id_hash == claim.claimant_id_hash,
            Claim.id != claim.id,
            Claim.status.notin_(NOT_COUNTED),
            Claim.incident_at >= start,
            Claim.incident_at < end,
        )
        .order_by(Claim.submitted_at, Claim.id)
    )
    if claim.submitted_at is not None:
        same_moment = (Claim.submitted_at == claim.submitted_at) & (Claim.id < claim.id)
        query = query.where((Claim.submitted_at < claim.submitted_at) | same_moment)
    rows = db.session.execute(query).all()
    return tuple(EarlierClaim(number or "", total if (total is not None and status in AMOUNT_COUNTED) else Decimal(0)) for number, status, total in rows)


def claim_input(claim: Claim, *, claimed: bool = False) -> ValuationInput:
    """The engine input of a claim: verified losses of the latest survey (or, for an estimate, as filed)."""
    survey = None if claimed else latest_survey(claim)
    verified = {v.loss_line_id: v for v in survey.lines} if survey is not None else {}
    incident = to_local(claim.incident_at)
    if incident is None or claim.county is None:
        raise WorkflowError(_("The claim has no incident date or county."))
    losses = tuple(loss_in(line, verified.get(line.id)) for line in claim.losses)
    prevention = tuple(survey.prevention_in_place) if survey is not None and survey.prevention_in_place is not None else None
    zone = survey.in_protection_zone if survey is not None else None
    return ValuationInput(
        incident.date(),
        region_path(claim.county),
        losses,
        earlier_claims(claim, incident.year),
        prevention=prevention,
        in_protection_zone=zone,
        incident=incident_input(claim),
    )


def run_engine(inp: ValuationInput, region: Region) -> tuple[Valuation, list[CompensationSchedule]]:
    """Value an input against the schedules in force for the region on the incident date."""
    schedules = schedules_for(region, inp.incident_date)
    if not schedules:
        raise NoSchedule(inp.incident_date.isoformat())
    reference = reference_for(inp.region_path, {inp.incident_date.year, inp.incident_date.year - 1})
    return value_claim(inp, [spec_of(s) for s in schedules], reference), schedules


@dataclass(frozen=True)
class Quote:
    valuation: Valuation | None
    schedules: list[CompensationSchedule]
    problem: str | None = None


def quote_claim(claim: Claim, *, claimed: bool = False) -> Quote:
    """A valuation shown but not stored (the officer's preview, the filer's estimate)."""
    try:
        inp = claim_input(claim, claimed=claimed)
        valuation, schedules = run_engine(inp, claim.county)  # type: ignore[arg-type]
    except NoSchedule:
        return Quote(None, [], _("No compensation schedule is in force for this county on the incident date."))
    except WorkflowError as exc:
        return Quote(None, [], exc.message)
    return Quote(valuation, schedules)


def filing_estimate(claim: Claim | None) -> Quote | None:
    """The estimate on the filing form: optional, never in the way. None when there is nothing to show."""
    if claim is None or claim.county is None or claim.incident_at is None or not claim.losses:
        return None
    try:
        return quote_claim(claim, claimed=True)
    except Exception:  # an estimate must never break the form; the error is logged
        log.exception("filing estimate failed for claim %s", claim.id)
        return None


# --- stored valuations ----------------------------------------------------------------------------------
def current_valuation(claim: Claim) -> ClaimValuation | None:
    query = select(ClaimValuation).where(ClaimValuation.claim_id == claim.id, ClaimValuation.current)
    return db.session.execute(query).scalar_one_or_none()


def result_of(valuation: ClaimValuation) -> Valuation:
    return valuation_from_json(valuation.result)


@dataclass(frozen=True)
class FinalLine:
    id: str
    kind: str
    category: LossCategory
    item: str
    rule: str
    computed: Decimal  # the engine's amount
    amount: Decimal  # after the latest adjustment
    payable: bool
    reason: str | None
    adjustment: ValuationAdjustment | None
    adjustable: bool


def latest_adjustments(valuation: ClaimValuation) -> dict[str, ValuationAdjustment]:
    """Each adjusted line's latest adjustment (an earlier one of the same line stays on record)."""
    return {a.line_id: a for a in valuation.adjustments}


def final_lines(valuation: ClaimValuation) -> list[FinalLine]:
    """The lines paid: the engine's lines with the adjusted amounts and the caps applied again after them.

    `computed` is the engine's figure; a cap line that only the adjustment caused has 0 there."""
    latest = latest_adjustments(valuation)
    engine = result_of(valuation)
    final = valuation_from_json(valuation.adjusted_result) if valuation.adjusted_result else engine
    computed = {line.id: line for line in engine.lines}
    amounts = {line.id: line for line in final.lines}
    ordered = [*final.lines, *(line for line in engine.lines if line.id not in amounts)]
    out = []
    for line in ordered:
        shown = computed.get(line.id, line)  # the engine's rule text for its own lines
        paid = amounts.get(line.id)
        adjustment = latest.get(line.id)
        # Documents print `rule` as the basis of the amount: an adjusted line says so, with its reason.
        rule = f"{shown.rule}；核定调整为{adjustment.adjusted_amount}元（{adjustment.reason}）" if adjustment is not None else shown.rule
        out.append(
            FinalLine(
                line.id,
                line.kind,
                LossCategory(line.category),
                line.item,
                rule,
                computed[line.id].amount if line.id in computed else Decimal("0.00"),
                paid.amount if paid is not None else Decimal("0.00"),
                paid.payable if paid is not None else shown.payable,
                paid.reason if paid is not None else shown.reason,
                adjustment,
                shown.adjustable,
            )
        )
    return out


def adjusted_lines(claim: Claim) -> list[FinalLine]:
    """The current valuation's adjusted lines, each with the engine's figure beside it (the approval page shows them)."""
    valuation = current_valuation(claim)
    return [line for line in final_lines(valuation) if line.adjustment is not None] if valuation is not None else []


def adjusted_lines_of(claim_ids: Sequence[int]) -> dict[int, list[FinalLine]]:
    """`adjusted_lines` of many claims in three queries (a list page calls this once): valuations, adjustments, their people."""
    if not claim_ids:
        return {}
    options = (
        selectinload(ClaimValuation.adjustments).selectinload(ValuationAdjustment.adjusted_by),
        selectinload(ClaimValuation.adjustments).selectinload(ValuationAdjustment.countersigned_by),
    )
    # Only valuations with an adjustment have adjusted lines: the others (most) are not loaded and parsed at all.
    query = select(ClaimValuation).where(ClaimValuation.claim_id.in_(claim_ids), ClaimValuation.current, ClaimValuation.adjustments.any()).options(*options)
    found = {v.claim_id: [line for line in final_lines(v) if line.adjustment is not None] for v in db.session.execute(query).scalars()}
    return {claim_id: found.get(claim_id, []) for claim_id in claim_ids}


def reapply_rules(valuation: ClaimValuation) -> Valuation:
    """The engine run again on the stored input and schedules, with the adjusted amounts in place of the lines'
    own: every cap (per item, category, claim and household) applies to them. The other lines keep the engine's figure."""
    latest = latest_adjustments(valuation)
    overrides = {line.id: line.amount for line in result_of(valuation).lines if line.payable and line.adjustable}
    overrides |= {line_id: a.adjusted_amount for line_id, a in latest.items()}
    inp = input_from_json(valuation.input_snapshot)
    schedules = [db.session.get(CompensationSchedule, i) for i in valuation.schedule_ids]
    reference = reference_for(inp.region_path, {inp.incident_date.year, inp.incident_date.year - 1})
    return value_claim(inp, [spec_of(s) for s in schedules if s is not None], reference, overrides)


def pending_countersign(valuation: ClaimValuation) -> list[ValuationAdjustment]:
    """Adjustments in force above the engine's figure that no second officer has countersigned yet."""
    return [a for a in latest_adjustments(valuation).values() if a.raises and a.countersigned_by_id is None]


def countersign_claim(claim: Claim, *, actor: User, expected_version: int | None = None) -> list[ValuationAdjustment]:
    valuation = current_valuation(claim)
    if valuation is None:
        raise WorkflowError(_("No adjustment waits for a countersignature."))
    return countersign_valuation(valuation, actor=actor, expected_version=expected_version)


def countersign_valuation(valuation: ClaimValuation, *, actor: User, expected_version: int | None = None) -> list[ValuationAdjustment]:
    """A second officer of the county countersigns every adjustment above the engine's figure (issue 11, item 7)."""
    claim = valuation.claim
    if claim.status != ClaimStatus.CONFIRMED or not valuation.current or valuation.frozen_at is not None:
        raise WorkflowError(_("This valuation can no longer be changed."))
    pending = pending_countersign(valuation)
    if not pending:
        raise WorkflowError(_("No adjustment waits for a countersignature."))
    problem = countersign_problem(claim, valuation, actor)
    if problem:
        raise WorkflowError(problem)
    _touch(claim, expected_version)
    now = utcnow()
    for adjustment in pending:
        adjustment.countersigned_by_id, adjustment.countersigned_at = actor.id, now
    db.session.flush()
    changes = {"valuation": valuation.id, "lines": [a.line_id for a in pending], "amounts": [str(a.adjusted_amount) for a in pending]}
    record_event(entity="valuation", action="valuation_countersigned", actor=actor, claim=claim, changes=changes)
    return pending


def _touch(claim: Claim, expected_version: int | None) -> None:
    """Compare-and-set on the claim's version, so two officers cannot change a valuation at once."""
    if expected_version is not None and claim.version != expected_version:
        raise ClaimChanged()
    claim.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ClaimChanged() from exc


def _check_may_change(claim: Claim, actor: User) -> None:
    if not can_value_claim(actor, claim):
        raise WorkflowError(_("You may not take this step on this claim."))
    if claim.status != ClaimStatus.CONFIRMED:
        raise WorkflowError(_("This step is not possible while the claim is “%(status)s”.", status=claim.status.title))


def compute_valuation(claim: Claim, *, actor: User, reason: str | None = None, expected_version: int | None = None, share: bool = True) -> ClaimValuation:
    """Value the verified losses and store the result; a second computation is a recompute with a reason.
    `share=False`: the caller shares the incident's cap once after valuing many of its claims (share_incident)."""
    _check_may_change(claim, actor)
    current = current_valuation(claim)
    if current is not None and not (reason or "").strip():
        raise WorkflowError(_("Say why the valuation is computed again."))
    inp = claim_input(claim)
    try:
        result, schedules = run_engine(inp, claim.county)  # type: ignore[arg-type]
    except NoSchedule as exc:
        raise WorkflowError(_("No compensation schedule is in force for this county on the incident date.")) from exc
    _touch(claim, expected_version)
    version = (db.session.execute(select(func.max(ClaimValuation.version)).where(ClaimValuation.claim_id == claim.id)).scalar_one() or 0) + 1
    if current is not None:
        current.current = False
        db.session.flush()
    row = ClaimValuation(
        claim=claim,
        survey=latest_survey(claim),
        version=version,
        current=True,
        schedule_id=schedules[0].id,
        schedule_ids=[s.id for s in schedules],
        input_snapshot=input_to_json(inp),
        result=valuation_to_json(result),
        computed_total=result.total,
        total=result.total,
        reason=(reason or "").strip() or None,
        computed_by=actor,
    )
    db.session.add(row)
    db.session.flush()
    changes = {"version": version, "total": str(result.total), "schedules": [s.code for s in schedules]}
    action = "valuation_recomputed" if current is not None else "valuation_computed"
    record_event(entity="valuation", action=action, actor=actor, claim=claim, reason=row.reason, changes=changes)
    if share:
        _share(claim, actor)
    return row


def _share(claim: Claim, actor: User) -> None:
    """A claim of an incident: the per-accident cap is shared again over the incident's claims being valued."""
    incident = incident_of(claim)
    if incident is not None:
        share_incident(incident, actor=actor)


def adjust_line(
    valuation: ClaimValuation, line_id: str, amount: Decimal, reason: str, *, actor: User, expected_version: int | None = None
) -> ValuationAdjustment:
    """An officer sets one line's amount, with a reason; the engine's figure and earlier ones stay on record."""
    claim = valuation.claim
    _check_may_change(claim, actor)
    if not valuation.current or valuation.frozen_at is not None:
        raise WorkflowError(_("This valuation can no longer be changed."))
    if not reason.strip():
        raise WorkflowError(_("Please give a reason."))
    if amount < 0 or amount != amount.quantize(FEN):
        raise WorkflowError(_("Give an amount in yuan, at least 0, to the fen."))
    line = next((x for x in final_lines(valuation) if x.id == line_id), None)
    if line is None or not line.adjustable:
        raise WorkflowError(_("This line cannot be adjusted."))
    _touch(claim, expected_version)
    adjustment = ValuationAdjustment(
        valuation=valuation, line_id=line_id, original_amount=line.amount, adjusted_amount=amount, reason=reason.strip(), adjusted_by=actor
    )
    db.session.add(adjustment)
    db.session.flush()
    adjusted = reapply_rules(valuation)
    valuation.adjusted_result, valuation.total = valuation_to_json(adjusted), adjusted.total
    changes = {"valuation": valuation.id, "line": line_id, "from": str(line.amount), "to": str(amount), "total": str(valuation.total)}
    if adjustment.raises:
        changes["countersign"] = "required"
    record_event(entity="valuation", action="valuation_adjusted", actor=actor, claim=claim, reason=adjustment.reason, changes=changes)
    _share(claim, actor)
    return adjustment


def computed_message() -> str:
    return _("The valuation was computed and saved. Check it, then submit it.")


def adjusted_message() -> str:
    return _("The line was adjusted; both amounts are on record.")


def countersigned_message() -> str:
    return _("Your countersignature was recorded; the valuation can be submitted.")


def valued_message() -> str:
    return _("The valuation was submitted.")
