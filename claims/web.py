"""Request hooks (session, commit, security headers), locale choice and template helpers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, Response, abort, current_app, g, has_request_context, request, session
from flask_babel import format_datetime, get_locale, get_translations
from flask_babel import gettext as _
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from claims.accounts.session import TEXT_SIZE_COOKIE, load_user
from claims.core import crypto, formatting
from claims.core.pagination import page_url
from claims.core.storage import get_storage, signed_url_origin
from claims.core.sync import arrived_keys, draft_owner, name_account
from claims.core.time import to_local
from claims.errors import conflict_response
from claims.extensions import db
from claims.insurance.models import InsurerDecision, PolicyLimit
from claims.intake.models import LossCategory
from claims.main.offline import draft_texts
from claims.reports.tiles import tile_origins
from claims.survey.models import Evidence
from claims.workflow.notify import unread_count
from claims.workflow.reasons import CorrectionItem, RefusalReason
from claims.workflow.states import ClaimStatus


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    wanted = session.get("locale")
    if wanted in current_app.config["LANGUAGES"]:
        return wanted
    user = g.get("user")
    if user is not None and user.locale in current_app.config["LANGUAGES"]:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return "Asia/Shanghai"


CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _csp() -> str:
    """With photos redirected to signed URLs (STORAGE_PRESIGNED_SECONDS), pages may show images from the store; with a
    map tile server configured (claims/reports/tiles.py), images from it. Built once per set of extra origins."""
    extra = tuple(o for o in (signed_url_origin(), *tile_origins(current_app.config)) if o)
    cache = current_app.extensions.setdefault("claims_csp", {})
    csp = cache.get(extra)
    if csp is None:
        csp = cache[extra] = CSP.replace("img-src 'self'", " ".join(("img-src 'self'", *extra)))
    return csp


def register_request_hooks(app: Flask) -> None:
    app.before_request(load_user)
    app.before_request(_json_only_for_the_api)

    @app.after_request
    def finish(response: Response) -> Response:
        response = _commit_writes(response)
        response.headers["Content-Security-Policy"] = _csp()
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
            name_account(response)
        return response

    @app.teardown_request
    def cleanup(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
            _remove_written_files()


MAX_JSON_BYTES = 1024 * 1024


def _json_only_for_the_api() -> None:
    """Pages take forms; only the API takes JSON (Flask-WTF would otherwise read a JSON body as the form's
    data, and `[1]` or `{"login": 5}` are no form). A JSON body is at most 1 MB: no request of ours is larger."""
    if not request.is_json:
        return
    if request.blueprint not in ("api", "api_v1"):
        abort(415)
    request.max_content_length = MAX_JSON_BYTES


def _commit_writes(response: Response) -> Response:
    """The one place a request commits: state-changing requests that did not fail, and a refused filing
    form's draft (the view sets `g.keep_draft`: what passed is kept, with the photos, while the page says 422)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        db.session.rollback()
        return response
    if response.status_code >= 400 and not g.get("keep_draft"):
        db.session.rollback()
        _remove_written_files()
        return response
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        _remove_written_files()

        return conflict_response()
    except SQLAlchemyError:
        db.session.rollback()
        _remove_written_files()
        raise
    g.pop("written_files", None)
    return response


def _remove_written_files() -> None:

    keys = g.pop("written_files", [])
    storage = get_storage()
    for key in keys:
        storage.delete(key)


# Numeric patterns read the same in every language: formatted directly, not through Babel's pattern engine
# (a list page formats a date per row).
NUMERIC_PATTERNS = {"yyyy-MM-dd": "%Y-%m-%d", "yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M", "yyyy-MM-dd HH:mm:ss": "%Y-%m-%d %H:%M:%S"}


def local_dt(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    if not value:
        return ""
    numeric = NUMERIC_PATTERNS.get(fmt)
    return to_local(value).strftime(numeric) if numeric else format_datetime(to_local(value), fmt)


def register_template_helpers(app: Flask) -> None:

    app.jinja_env.filters["local_dt"] = local_dt
    formatting.register_filters(app)  # quantity, amount, money, measure, area, percent, unit
    app.jinja_env.filters["mask_id"] = crypto.mask_id_number
    app.jinja_env.filters["mask_account"] = crypto.mask_account
    app.jinja_env.filters["mask_name"] = crypto.mask_name
    app.jinja_env.filters["mask_mobile"] = crypto.mask_mobile
    app.jinja_env.filters["isodate"] = lambda d: d.isoformat() if isinstance(d, date) else ""

    app.jinja_env.filters["evidence_title"] = lambda code: Evidence(code).title
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["refusal_title"] = lambda code: RefusalReason(code).title
    app.jinja_env.globals["correction_title"] = lambda code: CorrectionItem(code).title
    app.jinja_env.globals["split_reasons"] = split_reasons_text

    badges: dict[tuple[str, ClaimStatus], Markup] = {}  # a list page shows a badge per row: made once per language

    def status_badge(status: ClaimStatus) -> Markup:
        key = (str(get_locale()), status)
        badge = badges.get(key)
        if badge is None:
            badge = badges[key] = Markup('<span class="badge badge-{}">{}</span>').format(status.css, escape(status.title))
        return badge

    def unread() -> int:
        if g.get("user") is None:
            return 0
        known = g.get("unread_notices")  # counted with the user on a GET (claims.accounts.session.load_user)
        return known if known is not None else unread_count(g.user)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"current_user": g.get("user"), "status_badge": status_badge, "current_locale": select_locale(), "unread_notices": unread,
                "large_text": has_request_context() and request.cookies.get(TEXT_SIZE_COOKIE) == "large",
                "draft_owner": draft_owner(g.user.id) if g.get("user") is not None else None, "draft_texts": draft_texts, "arrived_keys": arrived_keys,
                **page_gettext(get_translations())}  # fmt: skip


def page_gettext(translations: Any) -> dict[str, Any]:
    """`_`, `gettext` and `ngettext` for one page, bound to its language's catalog once, as Jinja's newstyle
    gettext does it (autoescaped, always %-formatted); Flask-Babel's own look the catalog up on every call."""

    @pass_context
    def gettext(context: Any, string: str, /, **variables: Any) -> str:
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 -- our own catalog, as in Jinja; the variables are escaped by %
        return text % variables  # type: ignore[no-any-return]

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, number: int, /, **variables: Any) -> str:
        variables.setdefault("num", number)
        text = translations.ungettext(singular, plural, number)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 -- our own catalog, as in Jinja; the variables are escaped by %
        return text % variables  # type: ignore[no-any-return]

    return {"gettext": gettext, "ngettext": ngettext}


def split_reasons_text(reasons: list[str]) -> str:
    """The split's reason codes in plain words (limits reached, deductible, uncovered losses)."""
    return " ".join(_split_reason(code) for code in reasons)


def _split_reason(code: str) -> str:
    kind, _sep, detail = code.partition(":")
    detail = detail.strip()
    if kind == "no_policy":
        return _("No insurance policy covers this claim.")
    if kind == "not_covered":
        what = LossCategory(detail).title if detail in LossCategory._value2member_map_ else detail
        return _("The policy does not cover this loss: %(what)s.", what=what)
    if kind in ("below_threshold", "deductible"):
        return _("Policy deductible: %(amount)s yuan.", amount=formatting.amount(detail))
    if kind == "no_top_up":
        return _("The county does not pay what the insurer does not.")
    if kind == "insurer":
        what = InsurerDecision(detail).title if detail in InsurerDecision._value2member_map_ else detail
        return _("Insurer's decision: %(what)s.", what=what)
    if kind in PolicyLimit._value2member_map_:  # "per_accident_crops_trees: 1200.00 > 800.00"
        asked, _gt, room = detail.partition(" > ")
        what = f"{PolicyLimit(kind).title} {formatting.amount(asked)} > {formatting.amount(room)}"
        return _("Policy limit reached: %(what)s.", what=what)
    return _("Policy limit reached: %(what)s.", what=code)
