"""API clients and tokens: create, issue, rotate, revoke, authenticate; and the audit row of every call.

Rotation issues a new token with the same scopes and expiry and keeps the old one valid for
`ROTATION_OVERLAP` (one hour), so a system can switch over without downtime; `revoke_old=True` ends the old
one at once instead (a leaked secret). Revocation takes effect on the next call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.orm import joinedload

from claims.accounts.models import Role, User
from claims.accounts.services import check_scope
from claims.api.models import KIND_SCOPES, ApiClient, ApiToken, ClientKind, IdempotentResponse
from claims.api.permissions import can_manage_client
from claims.core.inputs import bearer_token
from claims.core.time import local_to_utc, utcnow
from claims.extensions import db
from claims.insurance.models import InsurancePolicy, Insurer, InsurerMember
from claims.insurance.services import award_lines
from claims.intake.models import Claim
from claims.intake.permissions import scope_filter
from claims.regions.models import Region, RegionLevel
from claims.reports.permissions import ReportScope, report_scope
from claims.workflow.audit import record_event

ROTATION_OVERLAP = timedelta(hours=1)
IDEMPOTENCY_DAYS = 30  # how long a write's first answer is kept for repeats of its Idempotency-Key
MAX_LIFETIME = timedelta(days=366)
UNUSABLE_PASSWORD = "!"  # noqa: S105 -- no hash has this form: the service account can never log in


class ApiError(Exception):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole bearer token, shown once and never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_client(name: str, kind: ClientKind, *, insurer: Insurer | None = None, region: Region | None = None, actor: User | None) -> ApiClient:
    """An organisation's client with its service account (an adjuster of the insurer, or an administrator of the region)."""
    name = name.strip()
    if not name or db.session.execute(select(ApiClient.id).where(ApiClient.name == name)).first() is not None:
        raise ApiError(_("This name is empty or already taken."), "name")
    if (kind == ClientKind.INSURER) != (insurer is not None) or (kind == ClientKind.PLATFORM) != (region is not None):
        raise ApiError(_("An insurer's system needs an insurer; a platform needs a region."), "kind")
    if region is not None:
        check_scope(Role.ADMIN, region)
    role = Role.INSURER if kind == ClientKind.INSURER else Role.ADMIN
    user = User(login=f"api-{secrets.token_hex(6)}", name=name[:50], role=role, region=region, organisation=insurer.name if insurer else None,
                password_hash=UNUSABLE_PASSWORD, active=True, service=True, session_epoch=0, failed_logins=0)  # fmt: skip
    db.session.add(user)
    db.session.flush()
    if insurer is not None:
        db.session.add(InsurerMember(user_id=user.id, insurer_id=insurer.id))
    client = ApiClient(name=name, kind=kind, insurer_id=insurer.id if insurer else None, region_id=region.id if region else None,
                       user_id=user.id, created_by_id=actor.id if actor else None)  # fmt: skip
    db.session.add(client)
    db.session.flush()
    record_event(entity="api_client", entity_id=client.id, action="api_client_created", actor=actor, changes={"name": name, "kind": str(kind)})
    return client


def _check_scopes(client: ApiClient, scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    allowed = {s.value for s in KIND_SCOPES[client.kind]}
    if not chosen or not set(chosen) <= allowed:
        raise ApiError(_("Choose at least one scope this kind of client may have."), "scopes")
    return chosen


def issue_token(client: ApiClient, scopes: Iterable[str], expires_at: datetime, *, actor: User | None) -> IssuedToken:
    """A new token; the returned secret is the only copy."""
    now = utcnow()
    if not now < expires_at <= now + MAX_LIFETIME:
        raise ApiError(_("The expiry must be in the future and at most a year away."), "expires_on")
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    token = ApiToken(client_id=client.id, key_id=key_id, secret_hash=_hash(secret), scopes=_check_scopes(client, scopes),
                     expires_at=expires_at, created_by_id=actor.id if actor else None)  # fmt: skip
    db.session.add(token)
    db.session.flush()
    record_event(entity="api_token", entity_id=token.id, action="api_token_issued", actor=actor,
                 changes={"client": client.id, "scopes": token.scopes, "expires_at": expires_at.isoformat()})  # fmt: skip
    return IssuedToken(token, f"{key_id}.{secret}")


def rotate_token(token: ApiToken, *, revoke_old: bool, actor: User | None) -> IssuedToken:
    if not token.is_valid(utcnow()):
        raise ApiError(_("This token is revoked or expired; issue a new one."))
    issued = issue_token(token.client, token.scopes, token.expires_at, actor=actor)
    token.replaced_by_id = issued.token.id
    if revoke_old:
        token.revoked_at = utcnow()
    else:
        token.expires_at = min(token.expires_at, utcnow() + ROTATION_OVERLAP)
    record_event(entity="api_token", entity_id=token.id, action="api_token_rotated", actor=actor,
                 changes={"new_token": issued.token.id, "old_valid_until": (token.revoked_at or token.expires_at).isoformat()})  # fmt: skip
    return issued


def revoke_token(token: ApiToken, *, actor: User | None) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(entity="api_token", entity_id=token.id, action="api_token_revoked", actor=actor, changes={"client": token.client_id})


def authenticate(header: str | None) -> ApiToken | None:
    """The valid token named by an `Authorization: Bearer <key_id>.<secret>` header, or None."""
    key_id, _dot, secret = (bearer_token(header) or "").partition(".")
    if not key_id or not secret or len(key_id) > 24 or len(secret) > 100:
        return None
    query = select(ApiToken).where(ApiToken.key_id == key_id).options(joinedload(ApiToken.client).joinedload(ApiClient.user))
    token = db.session.execute(query).scalar_one_or_none()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    if not token.is_valid(utcnow()) or not token.client.user.active or not acts_as_its_client(token.client):
        return None
    return token


def acts_as_its_client(client: ApiClient) -> bool:
    """The service account still is what its client says (its role and region): its scope is the client's alone,
    so an account changed behind the client's back (the user pages never list it) reads nothing."""
    user = client.user
    role = Role.INSURER if client.kind == ClientKind.INSURER else Role.ADMIN
    return user.service and user.role == role and user.region_id == client.region_id


@dataclass(frozen=True)
class ApiCall:
    """What the audit row of one call says, read from the token when it is checked: the audit row is written after a
    read's transaction is rolled back, which expires every loaded row (reading them again would cost three statements
    per call), and after a failed write, whose session may not load anything."""

    token_id: int
    client_id: int
    actor_id: int
    actor_role: Role
    method: str
    path: str

    @classmethod
    def of(cls, token: ApiToken, method: str, path: str) -> ApiCall:
        user = token.client.user
        return cls(token.id, token.client_id, user.id, user.role, method, path)

    # The actor as record_event reads it: an id and a role.
    @property
    def id(self) -> int:
        return self.actor_id

    @property
    def role(self) -> Role:
        return self.actor_role


def record_call(call: ApiCall, status: int) -> None:
    """One audit row per call, in the chain every other event is in."""
    record_event(entity="api_token", entity_id=call.token_id, action="api_call", actor=call,
                 changes={"client": call.client_id, "method": call.method, "path": call.path[:200], "status": status})  # fmt: skip


def clients_for(admin: User) -> list[ApiClient]:
    rows = db.session.execute(select(ApiClient).order_by(ApiClient.name)).scalars()
    return [client for client in rows if can_manage_client(admin, client)]


def tokens_of(client: ApiClient) -> list[ApiToken]:
    return list(db.session.execute(select(ApiToken).where(ApiToken.client_id == client.id).order_by(ApiToken.id.desc())).scalars())


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join((method.encode(), path.encode(), body))).hexdigest()


def stored_response(client: ApiClient, key: str) -> IdempotentResponse | None:
    query = select(IdempotentResponse).where(IdempotentResponse.client_id == client.id, IdempotentResponse.key == key)
    return db.session.execute(query).scalar_one_or_none()


def remember_response(client: ApiClient, key: str, print_: str, status: int, body: dict[str, Any]) -> None:
    """Kept in the write's own transaction: the answer is stored if and only if the write is."""
    db.session.add(IdempotentResponse(client_id=client.id, key=key, fingerprint=print_, status=status, body=body))
    db.session.flush()


def purge_idempotent_responses(days: int = IDEMPOTENCY_DAYS) -> int:
    """Forget the stored answers older than `days` (the keys may then be used again); how many were forgotten. The writes
    themselves stay: a second payment of a share is refused whatever the key; a second decision is refused while the
    referral stands decided, but a claim referred again (an upheld objection) takes a decision again: a client that
    retries after the month should send the claim's `version`, which a new round has changed."""
    result = db.session.execute(delete(IdempotentResponse).where(IdempotentResponse.created_at < utcnow() - timedelta(days=days)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def adjustments_for(claim: Claim, lines: list[dict[str, Any]]) -> dict[int, tuple[Decimal, str]]:
    """The adjusted lines of an API decision: those whose amount differs from the valuation, as on the adjuster's form."""
    known = {line.index: line for line in award_lines(claim)}
    unknown = [line["index"] for line in lines if line["index"] not in known]
    if unknown:
        raise ApiError(_("No valuation line has this index: %(indexes)s.", indexes=", ".join(map(str, unknown))), "json.lines")
    return {line["index"]: (line["amount"], line["reason"]) for line in lines if line["amount"] != known[line["index"]].amount}


def claim_filters(args: dict[str, Any]) -> list[ColumnElement[bool]]:
    """The claim list's filters beyond status, as conditions that narrow the client's scope (never widen it)."""
    conditions: list[ColumnElement[bool]] = []
    if "county" in args:
        conditions.append(Claim.county_id.in_(select(Region.id).where(Region.code == args["county"])))
    for name, compare in (("submitted_from", Claim.submitted_at.__ge__), ("submitted_before", Claim.submitted_at.__lt__)):
        if name in args:
            conditions.append(compare(local_to_utc(datetime.combine(args[name], time.min))))
    return conditions


STATISTICS_LEVELS = (RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY)


class OutOfScope(LookupError):
    """A region the client may not read, or none: answered as a missing one."""


def statistics_scope(client: ApiClient, code: str | None) -> ReportScope:
    """What the client's statistics cover: a platform, its region's claims (or those of a prefecture or county within
    it, by `code`); an insurer's system, the claims referred to its policies, counted in the province of its policies
    (or the province, prefecture or county `code`). Units are counties, or a county's townships."""
    user = client.user
    if client.kind == ClientKind.PLATFORM:
        base = report_scope(user)
        if base is None or base.region is None:
            raise OutOfScope()
        claims, home = base.claims, base.region
    else:
        claims = scope_filter(user)
        policies = select(InsurancePolicy).where(InsurancePolicy.insurer_id == client.insurer_id).order_by(InsurancePolicy.id)
        first = db.session.execute(policies).scalars().first()
        holder = db.session.get(Region, first.policyholder_region_id) if first is not None else None
        home = holder.ancestor(RegionLevel.PROVINCE) if holder is not None else None
    region = home
    if code is not None:
        region = db.session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()
        within = region is not None and (client.kind == ClientKind.INSURER or home is None or region.is_within(home))
        if not within or region.level not in STATISTICS_LEVELS:
            raise OutOfScope()
    if region is None:
        raise OutOfScope()
    counties = select(Region.id).where(Region.path.startswith(region.path), Region.level == RegionLevel.COUNTY)
    return ReportScope(claims=and_(claims, Claim.county_id.in_(counties)), townships=region.level == RegionLevel.COUNTY, region=region)
