"""Issuing documents: number, freeze, record; render, hash and store once in a job; corrections as new versions.

`issue_document` works in the caller's transaction: the number, the row with the frozen data and the job that
renders it exist exactly when that transaction commits. The template is filled there already (cheap), so a
document that cannot be written refuses the step; the PDF itself (WeasyPrint, the slow part) is made by
`render_document`, a background job run after the commit (claims/core/jobs.py). The file is written under a
fresh random key (never over another), and removed again if the job's transaction does not commit
(`claims.core.storage.written_in_transaction`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, current_app
from markupsafe import Markup
from sqlalchemy import select, update

from claims.accounts.models import User
from claims.core.jobs import WaitForSetup, enqueue_new
from claims.core.storage import get_storage, written_in_transaction
from claims.core.time import local_today, utcnow
from claims.documents import pdf, signing
from claims.documents.data import DATA_TYPES, LAW, from_jsonable, photos_of, to_jsonable
from claims.documents.masking import mask_document_data
from claims.documents.models import DocumentKind, IssuedDocument, Issuer
from claims.documents.numbering import next_document_number
from claims.extensions import db
from claims.intake.models import Claim
from claims.regions.models import Region
from claims.regions.settings import county_settings
from claims.workflow.audit import record_event


@dataclass(frozen=True)
class DocumentContext:
    """What every document prints besides its data: number, issuer, date, remedies, verification."""

    kind: str
    title: str
    number: str
    issuer: str
    issued_at: datetime
    version: int
    replaces_number: str | None
    code: str
    verify_url: str
    law: str
    measures: str
    reconsideration_body: str
    court: str
    remedies: bool

    def meta(self) -> dict[str, Any]:
        return {k: v for k, v in to_jsonable(self).items() if k != "code"}


SETTING_KEYS = ["doc_issuing_authority", "doc_reconsideration_body", "doc_court", "doc_provincial_measures"]


def issuer_name(kind: DocumentKind, county: Region, claim: Claim | None, configured: str = "") -> str:
    if kind.info.issuer == Issuer.TOWNSHIP and claim is not None and claim.township is not None:
        return f"{claim.township.name}人民政府"
    return configured or f"{county.name}林业局"


def verify_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/{code}"


def _context(
    kind: DocumentKind, county: Region, claim: Claim | None, number: str, replaces: IssuedDocument | None, settings: dict[str, Any]
) -> DocumentContext:
    code = secrets.token_urlsafe(18)
    return DocumentContext(
        kind=kind.value,
        title=kind.info.title_zh,
        number=number,
        issuer=issuer_name(kind, county, claim, settings["doc_issuing_authority"]),
        issued_at=utcnow(),
        version=replaces.version + 1 if replaces else 1,
        replaces_number=replaces.number if replaces else None,
        code=code,
        verify_url=verify_url(code),
        law=LAW,
        measures=settings["doc_provincial_measures"],
        # Only a document that prints the remedy notice carries its bodies (its attached data is what it prints).
        reconsideration_body=(settings["doc_reconsideration_body"] or f"{county.name}人民政府") if kind.info.remedies else "",
        court=(settings["doc_court"] or f"{county.name}人民法院") if kind.info.remedies else "",
        remedies=kind.info.remedies,
    )


def document_html(kind: DocumentKind, doc: DocumentContext, data: Any, *, qr: bool = True) -> str:
    """The document's HTML; without `qr`, an empty QR code (the step only checks that the template fills: the code,
    2-3 ms of pure-Python drawing, is drawn by the job that renders the PDF)."""
    return pdf.render_html(kind.info.template, doc=doc, data=data, qr=pdf.qr_svg(doc.verify_url) if qr else Markup(""))


def attachment_json(doc: DocumentContext, data: Any) -> str:
    return json.dumps({"document": doc.meta(), "data": to_jsonable(data)}, ensure_ascii=False, indent=1, sort_keys=True)


def issue_document(
    kind: DocumentKind,
    claim: Claim | None,
    data: Any,
    *,
    actor: User | None,
    county: Region | None = None,
    subject: str | None = None,
    replaces: IssuedDocument | None = None,
) -> IssuedDocument:
    """Number one document and add its row with the frozen data, in the open transaction; a job renders and
    stores the PDF once that transaction commits (the document is "being prepared" until then)."""
    county = county or (claim.county if claim is not None else None)
    if county is None:
        raise ValueError("a document needs the county that issues it")
    data = mask_document_data(data)  # the one masking step: the page, the attachment and the stored row alike
    if hasattr(data, "check"):
        data.check()
    settings = county_settings(county, [*SETTING_KEYS, kind.setting_key])
    number = next_document_number(county, local_today().year, kind, settings[kind.setting_key])
    doc = _context(kind, county, claim, str(number), replaces, settings)
    photos = _photo_keys(claim, data)
    document_html(kind, doc, data, qr=False)  # the template fills now: a missing field refuses the step, not the job
    row = IssuedDocument(
        kind=kind,
        number=doc.number,
        county_id=county.id,
        year=number.year,
        seq=number.seq,
        claim_id=claim.id if claim is not None else None,
        subject=subject,
        version=doc.version,
        replaces_id=replaces.id if replaces else None,
        issuer_name=doc.issuer,
        verification_code=doc.code,
        data={"document": doc.meta(), "data": to_jsonable(data)},
        issued_at=doc.issued_at,
        issued_by_id=actor.id if actor is not None else None,
    )
    db.session.add(row)
    db.session.flush()
    # In the audit chain, but not in the claim's history (its page lists the documents themselves).
    changes = {"kind": kind.value, "number": doc.number, "claim_id": row.claim_id, "replaces": doc.replaces_number}
    record_event(entity="document", action="document_issued", actor=actor, entity_id=row.id, changes=changes)
    photo_keys = {str(photo_id): key for photo_id, key in photos.items()}
    # The key names the row just inserted: no job can have it yet.
    enqueue_new("render_document", f"render_document:{row.id}", document_id=row.id, data_type=type(data).__name__, photos=photo_keys)
    return row


def render_document(document_id: int, data_type: str, photos: dict[str, str]) -> None:
    """The job: render the document from its frozen data, store the PDF and record its hash (once: a document
    already stored is left as it is)."""
    row = db.session.get(IssuedDocument, document_id)
    if row is None or row.ready:
        return
    meta = row.data["document"]
    doc = DocumentContext(**{**meta, "issued_at": datetime.fromisoformat(meta["issued_at"]), "code": row.verification_code})
    data = from_jsonable(DATA_TYPES[data_type], row.data["data"])
    html = document_html(row.kind, doc, data)
    kind, signer = row.kind, _signer_region(row)
    signer_code, signer_name = signer.code, signer.name
    # Nothing written yet: the slow render and signature hold no transaction (nor SQLite's write lock). Nothing is read
    # from the database again until the result is stored: the row, expired by the commit, would be loaded afresh (in a
    # new transaction, on SQLite with the write lock) at its first attribute read.
    db.session.commit()
    storage = get_storage()
    rendered = pdf.render_pdf(
        html,
        photos={int(photo_id): key for photo_id, key in photos.items()},
        storage=storage,
        attachment=(f"{kind.value}.json", attachment_json(doc, data), f"{doc.title} {doc.number}：文书数据"),
    )
    body, signed_by = _signed(signer_code, signer_name, doc, rendered)
    key = storage.put(body, ".pdf")
    written_in_transaction(db.session, storage, key)
    digest = hashlib.sha256(body).hexdigest()
    stored = {"storage_key": key, "sha256": digest, "size_bytes": len(body), "stored_at": utcnow()}
    if signed_by is not None:
        stored |= {"signed_by": signed_by.subject, "signer_certificate_sha256": signed_by.fingerprint}
    # By id, not through the expired row (whose update would load it first); stored once, whatever else ran.
    store = update(IssuedDocument).where(IssuedDocument.id == document_id, IssuedDocument.stored_at.is_(None)).values(**stored)
    if db.session.execute(store.execution_options(synchronize_session=False)).rowcount != 1:  # type: ignore[attr-defined]
        raise RuntimeError(f"document {document_id} was stored by another run")  # rolled back: this file is removed
    record_event(entity="document", action="document_stored", entity_id=document_id, changes={"number": doc.number, "sha256": digest})


def _signer_region(row: IssuedDocument) -> Region:
    """Whose key signs: the issuing body's. What a township issues (the receipt, the correction notice, non-acceptance)
    is signed by the township's key, unless DOCUMENT_TOWNSHIP_SIGNER is "county" (the county signs for its townships)."""
    township = row.claim.township if row.claim is not None else None
    if row.kind.info.issuer == Issuer.TOWNSHIP and township is not None and current_app.config["DOCUMENT_TOWNSHIP_SIGNER"] == "township":
        return township
    return row.county


class SigningKeyMissing(WaitForSetup):
    """The issuing body has no usable signing key where one is required: the job waits for it, retried every few
    minutes without using up its attempts (its text names the body and what is wrong, never personal data)."""


def _signed(code: str, name: str, doc: DocumentContext, rendered: pdf.RenderedPdf) -> tuple[bytes, signing.CountyKey | None]:
    """The rendered PDF signed with the key of the issuing body (division `code`, `name`), and that key (to record the
    signer on the row). A body without a key gets an unsigned document only where signing is not required
    (development, trials). Where it is required (in production), a missing, unreadable, mismatched or expired key
    makes the job wait, retried every few minutes with the problem as its last error, until the key is put right;
    then it signs."""
    try:
        key = signing.county_key(code)
        if key is None:
            if not current_app.config["DOCUMENT_SIGNING_REQUIRED"]:
                return rendered.body, None
            raise signing.SigningError(
                f"no signing key for {code} ({name}) in DOCUMENT_KEYS_DIR: install its key, or run `flask documents keys create {code}` for a trial"
            )
        body = signing.sign_pdf(rendered.body, key, rendered.seal, reason=f"出具{doc.title}{doc.number}", location=name, at=utcnow())
    except signing.SigningError as exc:  # a missing, broken or expired key: the job waits until it is put right
        raise SigningKeyMissing(str(exc)) from exc
    return body, key


def reissue_document(old: IssuedDocument, data: Any, *, actor: User | None) -> IssuedDocument:
    """A correction: a new document, with its own number, that names the one it replaces."""
    if replacement_of(old) is not None:
        raise ValueError("this document was already replaced; correct the newest version")
    return issue_document(old.kind, old.claim, data, actor=actor, county=old.county, subject=old.subject, replaces=old)


def _photo_keys(claim: Claim | None, data: Any) -> dict[int, str]:
    """The thumbnails the document shows: only photos of its own claim, and only those it lists."""
    wanted = {p.id for p in photos_of(data)}
    if not wanted:
        return {}
    if claim is None:
        raise ValueError("only a claim's document shows photos")
    keys = {p.id: p.thumb_key for p in claim.photos if p.id in wanted and p.removed_at is None}
    if set(keys) != wanted:
        raise ValueError("a listed photo is not a photo of this claim")
    return keys


def replacement_of(document: IssuedDocument) -> IssuedDocument | None:
    return db.session.execute(select(IssuedDocument).where(IssuedDocument.replaces_id == document.id)).scalar_one_or_none()


def claim_documents(claim: Claim) -> list[IssuedDocument]:
    query = select(IssuedDocument).where(IssuedDocument.claim_id == claim.id).order_by(IssuedDocument.issued_at, IssuedDocument.id)
    return list(db.session.execute(query).scalars())


def batch_documents(kind: DocumentKind, subject: str) -> list[IssuedDocument]:
    """The documents (every version, oldest first) of one batch, e.g. `notice_batch:12`. Batch documents have no
    claim, so the (claim_id, kind) index narrows the search to the county's few lists of that kind."""
    query = select(IssuedDocument).where(IssuedDocument.claim_id.is_(None), IssuedDocument.kind == kind, IssuedDocument.subject == subject)
    return list(db.session.execute(query.order_by(IssuedDocument.id)).scalars())


def document_by_sha256(digest: str) -> IssuedDocument | None:
    """The stored document whose PDF has this SHA-256 (the oldest, should two ever be alike)."""
    query = select(IssuedDocument).where(IssuedDocument.sha256 == digest).order_by(IssuedDocument.id).limit(1)
    return db.session.execute(query).scalar_one_or_none()


def document_by_code(code: str) -> IssuedDocument | None:
    if not code or len(code) > 40:
        return None
    return db.session.execute(select(IssuedDocument).where(IssuedDocument.verification_code == code)).scalar_one_or_none()


class DocumentNotReady(LookupError):
    """The document's PDF is still being prepared by its job."""


def document_bytes(document: IssuedDocument) -> bytes:
    """The stored PDF, checked against its recorded SHA-256 (a changed file is never served)."""
    if document.storage_key is None:
        raise DocumentNotReady(document.id)
    body = get_storage().get(document.storage_key)
    if hashlib.sha256(body).hexdigest() != document.sha256:
        raise RuntimeError(f"stored document {document.id} does not match its SHA-256")
    return body


def pdf_download(document: IssuedDocument) -> Response:
    """The stored PDF as a download (pages and API alike): a file name with no personal data, never kept in a cache."""
    response = Response(document_bytes(document), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{document.kind.value}-{document.year}-{document.seq}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
