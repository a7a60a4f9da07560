"""Downloading issued documents, and the public page that verifies one from its QR code."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, render_template

from claims.accounts.session import login_required
from claims.documents.formats import FILTERS
from claims.documents.models import IssuedDocument
from claims.documents.permissions import can_view_document
from claims.documents.services import claim_documents, document_by_code, pdf_download, replacement_of
from claims.documents.verification import document_amounts
from claims.extensions import db

bp = Blueprint("documents", __name__)


@bp.record_once
def _register_filters(state) -> None:  # type: ignore[no-untyped-def]
    """The documents' Chinese date and amount filters, for pages too (and so templates/pdf/ compile in the app)."""
    state.app.jinja_env.filters.update(FILTERS)


@bp.app_template_global("claim_documents")
def _claim_documents(claim):  # type: ignore[no-untyped-def]
    """The claim page's "Documents" section (the page itself checked that the user may see the claim)."""
    return claim_documents(claim)


def _load(document_id: int, claim_id: int | None) -> IssuedDocument:
    """The document, or 404 when it does not exist, is not the claim's, or the user may not see it."""
    document = db.session.get(IssuedDocument, document_id)
    if document is None or document.claim_id != claim_id or not can_view_document(g.user, document):
        abort(404)
    return document


def _pdf(document: IssuedDocument) -> Response | tuple[str, int, dict[str, str]]:
    if not document.ready:  # its job has not stored the PDF yet: say so, and let the browser ask again
        return render_template("documents/preparing.html", document=document), 202, {"Retry-After": "5"}
    return pdf_download(document)


@bp.route("/claims/<int:claim_id>/documents/<int:document_id>")
@login_required
def claim_document(claim_id: int, document_id: int) -> Response | tuple[str, int, dict[str, str]]:
    return _pdf(_load(document_id, claim_id))


@bp.route("/documents/<int:document_id>")
@login_required
def batch_document(document_id: int) -> Response | tuple[str, int, dict[str, str]]:
    return _pdf(_load(document_id, None))


@bp.route("/verify/<code>")
def verify(code: str):  # type: ignore[no-untyped-def]
    """Public: kind, number, issuer, date, version, SHA-256, whether it was replaced, and its amounts with their payees
    masked (张*国, account ending 4567): enough to expose a forged amount, and no more personal data."""
    document = document_by_code(code)
    if document is None:
        abort(404)
    amounts = document_amounts(document)
    return render_template("documents/verify.html", document=document, replacement=replacement_of(document), amounts=amounts)
