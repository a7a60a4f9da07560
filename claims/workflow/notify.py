"""In-app notices and outbox messages for the steps that concern someone.

Each action names who hears of it and what they read. Later capabilities register their own with
`register_notice`. Rows are written inside the transition's transaction, so a notice exists exactly
when the step does (the outbox pattern: an SMS sender attached later reads unsent rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from claims.accounts.models import Role, User
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.models import Notification, OutboxMessage

Recipients = Callable[[Claim, dict[str, Any]], list[User]]


@dataclass(frozen=True)
class Notice:
    text: Any
    recipients: Recipients
    sms_claimant: bool = False


NOTICES: dict[str, Notice] = {}


def register_notice(action: str, text: Any, recipients: Recipients, *, sms_claimant: bool = False) -> None:
    NOTICES[action] = Notice(text, recipients, sms_claimant)


def claimant(claim: Claim, data: dict[str, Any]) -> list[User]:
    if claim.claimant_user is not None:
        return [claim.claimant_user]
    return [claim.filed_by] if claim.filed_by.role == Role.VILLAGER else []


def _staff(role: Role, region_id: int | None) -> list[User]:
    if region_id is None:
        return []
    query = select(User).where(User.role == role, User.region_id == region_id, User.active)
    return list(db.session.execute(query).scalars())


def township_clerks(claim: Claim, data: dict[str, Any]) -> list[User]:
    return _staff(Role.CLERK, claim.township_id)


def county_officers(claim: Claim, data: dict[str, Any]) -> list[User]:
    return _staff(Role.OFFICER, claim.county_id)


def county_approvers(claim: Claim, data: dict[str, Any]) -> list[User]:
    return _staff(Role.APPROVER, claim.county_id)


def assigned_surveyors(claim: Claim, data: dict[str, Any]) -> list[User]:
    return list(data.get("surveyors", []))


def both(*parts: Recipients) -> Recipients:
    def combined(claim: Claim, data: dict[str, Any]) -> list[User]:
        seen: dict[int, User] = {}
        for part in parts:
            for user in part(claim, data):
                seen.setdefault(user.id, user)
        return list(seen.values())

    return combined


def notify(claim: Claim, action: str, *, actor: User, data: dict[str, Any]) -> None:
    notice = NOTICES.get(action)
    if notice is None:
        return
    params = {"number": claim.number or "", "status": str(claim.status)}
    for user in notice.recipients(claim, data):
        if user.id != actor.id:
            db.session.add(Notification(user_id=user.id, claim_id=claim.id, kind=action, params=params))
    if notice.sms_claimant and claim.claimant_mobile:
        with force_locale("zh_CN"):
            body = f"【野生动物致害补偿】{notice.text % params}"
        db.session.add(OutboxMessage(channel="sms", recipient=claim.claimant_mobile, body=body, claim_id=claim.id))


def notice_text(note: Notification) -> str:
    notice = NOTICES.get(note.kind)
    return str(notice.text % note.params) if notice else note.kind


def unread_count(user: User) -> int:
    query = select(func.count()).select_from(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    return db.session.execute(query).scalar_one()


register_notice("submit", _l("Claim %(number)s was submitted and waits for intake."), township_clerks)
register_notice("resubmit", _l("Claim %(number)s was corrected and submitted again."), township_clerks)


def _clerks_if_submitted(claim: Claim, data: dict[str, Any]) -> list[User]:
    """A draft withdrawn before it was ever submitted concerns nobody but its filer."""
    return township_clerks(claim, data) if claim.number else []


register_notice("withdraw", _l("Claim %(number)s was withdrawn."), _clerks_if_submitted)
