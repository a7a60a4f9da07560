"""The API's marshmallow schemas: they validate each call's arguments and generate the OpenAPI document.

Personal data leaves the API masked, through the same functions the pages' filters use (claims/core/crypto.py).
Amounts are decimal strings in yuan ("1308.00"), never floats.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from claims.core.crypto import mask_account, mask_id_number, mask_mobile, mask_name
from claims.core.inputs import EARLIEST_DATE, LATEST_DATE, MAX_INT
from claims.core.pagination import MAX_CURSOR, PAGE_SIZE
from claims.insurance.forms import DECLINE_REASONS
from claims.insurance.models import InsurerDecision
from claims.workflow.states import ClaimStatus


class ProblemMessagesSchema(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class FieldErrorSchema(Schema):
    field = fields.String(required=True, metadata={"description": "where: query.limit, json.lines[0].amount"})
    message = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details (claims/api/problems.py)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    messages = fields.Nested(ProblemMessagesSchema, required=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))


class PageArgsSchema(Schema):
    after = fields.String(validate=validate.Length(max=MAX_CURSOR), metadata={"description": "`next_cursor` of the previous page"})
    limit = fields.Integer(load_default=PAGE_SIZE, validate=validate.Range(1, 100))


def _plausible_day(value: date) -> None:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(f"Must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}.")


class ClaimListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in ClaimStatus]))
    county = fields.String(validate=validate.Regexp(r"^[0-9]{6}$"), metadata={"description": "a county's division code, e.g. 430921"})
    submitted_from = fields.Date(validate=_plausible_day, metadata={"description": "submitted on or after this day (Beijing time)"})
    submitted_before = fields.Date(validate=_plausible_day, metadata={"description": "submitted before this day (Beijing time)"})


def _money(value: Any) -> str | None:
    return f"{value:.2f}" if value is not None else None


def _name(region: Any) -> str | None:
    return region.name if region is not None else None


class ClaimSummarySchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(allow_none=True)
    status = fields.String(required=True)
    status_title = fields.Function(lambda c: c.status.title)
    county = fields.Function(lambda c: _name(c.county), allow_none=True)
    township = fields.Function(lambda c: _name(c.township), allow_none=True)
    village = fields.Function(lambda c: _name(c.village), allow_none=True)
    species = fields.Function(lambda c: c.species.name_zh if c.species else c.species_description, allow_none=True)
    incident_at = fields.DateTime(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    due_at = fields.Date(allow_none=True)
    claimant_name = fields.Function(lambda c: mask_name(c.claimant_name), metadata={"description": "masked: 张*明"})


class LossSchema(Schema):
    category = fields.String(required=True)
    item = fields.String(required=True)
    quantity = fields.Function(lambda line: str(line.quantity) if line.quantity is not None else None, allow_none=True)
    unit = fields.String(allow_none=True)


class PhotoSchema(Schema):
    id = fields.Integer(required=True)
    stage = fields.Function(lambda p: p.stage.value, metadata={"description": "filing, survey, ..."})
    taken_at = fields.DateTime(allow_none=True, metadata={"description": "the camera's time (EXIF), when it has one"})
    width = fields.Integer()
    height = fields.Integer()
    links = fields.Function(lambda p: {v: f"/api/v1/claims/{p.claim_id}/photos/{p.id}/{v}" for v in ("display", "thumb")},
                            metadata={"description": "JPEG copies without EXIF: display (up to 1600 px) and thumb"})  # fmt: skip


class ClaimDetailSchema(ClaimSummarySchema):
    claimant_mobile = fields.Function(lambda c: mask_mobile(c.claimant_mobile), metadata={"description": "masked: 138****1234"})
    claimant_id_number = fields.Function(lambda c: mask_id_number(c.claimant_id_number), metadata={"description": "masked: 4307**********1234"})
    bank_account = fields.Function(lambda c: mask_account(c.bank_account), metadata={"description": "masked: 6222 **** **** 1234"})
    bank_name = fields.String(allow_none=True)
    estimated_amount = fields.Function(lambda c: _money(c.estimated_amount), allow_none=True)
    losses = fields.List(fields.Nested(LossSchema))
    photos = fields.Function(lambda c: PhotoSchema(many=True).dump([p for p in c.photos if p.removed_at is None]),
                             metadata={"description": "the photo evidence (removed ones are kept but not served)"})  # fmt: skip


class ClaimPageSchema(Schema):
    items = fields.List(fields.Nested(ClaimSummarySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata={"description": "pass as `after` for the next page; null on the last"})


class ReferralSchema(Schema):
    claim_id = fields.Integer(required=True)
    claim_number = fields.Function(lambda r: r.claim.number, allow_none=True)
    claim_status = fields.Function(lambda r: r.claim.status.value)
    policy_number = fields.Function(lambda r: r.policy.number)
    referred_at = fields.DateTime(required=True)
    due_at = fields.Date(allow_none=True)
    decision = fields.Function(lambda r: r.decision.value if r.decision else None, allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    assessed_amount = fields.Function(lambda r: _money(r.assessed_amount), allow_none=True)
    decline_reason = fields.String(allow_none=True)


class ReferralDetailSchema(ReferralSchema):
    package = fields.Dict(metadata={"description": "the claim, survey, photo ids and valuation lines as sent at referral"})
    links = fields.Function(
        lambda r: {"claim": f"/api/v1/claims/{r.claim_id}", "documents": f"/api/v1/claims/{r.claim_id}/documents"},
        metadata={"description": "the claim (with links to its photos) and its documents"},
    )
    adjustments = fields.Dict()
    decision_note = fields.String(allow_none=True)


class ReferralPageSchema(Schema):
    items = fields.List(fields.Nested(ReferralSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


MAX_YUAN = 10_000_000


def _yuan(least: Decimal | int) -> Callable[[Decimal], None]:
    """An amount from `least` to MAX_YUAN yuan (a function, not validate.Range, which would print its bounds as strings)."""

    def check(value: Decimal) -> None:
        if not least <= value <= MAX_YUAN:
            raise ValidationError(f"Must be between {least} and {MAX_YUAN}.")

    return check


class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(
        required=True,
        data_key="Idempotency-Key",
        validate=validate.Regexp(r"^[\x21-\x7e]{1,100}$"),
        metadata={"description": "one per intended write (a UUID); a repeat gets the first answer"},
    )


class AdjustLineSchema(Schema):
    index = fields.Integer(required=True, validate=validate.Range(0, 999), metadata={"description": "`index` of the package's valuation line"})
    amount = fields.Decimal(required=True, places=2, as_string=True, validate=_yuan(0), metadata={"minimum": 0, "maximum": MAX_YUAN})
    reason = fields.String(required=True, validate=validate.Length(1, 200))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf([d.value for d in InsurerDecision]))
    lines = fields.List(fields.Nested(AdjustLineSchema), load_default=list, validate=validate.Length(max=100))
    decline_reason = fields.String(validate=validate.OneOf(list(DECLINE_REASONS)))
    note = fields.String(validate=validate.Length(max=2000))
    version = fields.Integer(validate=validate.Range(1, MAX_INT), metadata={"description": "the claim's version read; a change since: 409"})


class PaymentSchema(Schema):
    amount = fields.Decimal(required=True, places=2, as_string=True, validate=_yuan(Decimal("0.01")), metadata={"minimum": 0.01, "maximum": MAX_YUAN})
    reference = fields.String(required=True, validate=validate.Length(1, 100), metadata={"description": "the bank's reference of the transfer"})


class PaymentRecordedSchema(Schema):
    claim_id = fields.Integer(required=True)
    amount = fields.Function(lambda p: _money(p.amount))
    reference = fields.String(attribute="bank_reference")
    status = fields.Function(lambda p: p.status.value)


class StatisticsArgsSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100), metadata={"description": "the incidents' year (Beijing time)"})
    quarter = fields.Integer(validate=validate.Range(1, 4), metadata={"description": "only this quarter of the year"})
    month = fields.Integer(validate=validate.Range(1, 12), metadata={"description": "only this month of the year (not with quarter)"})

    @validates_schema
    def _one_period(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "quarter" in data and "month" in data:
            raise ValidationError("Give a quarter or a month, not both.", "month")

    region = fields.String(
        validate=validate.Regexp(r"^[0-9]{6}$"),
        metadata={"description": "a province's, prefecture's or county's division code within the client's scope; default: the client's own"},
    )


class RegionRefSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.Function(lambda r: r.level.value)


class FiguresSchema(Schema):
    """One row's figures: claims by outcome (counted by incident), the households they concern, amounts in yuan."""

    cases = fields.Integer(required=True)
    households = fields.Integer(required=True, metadata={"description": "distinct claimants; a total's are counted apart, not summed"})
    compensated = fields.Integer(required=True)
    refused = fields.Integer(required=True)
    withdrawn = fields.Integer(required=True)
    in_progress = fields.Integer(required=True)
    species = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": 'cases per species group ("": not identified)'})
    categories = fields.Function(lambda f: {str(k): _money(v) for k, v in f.categories.items()}, metadata={"description": "approved yuan per loss category"})
    valued = fields.Function(lambda f: _money(f.valued))
    approved = fields.Function(lambda f: _money(f.approved))
    insurer_share = fields.Function(lambda f: _money(f.insurer_share))
    government_share = fields.Function(lambda f: _money(f.government_share))
    paid_insurer = fields.Function(lambda f: _money(f.paid_insurer))
    paid_government = fields.Function(lambda f: _money(f.paid_government))


class StatisticsRowSchema(Schema):
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"description": "unit (a county or township), subtotal (a prefecture) or total"})
    figures = fields.Nested(FiguresSchema, required=True)


class PeriodSchema(Schema):
    year = fields.Integer(required=True)
    quarter = fields.Integer(allow_none=True)
    month = fields.Integer(allow_none=True)


class StatisticsSchema(Schema):
    year = fields.Integer(required=True)
    period = fields.Nested(PeriodSchema, required=True, metadata={"description": "the incidents counted: a year, a quarter or a month"})
    region = fields.Nested(RegionRefSchema, required=True)
    rows = fields.List(fields.Nested(StatisticsRowSchema), required=True, metadata={"description": "units, each prefecture's subtotal, the total last"})
    groups = fields.List(fields.String(), metadata={"description": "the species groups, in column order"})


class DocumentSchema(Schema):
    """An issued document: what it is and how to check it; the PDF itself is at `links.pdf` once `ready`."""

    id = fields.Integer(required=True)
    kind = fields.Function(lambda d: d.kind.value)
    title = fields.Function(lambda d: d.title_zh, metadata={"description": "the document's title as printed"})
    number = fields.String(required=True, metadata={"description": "as printed, e.g. 南林补决〔2026〕12号"})
    version = fields.Integer(required=True)
    replaces_id = fields.Integer(allow_none=True)
    claim_id = fields.Integer(allow_none=True, metadata={"description": "null for a batch document (a notice or payment list)"})
    issued_at = fields.DateTime(required=True)
    ready = fields.Boolean(required=True, metadata={"description": "false while its PDF is being prepared"})
    sha256 = fields.String(allow_none=True, metadata={"description": "of the PDF bytes; null while being prepared"})
    signed_by = fields.String(allow_none=True)
    links = fields.Function(lambda d: {"pdf": f"/api/v1/documents/{d.id}/pdf", "verify": d.verify_path})


class DocumentListSchema(Schema):
    items = fields.List(fields.Nested(DocumentSchema), required=True)


class VerifyArgsSchema(Schema):
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"), metadata={"description": "SHA-256 of a PDF, hex"})


class ScheduleArgsSchema(Schema):
    county = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"), metadata={"description": "a county's division code"})
    on = fields.Date(validate=_plausible_day, metadata={"description": "the day (Beijing time); default: today"})


class ScheduleSchema(Schema):
    """A published compensation schedule: what it is, where and when it applies, and its rules (docs/schedules.md); the
    file's own text (with its importer's comments) is not sent."""

    code = fields.String(required=True)
    title = fields.String(required=True)
    document_title = fields.String(required=True, metadata={"description": "the published source document"})
    document_number = fields.String()
    region = fields.Function(lambda s: {"code": s.region.code, "name": s.region.name, "level": s.region.level.value})
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(allow_none=True, metadata={"description": "last day in force; null while in force"})
    rules = fields.Dict(attribute="body", metadata={"description": "the rules as parsed from the published file (docs/schedules.md)"})


class ScheduleListSchema(Schema):
    items = fields.List(fields.Nested(ScheduleSchema), required=True, metadata={"description": "most specific first: county, prefecture, province"})
