"""Issue 13 item 4: every issued document is signed (PAdES B-B, pyHanko) with its county's key, visibly in the seal area
with an embedded CJK font, and stays PDF/A-3b; `flask documents verify FILE.pdf` checks the signature, the hash on
record and the version; `flask documents keys create|list` manage the keys; a county without a key where signing is
required gets no unsigned document: the job waits for the key."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
from claims.documents import keys as keys_module
from claims.documents import signing
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_bytes, reissue_document
from claims.extensions import db
from claims.intake import review
from tests.documents.conftest import accepted, documents_of, file_claim, flat, only_document, pdf_text

NAN = "430921"


@pytest.fixture
def keys(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """Trial keys for 南县 and 茶陵县 in the app's keys folder; the counties sign for their townships here (so one key
    signs the receipt these tests issue; the townships' own keys have tests of their own)."""
    folder = tmp_path / "document-keys"
    app.config["DOCUMENT_KEYS_DIR"] = str(folder)
    app.config["DOCUMENT_TOWNSHIP_SIGNER"] = "county"
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["documents", "keys", "create", NAN, "430224"])
    assert result.exit_code == 0, result.output
    yield folder
    reset(app)


def reset(app: Flask) -> None:
    app.config["DOCUMENT_KEYS_DIR"] = str(Path(app.instance_path) / "document-keys")
    app.config["DOCUMENT_SIGNING_REQUIRED"] = False
    app.config["DOCUMENT_TOWNSHIP_SIGNER"] = "township"


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
    status = signing.outside_event_loop(validate_pdf_signature, embedded, _trust(keys))
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


def test_a_township_signs_its_receipt_with_its_own_key(ctx: None, app: Flask, keys: Path) -> None:
    app.config["DOCUMENT_TOWNSHIP_SIGNER"] = "township"  # the default
    claim = file_claim()
    result = app.test_cli_runner().invoke(args=["documents", "keys", "create", NAN, "--with-townships", "--replace"])
    assert result.exit_code == 0, result.output
    assert claim.township.code in result.output
    accepted(claim)
    document, body = only_document(claim, DocumentKind.RECEIPT)
    assert document.signed_by == f"{claim.township.name}人民政府" == document.issuer_name
    (embedded,) = PdfFileReader(io.BytesIO(body)).embedded_signatures
    assert signing.outside_event_loop(validate_pdf_signature, embedded, _trust(keys)).bottom_line


def test_a_township_without_a_key_waits_for_its_own_where_signing_is_required(ctx: None, app: Flask, keys: Path) -> None:
    """The county's key does not stand in for a township's unless DOCUMENT_TOWNSHIP_SIGNER says so."""
    app.config["DOCUMENT_TOWNSHIP_SIGNER"] = "township"
    app.config["DOCUMENT_SIGNING_REQUIRED"] = True
    claim = accepted(file_claim())
    (document,) = documents_of(claim, DocumentKind.RECEIPT)
    assert not document.ready
    job = db.session.execute(select(Job).where(Job.key == f"render_document:{document.id}")).scalar_one()
    assert job.last_error.startswith(f"SigningKeyMissing: no signing key for {claim.township.code} ({claim.township.name})")


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
        township = claim.township
        assert job.status == JobStatus.QUEUED and job.last_error.startswith(f"SigningKeyMissing: no signing key for {township.code}")
        assert job.attempts == 0 and job.next_attempt_at is not None  # waiting uses up no attempt
        for _ in range(8):  # more than its attempts: a key takes days to install, the job keeps waiting
            job.next_attempt_at = utcnow()
            db.session.commit()
            retry_due()
            db.session.expire_all()
            assert job.status == JobStatus.QUEUED and job.attempts == 0

        result = app.test_cli_runner().invoke(args=["documents", "keys", "create", township.code])
        assert result.exit_code == 0, result.output
        job.next_attempt_at = utcnow()
        db.session.commit()
        assert retry_due() == 1
        db.session.expire_all()
        document = db.session.get(IssuedDocument, document.id)
        assert document is not None and document.ready and document.signed_by == f"{township.name}人民政府"
        assert job.status == JobStatus.DONE
    finally:
        reset(app)


def test_unsigned_where_not_required_and_the_verification_page_says_which(ctx: None, app: Flask, tmp_path: Path) -> None:
    app.config["DOCUMENT_KEYS_DIR"] = str(tmp_path / "none")
    claim = accepted(file_claim())
    document, body = only_document(claim, DocumentKind.RECEIPT)
    assert document.signed_by is None and not PdfFileReader(io.BytesIO(body)).embedded_signatures
    page = app.test_client().get(f"/verify/{document.verification_code}").get_data(as_text=True)
    assert "未加数字签名" in page
    reset(app)


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
        assert "counties and townships (南县林业局、" in first.output
        made = {p.name: p.read_bytes() for p in (tmp_path / "demo-keys").iterdir()}
        with app.app_context():
            codes = keys_module.with_townships(["430921", "430224"])
        assert len(codes) > 2 and "430921128" in codes  # the counties and their townships (三仙湖镇 of the demo)
        assert sorted(made) == sorted(f"{code}.{suffix}" for code in codes for suffix in ("cert.pem", "key.pem"))
        with app.app_context():
            again = runner.invoke(args=["demo", "load"])
        assert again.exit_code == 0 and "Trial signing keys" not in again.output
        assert {p.name: p.read_bytes() for p in (tmp_path / "demo-keys").iterdir()} == made
    finally:
        reset(app)


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
    assert signing.outside_event_loop(validate_pdf_signature, embedded, _trust(keys)).bottom_line
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


# --- keys that must not sign, and keys that must not be lost (the hostile review) ------------------------------


def _ca_and_leaf(folder: Path, code: str, *, leaf_days: int, leaf_start: timedelta = timedelta(0)) -> None:
    """A CA (its certificate in <code>.chain.pem) and a leaf it issued to the county (<code>.key.pem, <code>.cert.pem)."""
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "测试根证书")])
    ca = (
        cx509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=3650))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(cx509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "南县林业局")])
    leaf = (
        cx509.CertificateBuilder()
        .subject_name(leaf_name)
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(2)
        .not_valid_before(now + leaf_start - timedelta(minutes=5))
        .not_valid_after(now + leaf_start + timedelta(days=leaf_days))
        .add_extension(cx509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)  # signing, non-repudiation
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / f"{code}.chain.pem").write_bytes(ca.public_bytes(pem))
    (folder / f"{code}.cert.pem").write_bytes(leaf.public_bytes(pem))
    (folder / f"{code}.key.pem").write_bytes(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def test_a_ca_issued_key_signs_and_verifies_through_its_chain(ctx: None, app: Flask, keys: Path, tmp_path: Path) -> None:
    _ca_and_leaf(keys, NAN, leaf_days=365)
    key = signing.county_key(NAN, keys)
    assert key is not None and not key.self_signed
    claim = accepted(file_claim())
    _, body = only_document(claim, DocumentKind.RECEIPT)
    (tmp_path / "doc.pdf").write_bytes(body)
    code, output = _verify(app, tmp_path / "doc.pdf")
    assert code == 0, output
    result = app.test_cli_runner().invoke(args=["documents", "keys", "create", NAN, "--replace"])
    assert result.exit_code != 0 and "CA-issued" in result.output  # a trial key never replaces it
    assert signing.county_key(NAN, keys).fingerprint == key.fingerprint  # type: ignore[union-attr]


def test_an_expired_or_not_yet_valid_certificate_does_not_sign(ctx: None, app: Flask, keys: Path) -> None:
    _ca_and_leaf(keys, NAN, leaf_days=30, leaf_start=timedelta(days=10))  # valid only from ten days on
    app.config["DOCUMENT_SIGNING_REQUIRED"] = True
    claim = accepted(file_claim())
    (document,) = documents_of(claim, DocumentKind.RECEIPT)
    assert not document.ready and document.signed_by is None
    job = db.session.execute(select(Job).where(Job.key == f"render_document:{document.id}")).scalar_one()
    assert "SigningKeyMissing: county 430921: its certificate is valid from" in job.last_error


def test_a_key_that_does_not_belong_to_its_certificate_is_refused(ctx: None, app: Flask, keys: Path) -> None:
    (keys / f"{NAN}.key.pem").write_bytes((keys / "430224.key.pem").read_bytes())
    with pytest.raises(signing.SigningError, match="does not belong to the certificate"):
        signing.county_key(NAN, keys)


def test_a_certificate_expired_when_the_document_was_stored_does_not_verify(ctx: None, app: Flask, keys: Path, tmp_path: Path) -> None:
    """PAdES B-B has no trusted time: the signature is judged at the moment the document was stored, and the signing
    certificate must have been valid then, though it chains to a trusted CA."""
    _ca_and_leaf(keys, NAN, leaf_days=365)
    claim = accepted(file_claim())
    document, body = only_document(claim, DocumentKind.RECEIPT)
    document.stored_at = utcnow() + timedelta(days=400)  # as if stored after the certificate ran out
    db.session.commit()
    (tmp_path / "doc.pdf").write_bytes(body)
    code, output = _verify(app, tmp_path / "doc.pdf")
    assert code == 1 and "NOT VALID" in output


def test_replace_makes_the_key_private_again_and_a_pkcs12_key_is_never_replaced(ctx: None, app: Flask, keys: Path) -> None:
    runner = app.test_cli_runner()
    (keys / f"{NAN}.key.pem").chmod(0o644)
    assert runner.invoke(args=["documents", "keys", "create", NAN, "--replace"]).exit_code == 0
    assert (keys / f"{NAN}.key.pem").stat().st_mode & 0o777 == 0o600
    (keys / "430224.p12").write_bytes(b"a county's CA-issued key")
    for path in (keys / "430224.key.pem", keys / "430224.cert.pem"):
        path.unlink()
    result = runner.invoke(args=["documents", "keys", "create", "430224", "--replace"])
    assert result.exit_code != 0 and "430224.p12" in result.output
    assert (keys / "430224.p12").read_bytes() == b"a county's CA-issued key"


def test_a_passphrase_for_one_county_does_not_break_the_others(ctx: None, app: Flask, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCUMENT_KEY_PASSPHRASE", "for another county's encrypted key")
    assert signing.county_key(NAN, keys) is not None


def test_signing_keeps_the_producer_the_same_in_info_and_xmp(ctx: None, app: Flask, keys: Path) -> None:
    """PDF/A: an Info entry and its XMP property agree. pyHanko names itself in both (and only there)."""
    claim = accepted(file_claim())
    _, body = only_document(claim, DocumentKind.RECEIPT)
    reader = PdfReader(io.BytesIO(body))
    info = reader.trailer["/Info"].get_object()
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert f'pdf:Producer="{info["/Producer"]}"' in xmp
    assert f'<rdf:li xml:lang="x-default">{info["/Title"]}</rdf:li>' in xmp


def test_verify_says_why_an_unsigned_document_on_record_is_not_valid(ctx: None, app: Flask, tmp_path: Path) -> None:
    app.config["DOCUMENT_KEYS_DIR"] = str(tmp_path / "none")
    try:
        claim = accepted(file_claim())
        _, body = only_document(claim, DocumentKind.RECEIPT)
        (tmp_path / "doc.pdf").write_bytes(body)
        code, output = _verify(app, tmp_path / "doc.pdf")
        assert code == 1 and "on record, but issued without a digital signature" in output
    finally:
        reset(app)
