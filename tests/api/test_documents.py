"""Documents through the API (scope claims:read): a claim's list, one document's metadata, its PDF, and verification of
a PDF by its SHA-256; each scoped as the pages are (a claim's documents to whoever sees the claim, a batch list to the
region it covers), out of scope answering as a missing one."""

from __future__ import annotations

import hashlib

from flask import Flask
from sqlalchemy import select

from claims.documents.models import IssuedDocument
from claims.extensions import db
from claims.workflow.models import AuditEvent
from tests.api.conftest import ApiWorld, call


def _get(app: Flask, path: str, token: str):  # type: ignore[no-untyped-def]
    return call(app.test_client(), path, token)


def test_an_insurer_lists_reads_downloads_and_verifies_the_documents_of_its_referral(app: Flask, api_world: ApiWorld) -> None:
    token, world = api_world.tokens["insurer"], api_world.world
    listed = _get(app, f"/api/v1/claims/{world.claims['r']}/documents", token)
    assert listed.status_code == 200
    items = {item["id"]: item for item in listed.get_json()["items"]}
    document = items[world.documents["r"]]
    assert document["number"] and document["ready"] and document["links"]["pdf"] == f"/api/v1/documents/{document['id']}/pdf"
    assert _get(app, f"/api/v1/documents/{document['id']}", token).get_json() == document

    pdf = _get(app, document["links"]["pdf"], token)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert hashlib.sha256(pdf.data).hexdigest() == document["sha256"]
    assert pdf.headers["Cache-Control"] == "private, no-store" and "attachment" in pdf.headers["Content-Disposition"]
    head = call(app.test_client(), document["links"]["pdf"], token, "HEAD")
    assert head.status_code == 200
    with app.app_context():  # a HEAD is audited as a GET is
        paths = db.session.execute(select(AuditEvent.changes).where(AuditEvent.action == "api_call")).scalars().all()
        assert {"method": "HEAD", "path": document["links"]["pdf"]}.items() <= next(c for c in paths if c["method"] == "HEAD").items()

    verified = _get(app, f"/api/v1/documents/verify?sha256={document['sha256'].upper()}", token)
    assert verified.status_code == 200 and verified.get_json()["id"] == document["id"]
    altered = hashlib.sha256(pdf.data + b"\n").hexdigest()
    assert _get(app, f"/api/v1/documents/verify?sha256={altered}", token).status_code == 404
    assert _get(app, "/api/v1/documents/verify?sha256=xyz", token).status_code == 422


def test_out_of_scope_is_the_same_404_as_missing(app: Flask, api_world: ApiWorld) -> None:
    world, tokens = api_world.world, api_world.tokens
    missing = _get(app, f"/api/v1/documents/{world.missing}", tokens["insurer"])
    assert missing.status_code == 404
    for name, document in (("other_insurer", "r"), ("chaling", "r"), ("insurer", "batch"), ("nan", "batch"), ("insurer", "n")):
        for suffix in ("", "/pdf"):
            answer = _get(app, f"/api/v1/documents/{world.documents[document]}{suffix}", tokens[name])
            assert (answer.status_code, answer.get_json()) == (404, missing.get_json()), (name, document, suffix)
    sha = _get(app, f"/api/v1/documents/{world.documents['r']}", tokens["insurer"]).get_json()["sha256"]
    assert _get(app, f"/api/v1/documents/verify?sha256={sha}", tokens["other_insurer"]).get_json() == missing.get_json()
    assert _get(app, f"/api/v1/claims/{world.claims['r']}/documents", tokens["other_insurer"]).status_code == 404
    # A county's platform reads the county's batch list; the province's reads every one.
    for name in ("chaling", "province"):
        assert _get(app, f"/api/v1/documents/{world.documents['batch']}", tokens[name]).status_code == 200
    for path in (f"/api/v1/documents/{world.documents['r']}", f"/api/v1/documents/{world.documents['r']}/pdf", f"/api/v1/claims/{world.claims['r']}/documents"):
        assert _get(app, path, tokens["statistics_only"]).status_code == 403


def test_a_document_being_prepared_is_a_409_with_retry_after(app: Flask, api_world: ApiWorld) -> None:
    document_id = api_world.world.documents["r"]
    with app.app_context():
        document = db.session.get(IssuedDocument, document_id)
        document.stored_at = document.storage_key = document.sha256 = document.size_bytes = None  # as before its job ran
        db.session.commit()
    answer = _get(app, f"/api/v1/documents/{document_id}/pdf", api_world.tokens["insurer"])
    assert answer.status_code == 409 and answer.headers["Retry-After"] == "5" and answer.mimetype == "application/problem+json"
    assert answer.get_json()["messages"]["zh"] and _get(app, f"/api/v1/documents/{document_id}", api_world.tokens["insurer"]).get_json()["ready"] is False


def test_the_claims_photos_are_listed_and_served_without_exif(app: Flask, api_world: ApiWorld) -> None:
    world, tokens = api_world.world, api_world.tokens
    detail = _get(app, f"/api/v1/claims/{world.claims['a']}", tokens["province"]).get_json()
    photo = next(p for p in detail["photos"] if p["id"] == world.photos["a"])
    for variant in ("display", "thumb"):
        served = _get(app, photo["links"][variant], tokens["province"])
        assert served.status_code == 200 and served.mimetype == "image/jpeg" and served.data.startswith(b"\xff\xd8")
        assert b"Exif" not in served.data[:200]
    assert _get(app, photo["links"]["display"].replace("/display", "/original"), tokens["province"]).status_code == 404
    missing = _get(app, f"/api/v1/claims/{world.claims['a']}/photos/{world.missing}/display", tokens["province"])
    assert missing.status_code == 404
    other = _get(app, photo["links"]["display"], tokens["insurer"])  # claim A was never referred to the insurer
    assert (other.status_code, other.get_json()) == (404, missing.get_json())
    wrong_claim = _get(app, f"/api/v1/claims/{world.claims['r']}/photos/{world.photos['a']}/display", tokens["province"])
    assert wrong_claim.status_code == 404  # a photo is served only under its own claim
