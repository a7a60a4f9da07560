"""What the public verification page (the QR code's target) says of a document's money: the amounts and who they go to,
masked, so that a printout with a forged amount or payee does not verify, and nothing more personal than the public
notice itself shows (a masked name, the last four digits of an account).

Read from the data frozen on the document's row. It is masked again here (names, accounts to their last four digits):
a row issued before the documents' masking step (claims/documents/masking.py) may hold full names.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from claims.core.crypto import mask_name
from claims.documents import signing
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_by_sha256, replacement_of


@dataclass(frozen=True)
class Payee:
    name: str  # masked: 张*国
    account_ending: str  # the account's last four digits, or "" (a notice list names no account)
    amount: Decimal


@dataclass(frozen=True)
class Amounts:
    total: Decimal
    insurer_share: Decimal | None = None
    government_share: Decimal | None = None
    payees: list[Payee] = field(default_factory=list)
    listed: bool = False  # a list (notice, payment): its payees as a table
    proposed: bool = False  # a notice list: amounts proposed for payment, not yet decided


def account_ending(bank: str) -> str:
    """The last four digits of the account in a bank line ("湖南农村信用社 6217 **** **** 4567" -> "4567")."""
    match = re.search(r"(\d{4})\s*$", bank or "")
    return match.group(1) if match else ""


def _payee(name: str, bank: str, amount: str) -> Payee:
    return Payee(name=mask_name(name), account_ending=account_ending(bank), amount=Decimal(amount))


def document_amounts(document: IssuedDocument) -> Amounts | None:
    """The amounts a document states and their payees, or None for a document that states no amount."""
    data: dict[str, Any] = (document.data or {}).get("data") or {}
    if document.kind == DocumentKind.COMPENSATION:
        return Amounts(
            total=Decimal(data["total"]),
            insurer_share=Decimal(data["insurer_share"]),
            government_share=Decimal(data["government_share"]),
            payees=[_payee(data["claimant"]["name"], data["bank"], data["total"])],
        )
    if document.kind == DocumentKind.ADVANCE:
        return Amounts(total=Decimal(data["amount"]), payees=[_payee(data["claimant"]["name"], data["bank"], data["amount"])])
    if document.kind == DocumentKind.PAYMENT_LIST:
        return Amounts(total=Decimal(data["total"]), payees=[_payee(e["name"], e["bank"], e["amount"]) for e in data["entries"]], listed=True)
    if document.kind == DocumentKind.NOTICE_LIST:
        return Amounts(total=Decimal(data["total"]), payees=[_payee(e["name"], "", e["amount"]) for e in data["entries"]], listed=True, proposed=True)
    return None


@dataclass
class FileReport:
    """`flask documents verify`: what a PDF file is, line by line, and the verdict."""

    lines: list[str] = field(default_factory=list)
    verdict: str = ""
    ok: bool = False


def verify_file(body: bytes, trust: list[Any]) -> FileReport:
    """Checks a PDF file three ways: its signature (intact, over the whole file, by a trusted county key), the record (a
    document whose stored SHA-256 is this file's, signed with the certificate on record) and the version (not replaced)."""
    report = FileReport()
    digest = hashlib.sha256(body).hexdigest()
    report.lines.append(f"SHA-256: {digest}")
    document = document_by_sha256(digest)
    sig = signing.verify_signature(body, trust, moment=document.stored_at if document is not None else None)
    if not sig.signed:
        report.lines.append("Signature: none" + "".join(f" ({p})" for p in sig.problems))
    else:
        when = f", signed {sig.signed_at:%Y-%m-%d %H:%M:%S %Z}" if sig.signed_at else ""
        report.lines.append(f"Signature: by {sig.signer or '?'} (certificate SHA-256 {sig.fingerprint}){when}")
        yes = {True: "yes", False: "NO"}
        report.lines.append(f"  intact: {yes[sig.intact]}; covers the whole file: {yes[sig.whole_file]}; key trusted: {yes[sig.trusted]}")
        report.lines.extend(f"  problem: {p}" for p in sig.problems)
    if document is None:
        report.lines.append("Record: no issued document has this SHA-256 (not a file this system stored, or changed since)")
    else:
        report.lines.append(f"Record: {document.title_zh} {document.number}, issued by {document.issuer_name}, version {document.version}")
    replaced = replacement_of(document) if document is not None else None
    if replaced is not None:
        report.lines.append(f"Version: REPLACED by {replaced.number} (version {replaced.version})")
    problems = []
    if not sig.valid:
        broken = not sig.signed or sig.problems or not sig.intact or not sig.whole_file
        problems.append("the signature is missing or not valid" if broken else "the signing key is not trusted here")
    if document is None:
        problems.append("the file is not on record")
    elif sig.signed and document.signer_certificate_sha256 != sig.fingerprint:
        problems.append("signed with another certificate than the one on record")
    if replaced is not None:
        problems.append(f"replaced by {replaced.number}")
    if document is not None and document.signed_by is None and not sig.signed:
        problems = ["on record, but issued without a digital signature (before signing was set up, or without a key)"]
        problems += [f"replaced by {replaced.number}"] if replaced is not None else []
    report.ok = not problems
    report.verdict = "GENUINE: signed, on record and current" if report.ok else "NOT VALID: " + "; ".join(problems)
    return report
