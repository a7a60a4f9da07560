"""The per-accident cap across an incident's claims, applied to their stored valuations (docs/valuation.md).

Each claim of an incident is valued alone by the engine, its input carrying the incident (`IncidentShare`). When
one of them is valued or adjusted, `share_incident` shares the cap again: the claims whose valuation is already
submitted (frozen by the value step) keep what they took; the claims still being valued (CONFIRMED, a current
valuation not frozen) share what is left, pro rata to their amounts before the cap (claims/valuation/accident.py).
Each of those valuations is run again with its share, so the deduction line and the total say what it gets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from claims.accounts.models import User
from claims.extensions import db
from claims.intake.models import Claim
from claims.survey.incidents import incident_of
from claims.survey.models import Incident, IncidentClaim
from claims.valuation.accident import ZERO, Apportionment, share_accident_cap
from claims.valuation.engine import value_claim
from claims.valuation.models import ClaimValuation, CompensationSchedule
from claims.valuation.reference import reference_for
from claims.valuation.schedules import spec_of
from claims.valuation.spec import IncidentShare, ScheduleSpec, Valuation, ValuationInput, input_from_json, input_to_json, valuation_to_json
from claims.workflow.audit import record_event
from claims.workflow.states import ClaimStatus

# A submitted valuation's amount counts against the cap while the claim is not refused (nor withdrawn).
DECIDED = (
    ClaimStatus.VALUED,
    ClaimStatus.REFERRED,
    ClaimStatus.INSURER_DECIDED,
    ClaimStatus.IN_NOTICE,
    ClaimStatus.OBJECTION_REVIEW,
    ClaimStatus.APPROVED,
    ClaimStatus.PAID,
    ClaimStatus.CLOSED,
)


def incident_input(claim: Claim) -> IncidentShare | None:
    """The engine's `incident` for a claim: its incident, not shared yet (None: the claim is valued alone)."""
    incident = incident_of(claim)
    return IncidentShare(incident.number) if incident is not None else None


@dataclass(frozen=True)
class IncidentValuations:
    sharing: list[ClaimValuation]  # still being valued, by claim number
    decided: list[ClaimValuation]  # submitted: what they took is theirs


def incident_valuations(incident: Incident) -> IncidentValuations:
    query = (
        select(ClaimValuation, Claim.status)
        .join(Claim, Claim.id == ClaimValuation.claim_id)
        .join(IncidentClaim, IncidentClaim.claim_id == Claim.id)
        .where(IncidentClaim.incident_id == incident.id, ClaimValuation.current)
        .order_by(Claim.number, Claim.id)
    )
    rows = db.session.execute(query).all()
    sharing = [v for v, status in rows if v.frozen_at is None and status == ClaimStatus.CONFIRMED]
    decided = [v for v, status in rows if v.frozen_at is not None and status in DECIDED]
    return IncidentValuations(sharing, decided)


def _specs(valuation: ClaimValuation) -> list[ScheduleSpec]:
    schedules = [db.session.get(CompensationSchedule, i) for i in valuation.schedule_ids]
    return [spec_of(s) for s in schedules if s is not None]


def _cap(specs: list[ScheduleSpec]) -> Decimal | None:
    return next((s.per_accident for s in specs if s.per_accident is not None), None)


def incident_cap(found: IncidentValuations) -> Decimal | None:
    """The incident's one per-accident cap: the smallest that the schedules of its claims' valuations carry (each
    claim's schedules are those in force for its county on its own incident date), or None when none does."""
    caps = [cap for v in found.sharing + found.decided if (cap := _cap(_specs(v))) is not None]
    return min(caps) if caps else None


def _run(valuation: ClaimValuation, inp: ValuationInput) -> tuple[Valuation, Valuation | None]:
    """The engine's valuation of `inp` with the stored schedules, and with the officers' adjustments when there are."""
    specs = _specs(valuation)
    reference = reference_for(inp.region_path, {inp.incident_date.year, inp.incident_date.year - 1})
    engine = value_claim(inp, specs, reference)
    latest = {a.line_id: a.adjusted_amount for a in valuation.adjustments}
    if not latest:
        return engine, None
    overrides = {line.id: line.amount for line in engine.lines if line.payable and line.adjustable} | latest
    return engine, value_claim(inp, specs, reference, overrides)


# A share no amount reaches: the run that weighs a claim takes no per-accident cap off it.
UNCAPPED = Decimal("Infinity")


def before_cap(valuation: ClaimValuation) -> Decimal:
    """What the valuation holds at the per-accident cap's step (its adjustments applied): its total with no
    per-accident cap, plus what the household's yearly cap (the step after) took off."""
    inp = input_from_json(valuation.input_snapshot)
    ref = inp.incident.ref if inp.incident else ""
    engine, adjusted = _run(valuation, replace(inp, incident=IncidentShare(ref, UNCAPPED)))
    result = adjusted or engine
    household = sum((-line.amount for line in result.lines if line.id.startswith("cap_household")), ZERO)
    return result.total + household


def share_incident(incident: Incident, *, actor: User) -> Apportionment | None:
    """Share the incident's per-accident cap over its claims still being valued, and store each one's share."""
    found = incident_valuations(incident)
    if not found.sharing:
        return None
    cap = incident_cap(found)
    if cap is None:
        return None
    amounts = [(v.claim.number or str(v.claim_id), before_cap(v)) for v in found.sharing]
    taken = sum((v.total for v in found.decided), ZERO)
    apportionment = share_accident_cap(amounts, cap, taken=taken, decided=len(found.decided))
    for valuation, (ref, amount) in zip(found.sharing, amounts, strict=True):
        share = IncidentShare(incident.number, apportionment.shares[ref], apportionment.explanation(incident.number, ref, amount))
        _store_share(valuation, share, actor=actor)
    return apportionment


def _store_share(valuation: ClaimValuation, share: IncidentShare, *, actor: User) -> None:
    inp = replace(input_from_json(valuation.input_snapshot), incident=share)
    engine, adjusted = _run(valuation, inp)
    before = valuation.total
    valuation.input_snapshot, valuation.result, valuation.computed_total = input_to_json(inp), valuation_to_json(engine), engine.total
    valuation.adjusted_result = valuation_to_json(adjusted) if adjusted is not None else None
    valuation.total = (adjusted or engine).total
    if valuation.total != before:
        flag_modified(valuation.claim, "status")  # the claim's version moves on: a form loaded with the old amount is stale
    db.session.flush()
    if valuation.total != before:
        changes = {"valuation": valuation.id, "incident": share.ref, "share": str(share.share), "from": str(before), "total": str(valuation.total)}
        record_event(entity="valuation", action="valuation_shared", actor=actor, claim=valuation.claim, changes=changes)


# Households of an incident still on their way to a valuation: the cap is shared once all of them are valued.
ON_THE_WAY = (
    ClaimStatus.SUBMITTED,
    ClaimStatus.RETURNED,
    ClaimStatus.ACCEPTED,
    ClaimStatus.SURVEY_ASSIGNED,
    ClaimStatus.SURVEYED,
    ClaimStatus.DISPUTED,
    ClaimStatus.CONFIRMED,
)


def unvalued_households(claim: Claim) -> tuple[Incident, int] | None:
    """The claim's incident and how many of its other households are not valued yet (on their way, or confirmed
    with no current valuation); None when the claim is in no incident. Refused and withdrawn claims do not count."""
    incident = incident_of(claim)
    if incident is None:
        return None
    valued = select(ClaimValuation.claim_id).where(ClaimValuation.current)
    query = (
        select(func.count(Claim.id))
        .join(IncidentClaim, IncidentClaim.claim_id == Claim.id)
        .where(IncidentClaim.incident_id == incident.id, Claim.id != claim.id, Claim.status.in_(ON_THE_WAY))
        .where(~((Claim.status == ClaimStatus.CONFIRMED) & Claim.id.in_(valued)))
    )
    return incident, db.session.execute(query).scalar_one()


def stale_share(claim: Claim, valuation: ClaimValuation) -> bool:
    """The claim joined an incident (or another) after this valuation was computed, or its incident's
    per-accident cap applies and its share was never found: it must be computed again."""
    incident = incident_of(claim)
    stored = (valuation.input_snapshot or {}).get("incident") or {}
    if (incident.number if incident is not None else None) != stored.get("ref"):
        return True
    return incident is not None and stored.get("share") is None and incident_cap(incident_valuations(incident)) is not None


def shared_cap_text(valuation: ClaimValuation) -> str:
    """How the incident's cap was shared for this valuation (the decision and the valuation panel print it), or ""."""
    stored = (valuation.input_snapshot or {}).get("incident") or {}
    return str(stored.get("explanation") or "")
