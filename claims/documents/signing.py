"""Digital signatures on issued documents: PAdES B-B with pyHanko, by the issuing county's key, and their verification.

Each county's key lives in the folder DOCUMENT_KEYS_DIR (default: instance/document-keys), named by the county's
division code: `<code>.key.pem` with `<code>.cert.pem` (and optionally `<code>.chain.pem`, the CA certificates above
it), or one `<code>.p12` (PKCS#12). A passphrase, if the key has one, comes from DOCUMENT_KEY_PASSPHRASE.
`flask documents keys create` makes a self-signed key for a trial; production installs the key its CA issued.

A document is signed after WeasyPrint wrote it, by an incremental update (the rendered PDF/A-3b bytes stay as they
are, the signature is appended): a signature field whose visible stamp fills the document's seal area (the element
`#seal` of templates/pdf/base.html, found in the laid-out pages), drawn in red with a subset of Noto Serif CJK SC
embedded (PDF/A: every font embedded; pyHanko's default stamp font is not). The widget is printable (PDF/A §6.3.2).

[design] The stamp font is a subset made once per process and county (the signer's name, digits, the stamp's fixed
words) from the system's Noto Serif CJK collection: pyHanko reads an OpenType file whole into HarfBuzz and fontTools
for every signature, which costs 0.4 s with a 20 MB font and 1 ms with a subset. The private key is parsed once per
process too (pyHanko's SimpleSigner parses it again for every signature: 25 ms each for RSA).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import pem as pem_armor
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.x509.oid import NameOID
from flask import current_app
from fontTools import subset as ft_subset
from fontTools.ttLib import TTCollection, TTFont
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

from claims.core.time import to_local
from claims.documents.fonts import find_font_file
from claims.documents.pdf import SealBox

T = TypeVar("T")
SEAL_RED = (0.8, 0.0, 0.0)
FIELD_NAME = "Seal"
STAMP_WORDS = "数字签名签章时间年月日0123456789-: ."
STAMP_FACE = "Noto Serif CJK SC"
FALLBACK_FACES = ("HanaMinA", "HanaMinB")  # rare characters of a name, as in the documents' own text
TRIAL_DAYS = 3 * 365


SimpleSigner = signers.SimpleSigner  # a key held in memory (from a file), as opposed to one on a token


class SigningError(RuntimeError):
    """A document could not be signed (no key for its county, a key that does not load)."""


@dataclass(frozen=True)
class CountyKey:
    """A county's signing key, loaded."""

    code: str
    signer: signers.Signer
    subject: str  # the certificate's common name, e.g. 南县林业局
    fingerprint: str  # SHA-256 of the certificate, hex
    not_before: datetime
    not_after: datetime
    self_signed: bool


# --- keys ------------------------------------------------------------------------------------------


def keys_dir() -> Path:
    return Path(current_app.config["DOCUMENT_KEYS_DIR"])


def key_files(directory: Path, code: str) -> dict[str, Path]:
    return {
        "key": directory / f"{code}.key.pem",
        "cert": directory / f"{code}.cert.pem",
        "chain": directory / f"{code}.chain.pem",
        "p12": directory / f"{code}.p12",
        "pkcs11": directory / f"{code}.pkcs11.json",
    }


KEY_SUFFIXES = (".key.pem", ".p12", ".pkcs11.json")  # where a county's private key is: a file, or a token


class _Signer(signers.SimpleSigner):
    """pyHanko's in-memory signer, with the private key parsed once instead of for every signature."""

    def __init__(self, loaded: signers.SimpleSigner, passphrase: bytes | None) -> None:
        super().__init__(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key, cert_registry=loaded.cert_registry)
        self._private_key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)

    def public_key_der(self) -> bytes:
        return self._private_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._private_key, RSAPrivateKey):
            return self._private_key.sign(data, PKCS1v15(), digest)
        if mechanism == "ecdsa" and isinstance(self._private_key, EllipticCurvePrivateKey):
            return self._private_key.sign(data, ECDSA(digest))
        return super().sign_raw(data, digest_algorithm)


def county_key(code: str, directory: Path | None = None) -> CountyKey | None:
    """The county's key from the keys folder, or None if it has none. Loaded once per process while its files stay
    the same (a replaced key is picked up). A key that is there but does not load is an error, not "no key"."""
    files = key_files(directory or keys_dir(), code)
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in files.values() if p.is_file())
    if not any(name.endswith(KEY_SUFFIXES) for name, _ in stamp):
        return None
    return _load_key(code, stamp)


def passphrase_for(code: str) -> bytes | None:
    """The passphrase of a county's key file: DOCUMENT_KEY_PASSPHRASE_<code>, else DOCUMENT_KEY_PASSPHRASE."""
    value = os.environ.get(f"DOCUMENT_KEY_PASSPHRASE_{code}") or os.environ.get("DOCUMENT_KEY_PASSPHRASE") or ""
    return value.encode() or None


def _pem_encrypted(path: Path) -> bool:
    head = path.read_bytes()[:200]
    return b"ENCRYPTED" in head  # "BEGIN ENCRYPTED PRIVATE KEY" (PKCS#8) or "Proc-Type: 4,ENCRYPTED" (OpenSSL)


@cache
def _load_key(code: str, stamp: tuple[tuple[str, int], ...]) -> CountyKey:
    present = {Path(name).name.removeprefix(f"{code}."): Path(name) for name, _ in stamp}
    passphrase = passphrase_for(code)
    if "key.pem" in present and not _pem_encrypted(present["key.pem"]):
        passphrase = None  # a passphrase set for other counties' keys does not break an unencrypted one
    if "p12" not in present and "cert.pem" not in present:
        raise SigningError(f"county {code}: {code}.key.pem or {code}.pkcs11.json has no {code}.cert.pem beside it")
    try:
        if "pkcs11.json" in present:
            return _token_key(code, present["pkcs11.json"], present["cert.pem"], present.get("chain.pem"))
        if "p12" in present:
            loaded = signers.SimpleSigner.load_pkcs12(str(present["p12"]), passphrase=passphrase)
        else:
            chain = [str(present["chain.pem"])] if "chain.pem" in present else ()
            loaded = signers.SimpleSigner.load(str(present["key.pem"]), str(present["cert.pem"]), ca_chain_files=chain, key_passphrase=passphrase)
    except Exception as exc:
        raise SigningError(f"county {code}: the key or certificate does not load ({type(exc).__name__}: {exc})") from exc
    if loaded is None:
        raise SigningError(f"county {code}: the key or certificate does not load (wrong passphrase or format?)")
    signer = _Signer(loaded, passphrase)
    if signer.public_key_der() != loaded.signing_cert.public_key.dump():
        raise SigningError(f"county {code}: the private key does not belong to the certificate {code}.cert.pem")
    return _county_key(code, signer, loaded.signing_cert)


def _token_key(code: str, config_file: Path, cert_file: Path, chain_file: Path | None) -> CountyKey:
    """A key kept on a PKCS#11 token (an HSM, a USB key, SoftHSM), named by `<code>.pkcs11.json`:
    {"module": "/usr/lib/softhsm/libsofthsm2.so", "token_label": "...", "key_label": "...", "pin_env": "SEAL_PIN_430921"}.
    The PIN comes from the environment variable the file names, never from the file. The certificate is the file
    `<code>.cert.pem` beside it (which `verify` trusts). The session stays open for the process."""
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    config = json.loads(config_file.read_text(encoding="utf-8"))
    unknown = set(config) - {"module", "token_label", "key_label", "pin_env"}
    if unknown or not {"module", "token_label", "key_label"} <= set(config):
        raise SigningError(f"{config_file.name}: needs module, token_label and key_label (and pin_env); not {sorted(unknown)}")
    pin = os.environ.get(config.get("pin_env") or "", "") or None
    if config.get("pin_env") and pin is None:
        raise SigningError(f"{config_file.name}: the environment variable {config['pin_env']} (the token's PIN) is not set")
    session = open_pkcs11_session(config["module"], token_criteria=TokenCriteria(label=config["token_label"]), user_pin=pin)
    cert = load_cert_from_pemder(str(cert_file))
    chain = list(load_certs_from_pemder([str(chain_file)])) if chain_file else []
    signer = PKCS11Signer(session, key_label=config["key_label"], signing_cert=cert, ca_chain=chain)
    return _county_key(code, signer, cert)


def _county_key(code: str, signer: signers.Signer, cert: asn1_x509.Certificate) -> CountyKey:
    return CountyKey(
        code=code,
        signer=signer,
        subject=_common_name(cert),
        fingerprint=hashlib.sha256(cert.dump()).hexdigest(),
        not_before=cert["tbs_certificate"]["validity"]["not_before"].native,
        not_after=cert["tbs_certificate"]["validity"]["not_after"].native,
        self_signed=cert.self_signed != "no",
    )


def _common_name(cert: asn1_x509.Certificate) -> str:
    names = cert.subject.native
    return str(names.get("common_name") or names.get("organization_name") or cert.subject.human_friendly)


def create_trial_key(code: str, issuer: str, directory: Path, *, days: int = TRIAL_DAYS, replace: bool = False) -> tuple[Path, Path]:
    """A self-signed RSA-2048 key and certificate for a trial, as `<code>.key.pem` (mode 600) and `<code>.cert.pem`.
    Refuses to overwrite a county's key unless `replace` (documents already signed keep verifying only while the old
    certificate stays trusted: `flask documents verify` trusts the certificates in the folder)."""
    files = key_files(directory, code)
    if files["pkcs11"].exists():
        raise SigningError(f"county {code} signs with a key on a token ({files['pkcs11'].name}): a trial key does not replace it")
    if files["p12"].exists():
        raise SigningError(f"county {code} has a key in {files['p12'].name}: a trial key does not replace it (move it aside first)")
    if files["key"].exists():
        if not replace:
            raise SigningError(f"county {code} already has a key in {directory} (--replace makes a new one)")
        _retire_trial_certificate(code, files["cert"], directory)
    directory.mkdir(parents=True, exist_ok=True)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, issuer),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"试用自签名证书 {code}"),
            x509.NameAttribute(NameOID.COMMON_NAME, issuer),
        ]
    )
    now = datetime.now().astimezone()
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(private_key, hashes.SHA256())
    )
    key_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_private(files["key"], key_pem, replace=replace)
    _write_private(files["cert"], cert.public_bytes(serialization.Encoding.PEM), replace=True, mode=0o644)
    return files["key"], files["cert"]


def _retire_trial_certificate(code: str, cert_file: Path, directory: Path) -> None:
    """Before a trial key is replaced: its certificate is kept as `<code>.<fingerprint>.trusted.pem` (documents it signed
    still verify). A CA-issued key is never replaced by a trial key, and a certificate that cannot be read stops it."""
    try:
        (old,) = load_certs_from_pemder([str(cert_file)])
    except Exception as exc:
        raise SigningError(f"county {code}: {cert_file.name} cannot be read, so the key is not replaced ({type(exc).__name__})") from exc
    if old.self_signed == "no":
        raise SigningError(f"county {code} has a CA-issued certificate: a trial key does not replace it (move its files aside first)")
    keep = directory / f"{code}.{hashlib.sha256(old.dump()).hexdigest()[:16]}.trusted.pem"
    keep.write_bytes(pem_armor.armor("CERTIFICATE", old.dump()))


def _write_private(path: Path, data: bytes, *, replace: bool, mode: int = 0o600) -> None:
    """Writes a file created with `mode` (never an older file's mode). Without `replace`, only where none exists (two
    creators at once: the second is refused); with it, through a new file renamed over the old one."""
    target = path if not replace else path.with_name(f".{path.name}.{secrets.token_hex(4)}.new")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise SigningError(f"{path.name} exists already (made by another command at the same time?)") from None
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), mode)  # not narrowed by the umask either
        fh.write(data)
    if replace:
        os.replace(target, path)


def trusted_certificates(directory: Path) -> list[asn1_x509.Certificate]:
    """The certificates `verify` trusts: every county's certificate and chain in the keys folder, and the
    `*.trusted.pem` kept there (the certificates of replaced keys, so that older documents still verify)."""
    if not directory.is_dir():
        return []
    return trusted_certificates_in(sorted(directory.glob("*.pem")) + sorted(directory.glob("*.p12")))


def trusted_certificates_in(paths: list[Path]) -> list[asn1_x509.Certificate]:
    found: list[asn1_x509.Certificate] = []
    for path in paths:
        if not path.is_file():
            continue
        if path.name.endswith(".p12"):
            passphrase = passphrase_for(path.name.split(".")[0])
            loaded = signers.SimpleSigner.load_pkcs12(str(path), passphrase=passphrase)
            if loaded is not None:
                found.append(loaded.signing_cert)
                found.extend(loaded.cert_registry)
        elif path.name.endswith((".cert.pem", ".chain.pem", ".trusted.pem")):
            found.extend(load_certs_from_pemder([str(path)]))
    return found


# --- the stamp's font --------------------------------------------------------------------------------------------


_FONT_FILES: dict[str, tuple[str, int]] = {}


def _font_file(face: str) -> tuple[str, int] | None:
    """(path, index in a collection) of an installed face; remembered once found (a face installed later is found)."""
    if face not in _FONT_FILES:
        found = find_font_file(face)
        if found is None:
            return None
        _FONT_FILES[face] = found
    return _FONT_FILES[face]


def _open_face(path: str, index: int) -> TTFont:
    """One face of a font file, read from memory (fontTools' lazy reader would keep the file open)."""
    data = io.BytesIO(Path(path).read_bytes())
    return TTCollection(data, lazy=True).fonts[index] if path.endswith((".ttc", ".otc")) else TTFont(data, lazy=True)


@cache  # a failure raises, so only fonts found are remembered
def stamp_font(text: str) -> bytes:
    """A small OpenType font with every character of `text` and of the stamp's fixed words: a subset of
    Noto Serif CJK SC, or of HanaMin for a name with a character Noto lacks. Made once per process and text."""
    wanted = set(text + STAMP_WORDS)
    for face in (STAMP_FACE, *FALLBACK_FACES):
        located = _font_file(face)
        if located is None:
            continue
        font = _open_face(*located)
        if not wanted - {" "} <= {chr(c) for c in font.getBestCmap()}:
            continue
        options = ft_subset.Options()
        options.name_IDs = ["*"]
        options.layout_features = []
        options.hinting = False
        options.drop_tables += ["FFTM"]
        options.desubroutinize = True  # pyHanko subsets it again for every signature: plain charstrings are quicker
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(wanted)))
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()
    raise SigningError(f"no installed font draws the stamp text {text!r}: install fonts-noto-cjk and fonts-hanazono")


@dataclass(frozen=True)
class _StampFont(GlyphAccumulatorFactory):
    """pyHanko's OpenType font engine on the stamp's subset held in memory (`font_file` is the text to draw); its own
    factory opens a file that it never closes."""

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(stamp_font(self.font_file)), font_size=self.font_size, obj_stream=obj_stream)


# --- signing ----------------------------------------------------------------------------------------------------


def sign_pdf(body: bytes, key: CountyKey, seal: SealBox | None, *, reason: str, location: str, at: datetime) -> bytes:
    """The PDF with the county's PAdES signature appended; visible in `seal` (an invisible signature without one).
    Refuses a certificate that is not valid at `at` (expired, or not yet valid)."""
    if not key.not_before <= at <= key.not_after:
        raise SigningError(
            f"county {key.code}: its certificate is valid from {key.not_before:%Y-%m-%d} to {key.not_after:%Y-%m-%d}, not on {at:%Y-%m-%d}: install a new key"
        )
    stamp_lines = [key.subject, "数字签名", to_local(at).strftime("%Y-%m-%d %H:%M")]
    font = _StampFont(key.subject, font_size=9)
    style = TextStampStyle(
        stamp_text="\n".join(line.replace("%", "%%") for line in stamp_lines),
        text_box_style=TextBoxStyle(font=font, font_size=9, leading=13, text_color=SEAL_RED),
        border_width=1,
        border_color=SEAL_RED,
        # At the top of the seal area: the issuer and the date sit a little below its centre (GB/T 9704, print.css).
        inner_content_layout=SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MAX, margins=Margins(top=8)),
    )
    if seal is not None:
        box = (round(seal.left), round(seal.bottom), round(seal.right), round(seal.top))
        spec = fields.SigFieldSpec(FIELD_NAME, on_page=seal.page, box=box)
    else:
        spec = fields.SigFieldSpec(FIELD_NAME)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=key.subject,
        reason=reason,
        location=location,
    )
    pdf_signer = signers.PdfSigner(meta, signer=key.signer, stamp_style=style, new_field_spec=spec)
    writer = IncrementalPdfFileWriter(io.BytesIO(body))
    _same_producer(writer)
    # Room for the CMS container given here: pyHanko would otherwise sign once more, with a dummy, to measure it.
    out = outside_event_loop(pdf_signer.sign_pdf, writer, in_place=False, bytes_reserved=_reserve(key))
    return bytes(out.getbuffer())


def outside_event_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """pyHanko's synchronous calls run its coroutines with asyncio.run(), which refuses to start where an event loop
    already runs in this thread (a process that also drives an async library, as Playwright's sync API does in the
    browser tests): there the call runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def _same_producer(writer: IncrementalPdfFileWriter) -> None:
    """PDF/A: the Info dictionary's /Producer and the XMP's pdf:Producer must be the same. pyHanko's update sets the XMP
    one to its own name and appends that name to the Info one ("WeasyPrint 70.0; pyHanko 0.38.0"), unless the Info one
    holds it already: so the Info one is set to pyHanko's name in the same update, and both name the tool that wrote
    the file last."""
    info = writer.trailer["/Info"] if "/Info" in writer.trailer else None  # noqa: SIM401 - pyHanko's trailer has no get()
    if info is not None:
        info.get_object()["/Producer"] = generic.TextStringObject(VENDOR)
        writer.update_container(info.get_object())


def _reserve(key: CountyKey) -> int:
    """Bytes for the signature's CMS container: the certificates it carries, and 4 KiB for the signature (512 bytes for
    RSA-4096) and its signed attributes, with room to spare."""
    certificates = [key.signer.signing_cert, *key.signer.cert_registry]
    return (sum(len(c.dump()) for c in certificates) + 4096) // 2 * 2  # pyHanko wants an even number


# --- verification ----------------------------------------------------------------------------------------------


@dataclass
class SignatureVerdict:
    """What a PDF's signature says: whether it is intact, covers the whole file and was made by a trusted key."""

    signed: bool
    intact: bool = False
    trusted: bool = False
    whole_file: bool = False
    signer: str = ""
    fingerprint: str = ""
    signed_at: datetime | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.trusted and self.whole_file and not self.problems


def verify_signature(body: bytes, trust: list[asn1_x509.Certificate], moment: datetime | None = None) -> SignatureVerdict:
    """Checks the PDF's (one) signature against the certificates of the keys folder, at `moment` (when the document was
    stored; PAdES B-B carries no trusted time of its own): the self-signed ones (trial keys, CA roots) are the trust
    anchors, the others (CA-issued certificates, intermediates) must chain up to one and be valid then. The signing
    certificate itself must be valid at that moment too. Never raises on a damaged file."""
    try:
        reader = PdfFileReader(io.BytesIO(body), strict=False)
        embedded = reader.embedded_signatures
    except Exception as exc:
        return SignatureVerdict(signed=False, problems=[f"not a readable PDF ({type(exc).__name__})"])
    if not embedded:
        return SignatureVerdict(signed=False)
    verdict = SignatureVerdict(signed=True)
    if len(embedded) > 1:
        verdict.problems.append(f"{len(embedded)} signatures; an issued document has one")
    sig = embedded[-1]
    try:
        roots = [c for c in trust if c.self_signed != "no"]
        others = [c for c in trust if c.self_signed == "no"]
        context = ValidationContext(trust_roots=roots, other_certs=others, allow_fetching=False, moment=moment)
        with _quiet("pyhanko", "pyhanko_certvalidator"):  # a bad signature is our verdict, not their traceback on stderr
            status = outside_event_loop(validate_pdf_signature, sig, context)
    except Exception as exc:
        verdict.problems.append(f"the signature cannot be validated ({type(exc).__name__})")
        return verdict
    cert = status.signing_cert
    verdict.intact = bool(status.intact and status.valid)
    verdict.trusted = bool(status.trusted)
    verdict.whole_file = _covers_whole_file(status)
    verdict.signer = _common_name(cert) if cert is not None else ""
    verdict.fingerprint = hashlib.sha256(cert.dump()).hexdigest() if cert is not None else ""
    verdict.signed_at = status.signer_reported_dt
    if cert is not None:
        at = moment or verdict.signed_at or datetime.now().astimezone()
        validity = cert["tbs_certificate"]["validity"]
        if not validity["not_before"].native <= at <= validity["not_after"].native:
            verdict.problems.append(f"the signing certificate was not valid at {at:%Y-%m-%d %H:%M %Z}")
    return verdict


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _covers_whole_file(status: Any) -> bool:
    return bool(status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
