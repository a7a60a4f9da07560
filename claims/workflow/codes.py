"""One-time codes: a code sent by text message to prove a mobile number, and the claim code printed on a receipt.

Only a keyed hash of a code is stored (claims/core/crypto.py); the code itself exists in the text message or on the
paper. A code expires (SMS codes after `SMS_CODE_MINUTES`), allows `MAX_ATTEMPTS` wrong answers, is used once,
and codes to one mobile number are throttled (one a minute, `CODES_PER_HOUR` an hour).

A wrong answer is counted on the code's row and the refusal raised: the caller commits that count (pages:
`commit_refusal`) instead of rolling it back, so check a code before writing anything else.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import User
from claims.core import crypto
from claims.core.time import utcnow
from claims.extensions import db
from claims.workflow.models import CodePurpose, OneTimeCode
from claims.workflow.services import WorkflowError
from claims.workflow.sms import queue_sms

__all__ = ["CodePurpose", "CodeRejected", "OneTimeCode"]

SMS_CODE_MINUTES = 10
CLAIM_CODE_DAYS = 180  # a receipt is kept in a drawer: the claim code lasts as long as a claim takes
MAX_ATTEMPTS = 5
RESEND_SECONDS = 60
CODES_PER_HOUR = 5
CLAIM_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper and typed on a phone


class CodeRejected(WorkflowError):
    """A code that is wrong, expired, used up or asked for too often; the message says which."""


def _hash(purpose: CodePurpose, code: str, salt: str = "") -> str:
    return crypto.lookup_hash(f"otp:{purpose.value}:{salt}:{normalise(code)}")


def normalise(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).upper()


def _sms_text(purpose: CodePurpose, code: str, number: str | None) -> str:
    with force_locale("zh_CN"):
        text = _("Your verification code: %(code)s, valid for %(minutes)d minutes. Do not tell anyone.", code=code, minutes=SMS_CODE_MINUTES)
        if purpose == CodePurpose.CONFIRM:
            text += _(" Give it to the surveyor only to confirm or dispute the verified loss of claim %(number)s.", number=number or "")
        else:
            text += _(" It links the claims filed for you to your account.")
        return f"【野生动物致害补偿】{text}"


def _throttle(purpose: CodePurpose, mobile_hash: str, claim_id: int | None) -> None:
    """Per number (and per claim, for a claim's codes: one visit may confirm two claims of one villager)."""
    now = utcnow()
    recent = select(OneTimeCode.created_at).where(
        OneTimeCode.purpose == purpose, OneTimeCode.mobile_hash == mobile_hash, OneTimeCode.created_at > now - timedelta(hours=1)
    )
    if claim_id is not None:
        recent = recent.where(OneTimeCode.claim_id == claim_id)
    times = list(db.session.execute(recent).scalars())
    if any(t > now - timedelta(seconds=RESEND_SECONDS) for t in times):
        raise CodeRejected(_("A code was sent less than a minute ago. Please wait before asking for another."))
    if len(times) >= CODES_PER_HOUR:
        raise CodeRejected(_("Too many codes were sent to this number. Please try again in an hour."))


def send_sms_code(purpose: CodePurpose, mobile: str, *, user: User | None = None, claim_id: int | None = None, number: str | None = None) -> OneTimeCode:
    """Make a six-digit code, queue the text message that carries it, and keep only its hash."""
    mobile_hash = crypto.lookup_hash(f"mobile:{mobile}")
    _throttle(purpose, mobile_hash, claim_id)
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = OneTimeCode(
        purpose=purpose,
        code_hash=_hash(purpose, code, mobile_hash),
        mobile_hash=mobile_hash,
        user_id=user.id if user else None,
        claim_id=claim_id,
        expires_at=utcnow() + timedelta(minutes=SMS_CODE_MINUTES),
        attempts=0,
    )
    db.session.add(row)
    queue_sms(mobile, _sms_text(purpose, code, number), claim_id=claim_id)
    return row


def _answer(row: OneTimeCode, matches: bool, also: Callable[[], str | None] | None) -> OneTimeCode:
    """Use the code when it matches and the other proof holds; else count a wrong answer and refuse."""
    if row.attempts >= MAX_ATTEMPTS:
        raise CodeRejected(_("Too many wrong attempts with this code. Please ask for a new one."))
    problem = None if matches else _("The code is not right.")
    if problem is None and also is not None:
        problem = also()
    if problem is not None:
        row.attempts += 1
        db.session.flush()
        raise CodeRejected(problem)
    row.used_at = utcnow()
    db.session.flush()
    return row


def use_sms_code(purpose: CodePurpose, mobile: str, code: str, *, claim_id: int | None = None, also: Callable[[], str | None] | None = None) -> OneTimeCode:
    """The latest code sent to `mobile` for `purpose`: used when `code` is it (and `also` finds no problem)."""
    mobile_hash = crypto.lookup_hash(f"mobile:{mobile}")
    query = select(OneTimeCode).where(OneTimeCode.purpose == purpose, OneTimeCode.mobile_hash == mobile_hash)
    if claim_id is not None:
        query = query.where(OneTimeCode.claim_id == claim_id)
    row = db.session.execute(query.order_by(OneTimeCode.id.desc()).limit(1).with_for_update()).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise CodeRejected(_("This code has expired or was already used. Please ask for a new one."))
    return _answer(row, hmac.compare_digest(row.code_hash, _hash(purpose, code, mobile_hash)), also)


def issue_claim_code(claim_id: int) -> str:
    """A new claim code (XXXX-XXXX) for a claim; any earlier unused one stops working."""
    now = utcnow()
    for old in db.session.execute(
        select(OneTimeCode).where(OneTimeCode.purpose == CodePurpose.CLAIM, OneTimeCode.claim_id == claim_id, OneTimeCode.used_at.is_(None))
    ).scalars():
        old.used_at = now
    raw = "".join(secrets.choice(CLAIM_CODE_ALPHABET) for _ in range(8))
    db.session.add(
        OneTimeCode(
            purpose=CodePurpose.CLAIM, code_hash=_hash(CodePurpose.CLAIM, raw), claim_id=claim_id, expires_at=now + timedelta(days=CLAIM_CODE_DAYS), attempts=0
        )
    )
    db.session.flush()
    return f"{raw[:4]}-{raw[4:]}"


def use_claim_code(code: str, *, also: Callable[[int], str | None]) -> OneTimeCode:
    """The claim code typed by a villager: used when it is valid and `also(claim_id)` finds no problem."""
    query = select(OneTimeCode).where(OneTimeCode.purpose == CodePurpose.CLAIM, OneTimeCode.code_hash == _hash(CodePurpose.CLAIM, code))
    row = db.session.execute(query.with_for_update()).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or row.claim_id is None:
        raise CodeRejected(_("This claim code is not valid. Check it against the receipt, or ask the township office for a new one."))
    claim_id = row.claim_id
    return _answer(row, True, lambda: also(claim_id))
