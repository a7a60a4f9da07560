"""The JSON API, version 1 (docs/api.md).

Two blueprints: `api` holds what the app's own pages call with their session and CSRF token (the valuation
quote) and the documentation page; `api_v1` holds the resources for other organisations' systems, with a
bearer token (claims/api/services.py), scoped by the same predicates as the pages, described by
flask-smorest in /api/v1/openapi.json (chosen over APIFlask: plain Flask blueprints and marshmallow, which the
app already uses, and one schema both validates a call and documents it). Every error is a problem (problems.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Request, Response, abort, current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint
from flask_smorest import abort as api_abort
from marshmallow import Schema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request

from claims.api import services
from claims.api.models import Scope
from claims.api.permissions import token_allows
from claims.api.problems import MESSAGES, PROBLEM_TYPE, problem
from claims.api.schemas import (
    ClaimDetailSchema,
    ClaimListArgsSchema,
    ClaimPageSchema,
    DecisionSchema,
    DocumentListSchema,
    DocumentSchema,
    IdempotencyHeaderSchema,
    PageArgsSchema,
    PaymentRecordedSchema,
    PaymentSchema,
    ProblemSchema,
    ReferralDetailSchema,
    ReferralPageSchema,
    ScheduleArgsSchema,
    ScheduleListSchema,
    StatisticsArgsSchema,
    StatisticsSchema,
    VerifyArgsSchema,
)
from claims.approval.payments import record_insurer_payment
from claims.core.storage import send_stored
from claims.core.time import local_today
from claims.documents.models import IssuedDocument
from claims.documents.permissions import can_view_document
from claims.documents.services import claim_documents, document_by_sha256, pdf_download
from claims.extensions import db
from claims.insurance.models import InsurerDecision, Referral
from claims.insurance.operations import decide_as_insurer
from claims.insurance.permissions import insurer_of
from claims.insurance.services import referrals_of
from claims.intake.models import Claim, Photo
from claims.intake.permissions import visible_claim_or_404
from claims.intake.services import claims_for, status_filter
from claims.regions.models import RegionLevel
from claims.reports.statistics import Period, statistics_for
from claims.valuation.permissions import can_quote
from claims.valuation.quote import load_json, quote
from claims.valuation.schedules import region_by_code, schedules_for
from claims.workflow.services import ClaimChanged, WorkflowError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class BoundedParser(FlaskParser):
    """webargs reading JSON bodies with the app's bounded parser (claims.core.inputs.BoundedJSONProvider: nesting
    bounded, NaN refused, strings cleaned) instead of the standard library's, so a body nested thousands deep is a 400."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return missing
        try:
            return current_app.json.loads(req.get_data(cache=True))
        except json.JSONDecodeError:
            raise
        except ValueError as exc:  # too deep, NaN, bad bytes
            raise json.JSONDecodeError(str(exc), "(the body)", 0) from exc  # an empty doc would read as "no body"


class BoundedBlueprint(ApiBlueprint):
    ARGUMENTS_PARSER = BoundedParser()


resources = BoundedBlueprint("api_v1", __name__, url_prefix="/api/v1", description="Claims and referrals for insurers' systems and government platforms.")


class ProblemApi(Api):
    """flask-smorest, with the app's own error handlers (claims/errors.py answers /api/v1/* with problems) and
    every error response documented as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        pass

    def _register_responses(self) -> None:
        for status in HTTPStatus:
            if status >= 400:
                content = {PROBLEM_TYPE: {"schema": ProblemSchema}}
                self.spec.components.response(status.name, {"description": status.phrase, "content": content}, lazy=True)
        self.spec.components.response("DEFAULT_ERROR", {"description": "An error", "content": {PROBLEM_TYPE: {"schema": ProblemSchema}}}, lazy=True)


def register_api(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "野生动物致害补偿 API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {"security": [{"bearer": []}], "servers": [{"url": "/"}]})
    api = ProblemApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "description": "<key_id>.<secret>, from an administrator"})
    api.register_blueprint(resources)
    return api


# The app's own pages -----------------------------------------------------------------------------------
@bp.route("/valuation/quote", methods=["POST"])
def valuation_quote():  # type: ignore[no-untyped-def]
    """Value the losses sent (nothing is stored): 200 with the valuation, 422 with errors naming each field.
    Session authentication; CSRF token in the X-CSRFToken header (docs/valuation.md)."""
    if not can_quote(g.get("user")):
        return _whole_request_problem(401, _l("Please log in first."))
    if not request.is_json:
        return _whole_request_problem(415, MESSAGES[415])
    try:
        payload = load_json(request.get_data(cache=True))
    except ValueError:
        return _whole_request_problem(400, _l("The request body is not valid JSON."))
    result = quote(payload)
    return problem(422, errors=result["errors"]) if "errors" in result else jsonify(result)


def _whole_request_problem(status: int, message: Any) -> Response:
    """A problem whose one error names no field (the quote's callers read `errors`, as they always have)."""
    return problem(status, message, errors=[{"field": "", "message": str(message)}])


@bp.route("/docs")
def docs():  # type: ignore[no-untyped-def]
    """The OpenAPI document rendered by the vendored Swagger UI (static/js/api-docs.js starts it: no inline script)."""
    return render_template("api/docs.html")


# Resources for other systems -----------------------------------------------------------------------------
@resources.before_request
def authenticate() -> None:
    token = services.authenticate(request.headers.get("Authorization"))
    if token is None:
        abort(401)
    g.api_token = token
    g.api_call = services.ApiCall.of(token, request.method, request.path)


@resources.before_request
def json_writes() -> None:
    """A write's body is JSON (a form or text would otherwise read as an empty body: a 422 naming every field)."""
    if request.method == "POST" and not request.is_json:
        abort(415)


@resources.after_request
def audit(response: Response) -> Response:
    """Every call with a valid token is on the audit chain. A read (or a refused write) commits only this row."""
    call = g.get("api_call")
    if call is None:
        return response
    read = request.method in ("GET", "HEAD")
    if read or response.status_code >= 400:
        db.session.rollback()
    services.record_call(call, response.status_code)
    if read or response.status_code >= 400:
        db.session.commit()
    return response


def documents_errors(*codes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document these error answers of a view (each a problem: ProblemApi's responses)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        for code in codes:
            view = resources.alt_response(code, response=HTTPStatus(code).name)(view)
        return view

    return decorate


def requires(scope: Scope) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not token_allows(g.api_token, scope):
                abort(403)
            return view(*args, **kwargs)

        return checked

    return decorate


def actor() -> Any:
    """The client's service account: the user every scope predicate and service is given."""
    return g.api_token.client.user


def read_route(
    rule: str, scope: Scope, answer: type[Schema], query: type[Schema] | None = None, *, may_404: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A GET of the token API: the scope checked first, then the query's arguments; a route with an id (or `may_404`:
    a region or hash in the query) may be a 404."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        steps = [documents_errors(401, 403, *([404] if "<" in rule or may_404 else [])), resources.response(200, answer)]
        steps += [resources.arguments(query, location="query")] if query is not None else []
        for step in [*steps, requires(scope), resources.route(rule)]:
            view = step(view)
        return view

    return decorate


@read_route("/claims", Scope.CLAIMS_READ, ClaimPageSchema, ClaimListArgsSchema)
def claim_list(args: dict[str, Any]) -> dict[str, Any]:
    """Claims in the client's scope, newest first, by keyset pages (`after` = the previous page's `next_cursor`)."""
    narrower = services.claim_filters(args)
    status = status_filter(args.get("status"))
    page = claims_for(actor(), status=status, after=args.get("after"), size=args["limit"], narrower=narrower, regions_and_species=True)
    return {"items": page.rows, "next_cursor": page.next_cursor}


@read_route("/claims/<int:claim_id>", Scope.CLAIMS_READ, ClaimDetailSchema)
def claim_detail(claim_id: int) -> Claim:
    """One claim, personal data masked; 404 when it does not exist or is outside the client's scope."""
    return visible_claim_or_404(claim_id, actor())


@read_route("/referrals", Scope.REFERRALS_READ, ReferralPageSchema, PageArgsSchema)
def referral_list(args: dict[str, Any]) -> dict[str, Any]:
    """The claims referred to the insurer's policies: waiting ones first, by deadline, as on the adjuster's portal."""
    page = referrals_of(insurer_of(actor()), args.get("after"), size=args["limit"])
    return {"items": page.rows, "next_cursor": page.next_cursor}


@read_route("/referrals/<int:claim_id>", Scope.REFERRALS_READ, ReferralDetailSchema)
def referral_detail(claim_id: int) -> Referral:
    """The referral of one claim with the package sent to the insurer."""
    return _referral_or_404(claim_id)


@read_route("/statistics", Scope.STATISTICS_READ, StatisticsSchema, StatisticsArgsSchema, may_404=True)
def statistics(args: dict[str, Any]) -> Any:
    """A year's (or a quarter's, or a month's) figures by county (a county's: by township), as the statistics page shows
    them: a platform's for its region, an insurer's for the claims referred to its policies; 404 for a region outside
    the client's scope."""
    try:
        scope = services.statistics_scope(g.api_token.client, args.get("region"))
    except services.OutOfScope:
        abort(404)
    return statistics_for(scope, Period(args["year"], args.get("quarter"), args.get("month")))


@read_route("/claims/<int:claim_id>/documents", Scope.CLAIMS_READ, DocumentListSchema)
def claim_document_list(claim_id: int) -> dict[str, Any]:
    """The documents issued on a claim (every version, oldest first), as its page lists them."""
    claim = visible_claim_or_404(claim_id, actor())
    return {"items": [d for d in claim_documents(claim) if can_view_document(actor(), d)]}


BINARY = {"type": "string", "format": "binary"}  # a file answer in the OpenAPI document


@resources.route("/claims/<int:claim_id>/photos/<int:photo_id>/<any(display, thumb):variant>")
@requires(Scope.CLAIMS_READ)
@documents_errors(401, 403, 404)
@resources.response(200, BINARY, content_type="image/jpeg", description="a JPEG copy without EXIF")
def claim_photo(claim_id: int, photo_id: int, variant: str) -> Response:
    """A photo of the claim's evidence, as the pages show it: the display copy or the thumbnail (the original, with its
    EXIF place and time, is not served through the API)."""
    claim = visible_claim_or_404(claim_id, actor())
    item = db.session.get(Photo, photo_id)
    if item is None or item.claim_id != claim.id or item.removed_at is not None:
        abort(404)
    key = item.display_key if variant == "display" else item.thumb_key
    return send_stored(key, mimetype="image/jpeg", cache_control="private, max-age=3600", presign=False)


@read_route("/schedules", Scope.CLAIMS_READ, ScheduleListSchema, ScheduleArgsSchema, may_404=True)
def schedules(args: dict[str, Any]) -> dict[str, Any]:
    """The compensation schedules in force for a county on a day (default today), most specific first: the published
    rules every valuation applies. Public rules: any county, whatever the client's scope."""
    county = region_by_code(args["county"])
    if county is None or county.level != RegionLevel.COUNTY:
        abort(404)
    return {"items": schedules_for(county, args.get("on") or local_today())}


QUOTE_BODY = {
    "type": "object",
    "required": ["region", "incident_date", "losses"],
    "properties": {
        "region": {"type": "string", "description": "the division code of the county (or a township or village in it)"},
        "incident_date": {"type": "string", "format": "date"},
        "losses": {"type": "array", "minItems": 1, "items": {"type": "object"}, "description": "loss lines: docs/valuation.md gives their fields"},
        "earlier_claims": {"type": "array", "items": {"type": "object"}},
        "claimant": {"type": "string"},
    },
}


@resources.route("/quote", methods=["POST"])
@requires(Scope.CLAIMS_READ)
@documents_errors(400, 401, 403, 415, 422)
@resources.doc(requestBody={"required": True, "content": {"application/json": {"schema": QUOTE_BODY}}})
@resources.response(200, {"type": "object"}, description="the valuation line by line, the payable total and the schedules applied")
def token_quote() -> Response:
    """Value the losses sent with the schedules in force (nothing is stored, so no Idempotency-Key): what the county
    would pay. Numbers may be JSON numbers or decimal strings, at most four decimals; a bad field is a 422 naming it."""
    try:
        payload = load_json(request.get_data(cache=True))
    except ValueError:
        abort(400)
    result = quote(payload)
    return problem(422, errors=result["errors"]) if "errors" in result else jsonify(result)


def _document_or_404(document_id: int) -> IssuedDocument:
    document = db.session.get(IssuedDocument, document_id)
    if document is None or not can_view_document(actor(), document):
        abort(404)
    return document


@read_route("/documents/<int:document_id>", Scope.CLAIMS_READ, DocumentSchema)
def document_detail(document_id: int) -> IssuedDocument:
    """One document: a claim's, or a batch list the client's region covers (a platform)."""
    return _document_or_404(document_id)


@read_route("/documents/verify", Scope.CLAIMS_READ, DocumentSchema, VerifyArgsSchema, may_404=True)
def document_verify(args: dict[str, Any]) -> IssuedDocument:
    """The issued document whose PDF has this SHA-256: a PDF received elsewhere is genuine and unaltered when it is
    found (check `replaces_id` and whether a later version exists); 404 when no document in the client's scope has it."""
    document = document_by_sha256(args["sha256"].lower())
    if document is None or not can_view_document(actor(), document):
        abort(404)
    return document


@resources.route("/documents/<int:document_id>/pdf")
@requires(Scope.CLAIMS_READ)
@documents_errors(401, 403, 404, 409)
@resources.response(
    200, {"type": "string", "format": "binary"}, content_type="application/pdf", description="the PDF as issued (its SHA-256 is the document's `sha256`)"
)
def document_pdf(document_id: int) -> Response:
    """The document's PDF; 409 with Retry-After while its job is still preparing it."""
    document = _document_or_404(document_id)
    if not document.ready:
        return problem(409, _l("The document is being prepared; ask again in a few seconds."), headers={"Retry-After": "5"})
    return pdf_download(document)


def _referral_or_404(claim_id: int) -> Referral:
    claim = visible_claim_or_404(claim_id, actor())
    referral = db.session.execute(select(Referral).where(Referral.claim_id == claim.id)).scalar_one_or_none()
    if referral is None:
        abort(404)
    return referral


# Writes: an Idempotency-Key header each; the first successful answer is stored with the write and replayed ------
def _idempotent(key: str, write: Callable[[], dict[str, Any]], shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Response:
    """The first answer of a write, stored whole with it; `shape` trims what this token may not read, on the first
    answer and on every repeat (any token of the client may repeat the key)."""
    client = g.api_token.client
    shape = shape or (lambda body: body)
    fingerprint = services.fingerprint(request.method, request.path, request.get_data())
    stored = services.stored_response(client, key)
    if stored is not None:
        if stored.fingerprint != fingerprint:
            api_abort(422, message=_l("This Idempotency-Key was already used for another request."))
        response = jsonify(shape(dict(stored.body)))
        response.status_code, response.headers["Idempotent-Replayed"] = stored.status, "true"
        return response
    body = write()
    try:
        services.remember_response(client, key, fingerprint, 200, body)
    except IntegrityError:  # the same key sent twice at once: the other request's answer is the one kept
        db.session.rollback()
        abort(409)
    return jsonify(shape(dict(body)))


def _apply(step: Callable[[], Any]) -> None:
    """A workflow step of the pages' own services: a refusal is a 422 with its reason, a concurrent change a 409."""
    try:
        step()
    except ClaimChanged:
        abort(409)
    except WorkflowError as exc:
        api_abort(422, message=exc.message)


def write_route(rule: str, scope: Scope, body: type[Schema], answer: type[Schema]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A POST of the token API: the scope checked first, then the Idempotency-Key header and the JSON body."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        steps = (
            documents_errors(401, 403, 404, 409),
            resources.response(200, answer),
            resources.arguments(body),
            resources.arguments(IdempotencyHeaderSchema, location="headers"),
            requires(scope),
            resources.route(rule, methods=["POST"]),
        )
        for step in steps:
            view = step(view)
        return view

    return decorate


@write_route("/referrals/<int:claim_id>/decision", Scope.REFERRALS_DECIDE, DecisionSchema, ReferralDetailSchema)
def referral_decision(headers: dict[str, str], data: dict[str, Any], claim_id: int) -> Response:
    """Accept the valuation, adjust lines (each with a reason) or decline with a reason, as the adjuster's page does."""
    referral = _referral_or_404(claim_id)

    def write() -> dict[str, Any]:
        try:
            adjustments = services.adjustments_for(referral.claim, data["lines"])
        except services.ApiError as exc:
            api_abort(422, message=exc.message)
        _apply(lambda: decide_as_insurer(referral.claim, InsurerDecision(data["decision"]), actor=actor(), adjustments=adjustments,
                                         decline_reason=data.get("decline_reason"), note=data.get("note"), expected_version=data.get("version")))  # fmt: skip
        return ReferralDetailSchema().dump(referral)  # type: ignore[no-any-return]

    def shape(body: dict[str, Any]) -> dict[str, Any]:
        if not token_allows(g.api_token, Scope.REFERRALS_READ):
            body.pop("package", None)  # a token that may decide but not read referrals is not sent the claim's package
        return body

    return _idempotent(headers["idempotency_key"], write, shape)


@write_route("/referrals/<int:claim_id>/payment", Scope.PAYMENTS_RECORD, PaymentSchema, PaymentRecordedSchema)
def insurer_payment(headers: dict[str, str], data: dict[str, Any], claim_id: int) -> Response:
    """Record the insurer's payment of its share, with the bank's reference (exactly the approved share)."""
    referral = _referral_or_404(claim_id)

    def write() -> dict[str, Any]:
        recorded: list[Any] = []
        _apply(lambda: recorded.append(record_insurer_payment(referral.claim, data["amount"], data["reference"], actor=actor())))
        return PaymentRecordedSchema().dump(recorded[0])  # type: ignore[no-any-return]

    return _idempotent(headers["idempotency_key"], write)
