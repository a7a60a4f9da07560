"""What each document says, as plain dataclasses: templates render them and the PDF carries them as JSON.

A document is rendered from one of these and nothing else, so a template never reaches into the
database, and the data attached to the PDF (PDF/A-3b) is exactly what it shows. Builders fill in the
record's own values; `claims.documents.masking.mask_document_data` masks them once, as each field's
metadata says, before the page, the attachment and the stored row are made from them (quality.md 12 and
26): a document names the claimant by name, masked ID and address, never by the full ID or bank account.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from claims.documents.masking import BANK, ID_NUMBER, KEEP, NAME

LAW = "《中华人民共和国野生动物保护法》第十九条"


@dataclass
class Party:
    name: str
    id_number: str = field(metadata=ID_NUMBER)  # printed masked: 4309**********1234
    address: str = ""


@dataclass
class Incident:
    claim_number: str
    place: str
    occurred_at: datetime | None
    species: str
    description: str = ""
    submitted_at: datetime | None = None


@dataclass
class LossItem:
    category: str
    item: str
    quantity: str  # "2.5 亩", or "" for personal injury
    note: str = ""


@dataclass
class PhotoRef:
    """A stored photo shown as a thumbnail; the renderer fetches it as photo:<id>, and only if listed."""

    id: int
    sha256: str = field(metadata=KEEP)
    taken_at: datetime | None = None


@dataclass
class Reason:
    code: str = field(metadata=KEEP)
    title: str


@dataclass
class ReceiptData:
    claimant: Party
    incident: Incident
    losses: list[LossItem]
    accepted_at: datetime
    next_step: str
    survey_due: date | None = None
    estimated_amount: Decimal | None = None


@dataclass
class CorrectionData:
    claimant: Party
    incident: Incident
    items: list[str]
    note: str
    due: date | None = None


@dataclass
class RefusalData:
    """A decision not to compensate, or a notice of non-acceptance: every reason is stated."""

    claimant: Party
    incident: Incident
    reasons: list[Reason]
    explanation: str
    findings: str  # how the facts were established (intake check, or the survey of a given date)
    advance: str = ""  # what becomes of an advance approved on the claim (claims/approval/documents.py), or ""


@dataclass
class VerifiedLine:
    item: str
    claimed: str
    verified: str
    loss_rate: str = ""
    growth_stage: str = ""
    note: str = ""
    details: str = ""  # what else the survey verified: condition, days, disability, invoices (survey.services.verified_details)


@dataclass
class SurveyRecordData:
    claimant: Party
    incident: Incident
    round: int
    visited_at: datetime
    surveyors: str
    claimant_present: bool
    witnesses: str
    position: str  # GPS, or ""
    evidence: list[str]
    in_designated_area: bool | None
    prevention_measures: str
    lines: list[VerifiedLine]
    compensable: bool
    exclusions: list[Reason] = field(default_factory=list)
    explanation: str = ""
    photos: list[PhotoRef] = field(default_factory=list)
    prevention_in_place: list[str] | None = None  # the checklist by title (None: surveyed before it existed)
    in_protection_zone: bool | None = None


@dataclass
class AwardLine:
    item: str
    verified: str  # "2.5 亩，损失率 80%"
    basis: str  # the rule that produced the amount: "600.00 元/亩 × 2.5 亩 × 80%"
    amount: Decimal
    not_compensated: str = ""  # why nothing (or less) is paid for this loss: the body states it (a partial refusal)


@dataclass
class AdvanceDeduction:
    """The advance paid before the decision, and what the decision still pays (claims/approval/advances.py)."""

    decision_number: str  # the advance decision's number, e.g. 南林先支〔2026〕1号
    paid: Decimal
    now_payable: Decimal
    overpaid: Decimal | None = None  # the advance exceeds the award by this much: nothing more is paid


@dataclass
class CompensationDecisionData:
    """Built by the valuation and approval steps; `check()` refuses amounts that do not add up."""

    claimant: Party
    incident: Incident
    bank: str = field(metadata=BANK)  # bank name and account, printed masked: 湖南农村信用社 6217 **** **** 4567
    lines: list[AwardLine]
    total: Decimal
    insurer_share: Decimal
    government_share: Decimal
    payer: str  # who pays which part
    payment_terms: str  # when: 自本决定作出之日起10个工作日内
    schedule_title: str
    schedule_number: str
    insurer_name: str = ""
    survey_date: date | None = None
    objections: list[str] = field(default_factory=list)  # how each objection raised during the notice was resolved
    advance: AdvanceDeduction | None = None  # an advance paid before: deducted
    shared_cap: str = ""  # a claim of an incident: how the per-accident cap was shared (the incident, cap, total, share)

    def check(self) -> None:
        if sum((line.amount for line in self.lines), Decimal(0)) != self.total:
            raise ValueError("the lines do not add up to the total")
        if self.insurer_share + self.government_share != self.total or min(self.insurer_share, self.government_share) < 0:
            raise ValueError("the insurer's and the government's shares do not add up to the total")
        if self.insurer_share and not self.insurer_name:
            raise ValueError("an insurer's share needs the insurer's name")


@dataclass
class AdvanceDecisionData:
    """An advance (先行支付决定书) on an injury or death, ahead of the compensation decision."""

    claimant: Party
    incident: Incident
    bank: str = field(metadata=BANK)  # printed masked
    losses: list[LossItem]  # the injuries and deaths recorded
    amount: Decimal
    basis: str  # how the amount was found: "核定的人身损害补偿10,000.00元 × 30%"
    payer: str  # the county's finance: "南县财政"
    payment_terms: str

    def check(self) -> None:
        if self.amount <= 0:
            raise ValueError("an advance of nothing")
        if not self.losses:
            raise ValueError("an advance without an injury or a death")


@dataclass
class NoticeEntry:
    name: str = field(metadata=NAME)  # a public list: printed masked (张*国)
    claim_number: str
    village: str
    species: str
    loss: str
    amount: Decimal


@dataclass
class NoticeListData:
    place: str  # the village or township where the list is posted
    period_from: date
    period_to: date
    objection_contact: str  # where to raise an objection: office and telephone
    entries: list[NoticeEntry]
    total: Decimal

    def check(self) -> None:
        if sum((e.amount for e in self.entries), Decimal(0)) != self.total:
            raise ValueError("the entries do not add up to the total")


@dataclass
class PaymentEntry:
    claim_number: str
    decision_number: str
    name: str
    bank: str = field(metadata=BANK)  # bank name and account, printed masked
    amount: Decimal


@dataclass
class PaymentListData:
    batch: str  # the batch's reference
    payer: str
    entries: list[PaymentEntry]
    total: Decimal

    def check(self) -> None:
        if sum((e.amount for e in self.entries), Decimal(0)) != self.total:
            raise ValueError("the entries do not add up to the total")


def to_jsonable(value: Any) -> Any:
    """Dataclasses to dicts; Decimal as a string of yuan ("12345.67"), dates as ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def photos_of(data: Any) -> list[PhotoRef]:
    return list(getattr(data, "photos", []) or [])


# Back from JSON: a job renders the document later from the data frozen on its row ------------------------
DATA_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (ReceiptData, CorrectionData, RefusalData, SurveyRecordData, CompensationDecisionData, NoticeListData, PaymentListData, AdvanceDecisionData)
}


def from_jsonable(cls: Any, value: Any) -> Any:
    """The inverse of `to_jsonable` for the types these dataclasses use (nested dataclasses, lists, optional
    values, Decimal, date, datetime): `to_jsonable(from_jsonable(T, to_jsonable(x))) == to_jsonable(x)`."""
    if value is None:
        return None
    origin = typing.get_origin(cls)
    if origin in (types.UnionType, typing.Union):
        (inner,) = [arg for arg in typing.get_args(cls) if arg is not type(None)]
        return from_jsonable(inner, value)
    if origin is list:
        (item,) = typing.get_args(cls)
        return [from_jsonable(item, v) for v in value]
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        return cls(**{f.name: from_jsonable(hints[f.name], value[f.name]) for f in dataclasses.fields(cls) if f.name in value})
    if cls is Decimal:
        return Decimal(value)
    if cls is datetime:
        return datetime.fromisoformat(value)
    if cls is date:
        return date.fromisoformat(value)
    return value
