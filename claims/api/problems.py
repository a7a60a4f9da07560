"""Every error of /api/v1/* in one JSON format: RFC 9457 problem details with Chinese and English messages.

    {"type": "urn:claims:problem:not-found", "title": "Not Found", "status": 404,
     "detail": "<in the request's language>", "messages": {"zh": "...", "en": "..."},
     "errors": [{"field": "query.limit", "message": "..."}]}   # 422 only: one entry per field

`type` is a URN named after the status; `title` is the HTTP reason phrase; `detail` is the message in the
caller's language (Chinese unless Accept-Language asks for English). Field messages, marshmallow's and webargs' own
and our schemas', are given in the same language (`field_message`); one not in FIELD_MESSAGES stays as it is.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from flask import Response, jsonify, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

API_PREFIX = "/api/v1/"
PROBLEM_TYPE = "application/problem+json"

MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("A valid API token is needed: Authorization: Bearer <token>."),
    403: _l("This token's scopes do not allow this."),
    404: _l("This does not exist, or is outside what this client may see."),
    405: _l("This address does not accept that method."),
    409: _l("The claim was changed in the meantime; fetch it again and retry."),
    413: _l("The request is too large."),
    415: _l("Send the request as JSON (Content-Type: application/json)."),
    422: _l("Some fields are not valid."),
    429: _l("Please wait a moment and try again."),
    500: _l("The error was recorded. Nothing was saved from this step; please try again."),
}


# What marshmallow (3.x) and webargs say of a field, and our schemas' own words (claims/api/schemas.py), by pattern.
FIELD_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(p + r"$"), message)
    for p, message in (
        (r"Missing data for required field\.", _l("This field is required.")),
        (r"Field may not be null\.", _l("This field may not be null.")),
        (r"Not a valid integer\.", _l("Not a whole number.")),
        (r"Not a valid number\.", _l("Not a number.")),
        (r"Number too large\.", _l("The number is too large.")),
        (r"Special numeric values \(nan or infinity\) are not permitted\.", _l("NaN and infinity are not numbers here.")),
        (r"Not a valid string\.", _l("Not a text.")),
        (r"Not a valid utf-8 string\.", _l("Not valid UTF-8 text.")),
        (r"Not a valid boolean\.", _l("Not true or false.")),
        (r"Not a valid date\.", _l("Not a date (YYYY-MM-DD).")),
        (r"Not a valid (?:naive |aware )?datetime\.", _l("Not a date and time (ISO 8601).")),
        (r"Not a valid list\.", _l("Not a list.")),
        (r"Not a valid mapping type\.", _l("Not an object.")),
        (r"Invalid (?:input )?type\.", _l("Not of the expected type.")),
        (r"Invalid (?:value|input)\.", _l("Not a valid value.")),
        (r"Unknown field\.", _l("Unknown field.")),
        (r"String does not match expected pattern\.", _l("Not in the expected format.")),
        (r"Must be one of: (?P<choices>.*)\.", _l("Must be one of: %(choices)s.")),
        (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.", _l("Must be between %(min)s and %(max)s.")),
        (r"Must be between (?P<min>\S+) and (?P<max>\S+)\.", _l("Must be between %(min)s and %(max)s.")),
        (r"Must be greater than or equal to (?P<min>\S+)\.", _l("Must be at least %(min)s.")),
        (r"Must be less than or equal to (?P<max>\S+)\.", _l("Must be at most %(max)s.")),
        (r"Shorter than minimum length (?P<min>\d+)\.", _l("Shorter than %(min)s characters.")),
        (r"Longer than maximum length (?P<max>\d+)\.", _l("Longer than %(max)s characters.")),
        (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", _l("Must be %(min)s to %(max)s long.")),
        (r"Give a quarter or a month, not both\.", _l("Give a quarter or a month, not both.")),
    )
]


def field_message(message: str) -> str:
    """A field's message in the request's language."""
    for pattern, text in FIELD_MESSAGES:
        found = pattern.match(message)
        if found:
            return str(text) % found.groupdict() if found.groupdict() else str(text)
    return message


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """webargs' nested {"query": {"limit": ["Not a valid integer."]}} as a flat list of field and message."""
    if isinstance(messages, dict):
        return [e for key, value in messages.items() for e in field_errors(value, f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix, "message": field_message(m)} for m in messages]
    if isinstance(messages, list):
        return [e for i, value in enumerate(messages) for e in field_errors(value, f"{prefix}[{i}]")]
    return [{"field": prefix, "message": field_message(str(messages))}]


def problem_body(status: int, detail: Any = None, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    message = detail if detail is not None else MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    with force_locale("zh_CN"):
        zh = str(message)
    with force_locale("en"):
        en = str(message)
    body: dict[str, Any] = {"type": f"urn:claims:problem:{phrase.lower().replace(' ', '-')}", "title": phrase, "status": status,
                            "detail": str(message), "messages": {"zh": zh, "en": en}}  # fmt: skip
    if errors:
        body["errors"] = errors
    return body


def problem(status: int, detail: Any = None, *, errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(problem_body(status, detail, errors))
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_for(exc: Any) -> Response:
    """The problem answer for a werkzeug HTTPException (webargs puts its field messages in `exc.data`)."""
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = field_errors(data.get("messages")) if "messages" in data else None
    keep = {name: value for name, value in exc.get_headers() if name in ("Allow", "Retry-After", "WWW-Authenticate")}
    if code == 401:
        keep["WWW-Authenticate"] = "Bearer"
    return problem(code, data.get("message"), errors=errors, headers=keep | (data.get("headers") or {}))
