"""Issue 13 item 4: every issued document is signed (PAdES B-B, pyHanko) with its county's key, visibly in the seal area
with an embedded CJK font, and stays PDF/A-3b; `flask documents verify FILE.pdf` checks the signature, the hash on
record and the version; `flask documents keys create|list` manage the keys; a county without a key where signing is
required gets no unsigned document: the job waits for the key."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from pypdf.generic import StreamObject
from sqlalchemy import select

from claims.accounts.services import find_user
from claims.core.jobs import Job, JobStatus, retry_due
from claims.core.time import utcnow
from claims.documents import signing
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_bytes, reissue_document
from claims.extensions import db
from claims.intake import review
from tests.documents.conftest import accepted, documents_of, file_claim, flat, only_document, pdf_text

NAN = "430921"


@pytest.fixture
def keys(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """Trial keys for 南县 and 茶陵县 in the app's keys folder."""
    folder = tmp_path / "document-keys"
    app.config["DOCUMENT_KEYS_DIR"] = str(folder)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["documents", "keys", "create", NAN, "430224"])
    assert result.exit_code == 0, result.output
    yield folder
    app.config["DOCUMENT_KEYS_DIR"] = str(Path(app.instance_path) / "document-keys")
    app.config["DOCUMENT_SIGNING_REQUIRED"] = False


def _trust(folder: Path) -> ValidationContext:
    return ValidationContext(trust_roots=signing.trusted_certificates(folder), allow_fetching=False)


def _verify(app: Flask, path: Path) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["documents", "verify", str(path)])
    return result.exit_code, result.output


def _fonts_of(resources: object) -> list[object]:
    fonts = resources.get("/Font", {}) if resources else {}  # type: ignore[attr-defined]
    return [ref.get_object() for ref in fonts.values()]


def _embedded(font: object) -> bool:
    described = font["/DescendantFonts"][0].get_object() if font["/Subtype"] == "/Type0" else font  # type: ignore[index]
    descriptor = described["/FontDescriptor"].get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_a_receipt_is_signed_by_its_county_visibly_in_the_seal_area_and_stays_pdfa(ctx: None, app: Flask, keys: Path) -> None:
    claim = accepted(file_claim())
    document, body = only_document(claim, DocumentKind.RECEIPT)
    key = signing.county_key(NAN, keys)
    assert key is not None and key.subject == "南县林业局"
    assert (document.signed_by, document.signer_certificate_sha256) == ("南县林业局", key.fingerprint)

    (embedded,) = PdfFileReader(io.BytesIO(body)).embedded_signatures
    status = validate_pdf_signature(embedded, _trust(keys))
    assert status.bottom_line and status.trusted and status.intact and status.valid
    assert status.coverage.name == "ENTIRE_FILE"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES

    reader = PdfReader(io.BytesIO(body))
    (widget,) = [a.get_object() for page in reader.pages for a in page.get("/Annots", []) if a.get_object().get("/FT") == "/Sig"]
    assert widget["/F"] & 4 and not widget["/F"] & (1 | 2 | 32)  # PDF/A §6.3.2: printed, not hidden or invisible
    left, bottom, right, top = (float(v) for v in widget["/Rect"])
    assert right - left == pytest.approx(42 / 25.4 * 72, abs=1.5) and top - bottom == pytest.approx(42 / 25.4 * 72, abs=1.5)
    last = reader.pages[-1]
    assert any(a.get_object() is widget or a.get_object() == widget for a in last.get("/Annots", []))
    assert left > 0 and right < float(last.mediabox.width) and bottom > 0 and top < float(last.mediabox.height)
    # The stamp names the signer and the time, drawn with a CJK font that is embedded (pyHanko's default is not).
    appearance = widget["/AP"]["/N"].get_object()
    fonts = _fonts_of(appearance["/Resources"]) + [f for x in _fonts_of_xobjects(appearance) for f in x]
    assert fonts and all(_embedded(f) for f in fonts)
    assert "南县林业局" in flat(pdf_text(body)) and "数字签名" in flat(pdf_text(body))
    # Still PDF/A-3b after the incremental update: the XMP marker, the attachment, no interpolated image.
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert list(reader.attachments) == ["receipt.json"]
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if isinstance(obj, StreamObject) and obj.get("/Subtype") == "/Image":
            assert obj.get("/Interpolate") in (None, False)
    assert "/NeedAppearances" not in reader.trailer["/Root"].get("/AcroForm", {})


def _fonts_of_xobjects(stream: object) -> list[list[object]]:
    """The fonts of the form XObjects an appearance stream draws (pyHanko nests the stamp's text in one)."""
    found = []
    for ref in stream["/Resources"].get("/XObject", {}).values():  # type: ignore[index]
        xobject = ref.get_object()
        found.append(_fonts_of(xobject.get("/Resources")))
        found.extend(_fonts_of_xobjects(xobject) if "/Resources" in xobject else [])
    return found


def test_a_township_with_its_own_key_signs_its_receipt(ctx: None, app: Flask, keys: Path) -> None:
    claim = file_claim()
    result = app.test_cli_runner().invoke(args=["documents", "keys", "create", claim.township.code])
    assert result.exit_code == 0, result.output
    accepted(claim)
    document, body = only_document(claim, DocumentKind.RECEIPT)
    assert document.signed_by == f"{claim.township.name}人民政府" == document.issuer_name
    (embedded,) = PdfFileReader(io.BytesIO(body)).embedded_signatures
    assert validate_pdf_signature(embedded, _trust(keys)).bottom_line


def test_verify_says_genuine_for_the_stored_file_and_why_not_for_others(ctx: None, app: Flask, keys: Path, tmp_path: Path) -> None:
    claim = accepted(file_claim())
    document, body = only_document(claim, DocumentKind.RECEIPT)
    good = tmp_path / "good.pdf"
    good.write_bytes(body)
    code, output = _verify(app, good)
    assert code == 0, output
    assert f"SHA-256: {document.sha256}" in output and document.number in output
    assert "VERDICT: GENUINE" in output

    # A forged amount: one byte of the signed content changed (same length, so the file still parses).
    forged = bytearray(body)
    at = body.index(b"/Producer")
    forged[at + 2 : at + 3] = b"X"
    (tmp_path / "forged.pdf").write_bytes(bytes(forged))
    code, output = _verify(app, tmp_path / "forged.pdf")
    assert code == 1 and "NOT VALID" in output and "the file is not on record" in output
    assert "intact: NO" in output or "not valid" in output

    # Something appended after signing: the signature no longer covers the whole file.
    (tmp_path / "appended.pdf").write_bytes(body + b"\n% added\n")
    code, output = _verify(app, tmp_path / "appended.pdf")
    assert code == 1 and "NOT VALID" in output

    # An unsigned PDF, and a file that is not a PDF at all: a verdict, never a traceback.
    (tmp_path / "plain.pdf").write_bytes(b"%PDF-1.7\nnot really\n")
    code, output = _verify(app, tmp_path / "plain.pdf")
    assert code == 1 and "Signature: none" in output and "Traceback" not in output


def test_verify_names_the_replacement_of_a_corrected_document(ctx: None, app: Flask, keys: Path, tmp_path: Path) -> None:
    claim = accepted(file_claim())
    old, body = only_document(claim, DocumentKind.RECEIPT)
    new = reissue_document(old, _data_of(old), actor=find_user("clerk"))
    db.session.commit()
    (tmp_path / "old.pdf").write_bytes(body)
    code, output = _verify(app, tmp_path / "old.pdf")
    assert code == 1 and f"REPLACED by {new.number}" in output
    (tmp_path / "new.pdf").write_bytes(document_bytes(db.session.get(IssuedDocument, new.id)))  # type: ignore[arg-type]
    code, output = _verify(app, tmp_path / "new.pdf")
    assert code == 0 and "GENUINE" in output


def _data_of(document: IssuedDocument) -> object:
    from claims.documents.data import DATA_TYPES, from_jsonable

    return from_jsonable(DATA_TYPES["ReceiptData"], document.data["data"])


def test_a_key_the_instance_does_not_trust_does_not_verify(ctx: None, app: Flask, keys: Path, tmp_path: Path) -> None:
    claim = accepted(file_claim())
    _, body = only_document(claim, DocumentKind.RECEIPT)
    (tmp_path / "doc.pdf").write_bytes(body)
    app.config["DOCUMENT_KEYS_DIR"] = str(tmp_path / "elsewhere")  # another instance: it trusts none of our keys
    code, output = _verify(app, tmp_path / "doc.pdf")
    assert code == 1 and "key trusted: NO" in output and "not trusted" in output


def test_without_a_key_where_signing_is_required_the_document_waits_for_the_key(ctx: None, app: Flask, tmp_path: Path) -> None:
    app.config["DOCUMENT_KEYS_DIR"] = str(tmp_path / "keys")
    app.config["DOCUMENT_SIGNING_REQUIRED"] = True
    try:
        claim = file_claim()
        review.accept_claim(claim, actor=find_user("clerk"))
        db.session.commit()
        (document,) = documents_of(claim, DocumentKind.RECEIPT)
        assert not document.ready  # no unsigned document is stored
        job = db.session.execute(select(Job).where(Job.key == f"render_document:{document.id}")).scalar_one()
        assert job.status == JobStatus.QUEUED and job.last_error.startswith("SigningKeyMissing: no signing key for county 430921 (南县)")

        result = app.test_cli_runner().invoke(args=["documents", "keys", "create", NAN])
        assert result.exit_code == 0, result.output
        job.next_attempt_at = utcnow()
        db.session.commit()
        assert retry_due() == 1
        db.session.expire_all()
        document = db.session.get(IssuedDocument, document.id)
        assert document is not None and document.ready and document.signed_by == "南县林业局"
    finally:
        app.config["DOCUMENT_SIGNING_REQUIRED"] = False
        app.config["DOCUMENT_KEYS_DIR"] = str(Path(app.instance_path) / "document-keys")


def test_unsigned_where_not_required_and_the_verification_page_says_which(ctx: None, app: Flask, tmp_path: Path) -> None:
    app.config["DOCUMENT_KEYS_DIR"] = str(tmp_path / "none")
    claim = accepted(file_claim())
    document, body = only_document(claim, DocumentKind.RECEIPT)
    assert document.signed_by is None and not PdfFileReader(io.BytesIO(body)).embedded_signatures
    page = app.test_client().get(f"/verify/{document.verification_code}").get_data(as_text=True)
    assert "未加数字签名" in page
    app.config["DOCUMENT_KEYS_DIR"] = str(Path(app.instance_path) / "document-keys")


def test_the_verification_page_shows_the_signer_and_fingerprint(ctx: None, app: Flask, keys: Path) -> None:
    claim = accepted(file_claim())
    document, _ = only_document(claim, DocumentKind.RECEIPT)
    page = app.test_client().get(f"/verify/{document.verification_code}").get_data(as_text=True)
    assert "南县林业局" in page and document.signer_certificate_sha256 in page and "已加数字签名" in page


def test_keys_create_refuses_to_overwrite_and_replace_keeps_the_old_certificate_trusted(ctx: None, app: Flask, keys: Path, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    before = (keys / f"{NAN}.key.pem").read_bytes()
    result = runner.invoke(args=["documents", "keys", "create", NAN])
    assert result.exit_code != 0 and "already has a key" in result.output
    assert (keys / f"{NAN}.key.pem").read_bytes() == before
    assert oct((keys / f"{NAN}.key.pem").stat().st_mode & 0o777) == "0o600"

    claim = accepted(file_claim())
    _, body = only_document(claim, DocumentKind.RECEIPT)
    result = runner.invoke(args=["documents", "keys", "create", NAN, "--replace"])
    assert result.exit_code == 0, result.output
    assert (keys / f"{NAN}.key.pem").read_bytes() != before
    assert len(list(keys.glob(f"{NAN}.*.trusted.pem"))) == 1
    (tmp_path / "older.pdf").write_bytes(body)
    code, output = _verify(app, tmp_path / "older.pdf")
    assert code == 0, output  # a document signed with the replaced key still verifies

    result = runner.invoke(args=["documents", "keys", "create", "999999"])
    assert result.exit_code != 0 and "no county or township with this division code" in result.output


def test_keys_list_names_each_county_with_or_without_a_key(ctx: None, app: Flask, keys: Path) -> None:
    for path in keys.glob("430224.*"):
        path.unlink()
    result = app.test_cli_runner().invoke(args=["documents", "keys", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line for line in result.output.splitlines() if "\t" in line}
    assert "南县林业局" in lines[NAN] and "self-signed (trial)" in lines[NAN]
    assert lines["430224"].endswith("茶陵县\tno key")


def test_a_broken_key_file_is_a_clear_error(ctx: None, app: Flask, keys: Path) -> None:
    (keys / f"{NAN}.key.pem").write_text("not a key")
    result = app.test_cli_runner().invoke(args=["documents", "keys", "list"])
    assert result.exit_code == 0 and "KEY DOES NOT LOAD" in result.output


def test_demo_load_makes_the_demo_counties_a_trial_key_once(app: Flask, tmp_path: Path) -> None:
    app.config["DOCUMENT_KEYS_DIR"] = str(tmp_path / "demo-keys")
    try:
        runner = app.test_cli_runner()
        with app.app_context():
            first = runner.invoke(args=["demo", "load"])
        assert first.exit_code == 0, first.output
        assert "Trial signing key made for 430921 (南县林业局)" in first.output
        made = {p.name: p.read_bytes() for p in (tmp_path / "demo-keys").iterdir()}
        assert sorted(made) == ["430224.cert.pem", "430224.key.pem", "430921.cert.pem", "430921.key.pem"]
        with app.app_context():
            again = runner.invoke(args=["demo", "load"])
        assert again.exit_code == 0 and "Trial signing key" not in again.output
        assert {p.name: p.read_bytes() for p in (tmp_path / "demo-keys").iterdir()} == made
    finally:
        app.config["DOCUMENT_KEYS_DIR"] = str(Path(app.instance_path) / "document-keys")


SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"  # Debian's softhsm2 (scripts/system-deps.sh test)


def test_a_key_on_a_pkcs11_token_signs(ctx: None, app: Flask, keys: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Production keeps the key on a token (an HSM or USB key): SoftHSM stands in for it. The county's trial key is moved
    onto a fresh token and its file removed; `<code>.pkcs11.json` names the token and the PIN's environment variable."""
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    monkeypatch.setenv("SEAL_PIN_430921", "123456")
    run = ["softhsm2-util", "--init-token", "--free", "--label", "nan-seal", "--pin", "123456", "--so-pin", "654321"]
    subprocess.run(run, check=True, capture_output=True, timeout=60)
    key_file = keys / f"{NAN}.key.pem"
    imported = ["softhsm2-util", "--import", str(key_file), "--token", "nan-seal", "--label", "seal", "--id", "01", "--pin", "123456"]
    subprocess.run(imported, check=True, capture_output=True, timeout=60)
    key_file.unlink()
    config = {"module": SOFTHSM_MODULE, "token_label": "nan-seal", "key_label": "seal", "pin_env": "SEAL_PIN_430921"}
    (keys / f"{NAN}.pkcs11.json").write_text(json.dumps(config))

    key = signing.county_key(NAN, keys)
    assert key is not None and key.subject == "南县林业局" and not isinstance(key.signer, signing.SimpleSigner)
    claim = accepted(file_claim())
    document, body = only_document(claim, DocumentKind.RECEIPT)
    assert document.signer_certificate_sha256 == key.fingerprint
    (embedded,) = PdfFileReader(io.BytesIO(body)).embedded_signatures
    assert validate_pdf_signature(embedded, _trust(keys)).bottom_line
    (tmp_path / "doc.pdf").write_bytes(body)
    assert _verify(app, tmp_path / "doc.pdf")[0] == 0

    result = app.test_cli_runner().invoke(args=["documents", "keys", "create", NAN, "--replace"])
    assert result.exit_code != 0 and "key on a token" in result.output


def test_a_token_without_its_pin_is_a_clear_error(ctx: None, app: Flask, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEAL_PIN_430224", raising=False)
    config = {"module": SOFTHSM_MODULE, "token_label": "none", "key_label": "seal", "pin_env": "SEAL_PIN_430224"}
    (keys / "430224.key.pem").unlink()
    (keys / "430224.pkcs11.json").write_text(json.dumps(config))
    with pytest.raises(signing.SigningError, match="SEAL_PIN_430224"):
        signing.county_key("430224", keys)
    (keys / "430224.pkcs11.json").write_text(json.dumps({"module": SOFTHSM_MODULE}))
    with pytest.raises(signing.SigningError, match="needs module, token_label and key_label"):
        signing.county_key("430224", keys)
