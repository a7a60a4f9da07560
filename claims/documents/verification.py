"""What the public verification page (the QR code's target) says of a document's money: the amounts and who they go to,
masked, so that a printout with a forged amount or payee does not verify, and nothing more personal than the public
notice itself shows (a masked name, the last four digits of an account).

Read from the data frozen on the document's row. It is masked again here (names, accounts to their last four digits):
a row issued before the documents' masking step (claims/documents/masking.py) may hold full names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from claims.core.crypto import mask_name
from claims.documents.models import DocumentKind, IssuedDocument


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
    if document.kind == DocumentKind.PAYMENT_LIST:
        return Amounts(total=Decimal(data["total"]), payees=[_payee(e["name"], e["bank"], e["amount"]) for e in data["entries"]], listed=True)
    if document.kind == DocumentKind.NOTICE_LIST:
        return Amounts(total=Decimal(data["total"]), payees=[_payee(e["name"], "", e["amount"]) for e in data["entries"]], listed=True, proposed=True)
    return None
