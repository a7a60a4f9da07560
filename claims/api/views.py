"""The JSON API (version 1). Session authentication; CSRF token in the X-CSRFToken header (docs/valuation.md)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _

from claims.valuation.permissions import can_quote
from claims.valuation.quote import load_json, quote

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/valuation/quote", methods=["POST"])
def valuation_quote():  # type: ignore[no-untyped-def]
    """Value the losses sent (nothing is stored): 200 with the valuation, 422 with errors naming each field."""
    if not can_quote(g.get("user")):
        return jsonify(errors=[{"field": "", "message": _("Please log in first.")}]), 401
    if not request.is_json:
        return jsonify(errors=[{"field": "", "message": _("Send the request as JSON (Content-Type: application/json).")}]), 415
    try:
        payload = load_json(request.get_data(cache=True))
    except ValueError:
        return jsonify(errors=[{"field": "", "message": _("The request body is not valid JSON.")}]), 400
    result = quote(payload)
    return jsonify(result), (422 if "errors" in result else 200)
