"""Filing a claim: drafts, loss lines, photo evidence, numbering and submission."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from claims.accounts.models import Role, User
from claims.core.crypto import lookup_hash, mask_account
from claims.core.pagination import PAGE_SIZE, Page, SortKey, paginate
from claims.core.storage import get_storage, written_in_transaction
from claims.core.time import local_today, to_local, utcnow
from claims.extensions import db
from claims.intake.evidence import flag_photos, refresh_duplicates_of
from claims.intake.models import Claim, ClaimSequence, LossCategory, LossLine, Photo, PhotoStage
from claims.intake.permissions import scope_filter, staff_draft_filter
from claims.intake.photos import PhotoLimits, PhotoRejected, process_photo
from claims.regions.models import LimitKind, Region
from claims.regions.services import TimeLimits, add_working_days, is_covered, working_days_between
from claims.reports.figures import bucket_of, refresh_claim
from claims.workflow.audit import record_event
from claims.workflow.locks import note_claim_held
from claims.workflow.models import AuditEvent
from claims.workflow.stages import enter_stage
from claims.workflow.states import ClaimStatus


@dataclass
class LossInput:
    category: LossCategory
    item: str
    quantity: Decimal | None = None
    unit: str | None = None
    hospital_days: int | None = None
    medical_costs: Decimal | None = None
    note: str | None = None


@dataclass
class ClaimInput:
    claimant_name: str | None = None
    claimant_id_number: str | None = None
    claimant_mobile: str | None = None
    claimant_address: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    county_id: int | None = None
    township_id: int | None = None
    village_id: int | None = None
    incident_at: datetime | None = None
    discovered_on: date | None = None
    species_id: int | None = None
    species_unknown: bool = False
    species_description: str | None = None
    description: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_accuracy_m: float | None = None
    declaration: bool = False
    losses: list[LossInput] = field(default_factory=list)
    bank_change_reason: str | None = None  # required when anyone but the claimant changes a filed claim's account


@dataclass
class PhotoUpload:
    data: bytes
    filename: str = ""
    browser_lat: float | None = None
    browser_lon: float | None = None
    browser_accuracy_m: float | None = None
    browser_time: datetime | None = None
    resized_on_phone: bool = False  # the phone downsized it before sending (save-data mode): said on the claim


@dataclass
class PhotoProblem:
    filename: str
    message: str


# Fields whose values never enter the audit trail in clear (PIPL sensitive data): only "changed".
SENSITIVE_FIELDS = frozenset({"claimant_id_number", "bank_account"})
CLAIM_FIELDS = tuple(f for f in ClaimInput.__dataclass_fields__ if f not in ("losses", "bank_change_reason"))
BANK_FIELDS = ("bank_name", "bank_account")
# What decides where the money and the claimant's texts go: changed by anyone but the claimant, with a reason.
PAYMENT_CONTACT_FIELDS = (*BANK_FIELDS, "claimant_mobile")


def find_by_submission_key(key: str) -> Claim | None:
    return db.session.execute(select(Claim).where(Claim.submission_key == key)).scalar_one_or_none()


def start_draft(*, actor: User, submission_key: str, for_self: bool) -> Claim:
    """Create the draft behind a new filing form; the same form key always gives the same draft.

    The draft is inserted unless its key is taken (INSERT ... ON CONFLICT DO NOTHING): the other click of a double
    click, or a form sent again, made it, and that draft is the answer (no savepoint to roll back to, and no look-up
    before the insert on the usual path). The transaction holds the new row from its insert on (no one else sees it
    before the commit), so the filing's save and submission need not lock it again."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {
        "submission_key": submission_key,
        "filed_by_id": actor.id,
        "claimant_user_id": actor.id if for_self else None,
        "status": ClaimStatus.DRAFT,
        "species_unknown": False,
        "declaration": False,
        "late_report": False,
    }
    statement = insert(Claim).values(values).on_conflict_do_nothing(index_elements=["submission_key"]).returning(Claim)
    claim = db.session.scalars(statement).one_or_none()
    if claim is None:
        existing = find_by_submission_key(submission_key)
        if existing is None:  # the key's draft was made and is gone again: not a draft this form can have
            raise RuntimeError(f"no draft for the submission key {submission_key!r}")
        return existing
    note_claim_held(claim.id)
    for collection in ("losses", "photos"):  # a new claim: nothing to load when the form's lines and photos are added
        set_committed_value(claim, collection, [])
    event = record_event(entity="claim", action="draft_started", actor=actor, claim=claim, to_state=str(ClaimStatus.DRAFT), changes={"for_self": for_self})
    enter_stage(claim.id, ClaimStatus.DRAFT, event.created_at, first=True)
    return claim


def update_draft(claim: Claim, data: ClaimInput, *, actor: User) -> list[str]:
    """Copy the form's values onto the claim; returns the names of the fields that changed."""
    changed: list[str] = []
    counted_in = bucket_of(claim)  # a returned claim corrected may move to another township's figures
    for name in CLAIM_FIELDS:
        value = getattr(data, name)
        if getattr(claim, name) != value:
            setattr(claim, name, value)
            changed.append(name)
    claim.claimant_id_hash = lookup_hash(claim.claimant_id_number) if claim.claimant_id_number else None
    claim.bank_account_hash = lookup_hash(claim.bank_account) if claim.bank_account else None
    new_lines = [_loss_tuple(line) for line in data.losses]
    if new_lines != [_loss_tuple(line) for line in claim.losses]:
        claim.losses = [LossLine(position=i, **vars(line)) for i, line in enumerate(data.losses)]
        changed.append("losses")
    if changed:
        record_event(entity="claim", action="claim_edited", actor=actor, claim=claim, changes=_describe_changes(claim, changed))
        refresh_claim(claim, was=counted_in)  # the dashboards' figures (nothing for a draft: it is counted from its filing)
    if claim.number is not None and set(BANK_FIELDS) & set(changed):
        changes = {"account": mask_account(claim.bank_account), "bank_name": claim.bank_name}
        record_event(entity="claim", action="bank_account_changed", actor=actor, claim=claim, reason=data.bank_change_reason, changes=changes)
    return changed


def bank_change_problem(claim: Claim, data: ClaimInput, *, actor: User) -> str | None:
    """Anyone but the claimant who changes the bank account or the mobile number of a filed claim (setting one where
    there was none too) says why; the claimant is told, at the mobile number as it was and as it is."""
    if claim.number is None or actor.id == claim.claimant_user_id:
        return None
    if all(getattr(data, name) == getattr(claim, name) for name in PAYMENT_CONTACT_FIELDS) or (data.bank_change_reason or "").strip():
        return None
    return _("Say why the bank account or the mobile number is changed: the claimant will be told.")


def _loss_tuple(line: LossInput | LossLine) -> tuple[object, ...]:
    return (line.category, line.item, line.quantity, line.unit, line.hospital_days, line.medical_costs, line.note)


def _describe_changes(claim: Claim, changed: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in changed:
        if name in SENSITIVE_FIELDS:
            out[name] = "changed"
        elif name == "losses":
            out[name] = [f"{line.category}:{line.item}:{line.quantity or ''}{line.unit or ''}" for line in claim.losses]
        else:
            value = getattr(claim, name)
            out[name] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return out


def active_photos(claim: Claim) -> list[Photo]:
    return [p for p in claim.photos if p.removed_at is None]


def photo_limits() -> PhotoLimits:
    cfg = current_app.config
    return PhotoLimits(max_bytes=cfg["PHOTO_MAX_BYTES"], max_pixels=cfg["PHOTO_MAX_PIXELS"])


def add_photos(
    claim: Claim, uploads: list[PhotoUpload], *, actor: User, stage: PhotoStage = PhotoStage.FILING, flag: bool = True
) -> tuple[list[Photo], list[PhotoProblem]]:
    """Check and store each photo; a refused photo is reported by name and never blocks the others.

    `flag=False` leaves the evidence flags to the caller (submission computes them for every photo).
    """
    added: list[Photo] = []
    problems: list[PhotoProblem] = []
    room = current_app.config["PHOTO_MAX_COUNT"] - len([p for p in active_photos(claim) if p.stage == stage])
    known = {p.sha256 for p in active_photos(claim)}
    for upload in uploads:
        if len(added) >= room:
            problems.append(
                PhotoProblem(upload.filename, _("At most %(n)d photos per claim: this one was not added.", n=current_app.config["PHOTO_MAX_COUNT"]))
            )
            continue
        try:
            photo = _store_photo(claim, upload, actor=actor, stage=stage)
        except PhotoRejected as exc:
            problems.append(PhotoProblem(upload.filename, str(exc.message)))
            continue
        if photo.sha256 in known:
            problems.append(PhotoProblem(upload.filename, _("This photo was already added.")))
            _discard_files(photo)
            continue
        known.add(photo.sha256)
        claim.photos.append(photo)
        added.append(photo)
    if added:
        db.session.flush()
        if flag:
            flag_photos(claim, added)
        record_event(entity="claim", action="photos_added", actor=actor, claim=claim, changes={"photos": [p.sha256 for p in added]})
    return added, problems


def _store_photo(claim: Claim, upload: PhotoUpload, *, actor: User, stage: PhotoStage) -> Photo:
    processed = process_photo(upload.data, photo_limits())
    storage = get_storage()
    keys: list[str] = []
    try:
        for blob, suffix in ((upload.data, ".orig"), (processed.display_jpeg, ".jpg"), (processed.thumb_jpeg, ".thumb.jpg")):
            keys.append(storage.put(blob, suffix))
    except OSError:
        for key in keys:
            storage.delete(key)
        raise PhotoRejected("storage", _l("The photo could not be saved. Please try again."), "the photo could not be stored") from None
    _register_cleanup(keys)
    bands = [processed.phash[i : i + 4] for i in range(0, 16, 4)]
    return Photo(
        stage=stage,
        original_key=keys[0],
        display_key=keys[1],
        thumb_key=keys[2],
        sha256=processed.sha256,
        phash=processed.phash,
        phash_b0=bands[0],
        phash_b1=bands[1],
        phash_b2=bands[2],
        phash_b3=bands[3],
        format=processed.format,
        mime=processed.mime,
        size_bytes=len(upload.data),
        width=processed.width,
        height=processed.height,
        taken_at=processed.taken_at,
        exif_lat=processed.gps_lat,
        exif_lon=processed.gps_lon,
        browser_lat=upload.browser_lat,
        browser_lon=upload.browser_lon,
        browser_accuracy_m=upload.browser_accuracy_m,
        browser_time=upload.browser_time,
        resized_on_phone=upload.resized_on_phone,
        uploaded_by=actor,
        flags=[],
    )


def _register_cleanup(keys: list[str]) -> None:
    """Remember files written in this transaction and request, so that a rollback removes them (quality.md 15):
    a refused or conflicting step rolls the transaction back, a failed commit the request."""
    from flask import g, has_request_context

    storage = get_storage()
    for key in keys:
        written_in_transaction(db.session, storage, key)
    if has_request_context():
        g.setdefault("written_files", []).extend(keys)


def _discard_files(photo: Photo) -> None:
    storage = get_storage()
    for key in (photo.original_key, photo.display_key, photo.thumb_key):
        storage.delete(key)


def remove_photo(claim: Claim, photo: Photo, *, actor: User) -> None:
    """Hide a photo from a draft or returned claim; the files and row stay as evidence."""
    photo.removed_at = utcnow()
    refresh_duplicates_of(photo)
    record_event(entity="claim", action="photo_removed", actor=actor, claim=claim, changes={"photo": photo.sha256})
    note_clerk_rewrite(claim, actor)


# What a person does to a claim's content: its fields and lines, its photos, its submission. The audit trail keeps
# each with its actor; a clerk who did any of these to a claim takes no intake of it (claims.intake.steps.not_the_filer).
CONTENT_ACTIONS = ("claim_edited", "bank_account_changed", "photos_added", "photo_removed", "submit", "resubmit")


def note_clerk_rewrite(claim: Claim, actor: User) -> None:
    """A clerk who changed a filed claim (a correction made for the claimant) is recorded as its submitter, so that its
    intake waits for another clerk or a county officer, who are told and find it in their to-do, even once the claimant
    sends it on (claims.intake.steps.prepare_for_intake)."""
    if claim.number is not None and actor.role == Role.CLERK:
        claim.submitted_by = actor


def changed_content(claim: Claim, actor: User) -> bool:
    """Whether `actor` ever changed or submitted this claim's content (its audit trail says; one indexed look-up)."""
    done = select(AuditEvent.id).where(AuditEvent.claim_id == claim.id, AuditEvent.actor_id == actor.id, AuditEvent.action.in_(CONTENT_ACTIONS))
    return db.session.execute(done.limit(1)).first() is not None


def reveal_identity(claim: Claim, *, actor: User) -> str:
    """The claimant's full resident ID number, for a user who may see it (permissions.can_see_full_identity).
    Every look is an audit event, so the claimant and an auditor can see who looked and when."""
    record_event(entity="claim", action="identity_revealed", actor=actor, claim=claim)
    return claim.claimant_id_number or ""


def submission_problems(claim: Claim) -> list[str]:
    """What is still missing before a draft can be submitted (the form checks formats; this checks presence)."""
    problems: list[str] = []
    required = {
        "claimant_name": _("the claimant's name"),
        "claimant_id_number": _("the resident ID number"),
        "claimant_mobile": _("the mobile number"),
        "bank_name": _("the bank"),
        "bank_account": _("the bank account"),
        "village_id": _("the village"),
        "incident_at": _("the incident time"),
        "discovered_on": _("the date the damage was discovered"),
        "description": _("what happened"),
    }
    missing = [label for name, label in required.items() if not getattr(claim, name)]
    if missing:
        problems.append(_("Missing: %(fields)s.", fields="、".join(missing)))
    if claim.species_id is None and not (claim.species_unknown and claim.species_description):
        problems.append(_("Choose the animal, or tick “unknown” and describe it."))
    if not claim.losses:
        problems.append(_("Add at least one loss."))
    if not active_photos(claim):
        problems.append(_("Add at least one photo of the damage."))
    if not claim.declaration:
        problems.append(_("Please confirm the declaration that the information is true."))
    return problems


def next_claim_number(county: Region, year: int) -> str:
    """County code, year and a sequence, gap-free and unique under concurrent submissions."""
    stmt = (
        update(ClaimSequence)
        .where(ClaimSequence.county_id == county.id, ClaimSequence.year == year)
        .values(last_value=ClaimSequence.last_value + 1)
        .returning(ClaimSequence.last_value)
    )
    value = db.session.execute(stmt).scalar_one_or_none()
    if value is None:
        try:
            with db.session.begin_nested():
                db.session.add(ClaimSequence(county_id=county.id, year=year, last_value=1))
            value = 1
        except IntegrityError:
            value = db.session.execute(stmt).scalar_one()
    return f"{county.code}-{year}-{value:06d}"


def prepare_submission(claim: Claim) -> None:
    """Numbering, eligibility snapshot, lateness and the township's deadline, at (re)submission."""
    today = local_today()
    county = claim.county
    with db.session.no_autoflush:  # what is set here reaches the database in one UPDATE, with the step's status
        if claim.number is None and county is not None:
            claim.number = next_claim_number(county, today.year)
        claim.submitted_at = claim.submitted_at or utcnow()
        incident_day = to_local(claim.incident_at).date() if claim.incident_at else today  # type: ignore[union-attr]
        if claim.species is not None and county is not None:
            claim.species_covered = is_covered(claim.species, county, incident_day)
        else:
            claim.species_covered = None
        loss_day = claim.discovered_on or incident_day
        limits = TimeLimits([county.id], {county.id: county.path}) if county else TimeLimits([])
        county_id = county.id if county else None
        claim.late_report = working_days_between(loss_day, today) > limits.days(county_id, LimitKind.APPLICATION, loss_day)
        claim.due_at = add_working_days(today, limits.days(county_id, LimitKind.INTAKE, today))
        flag_photos(claim, active_photos(claim))


# The claim lists: newest first (claims/core/pagination.py). Indexes: (county_id, id), (township_id, id), and the villager's own.
CLAIM_LIST_KEYS = (SortKey(Claim.id, int, descending=True),)


def status_filter(value: str | None) -> ClaimStatus | None:
    """The claim list's `status=` filter: a status value, or None (every status) for anything else."""
    return ClaimStatus(value) if value in ClaimStatus._value2member_map_ else None


def claim_list_filter(user: User, *, status: ClaimStatus | None = None) -> ColumnElement[bool]:
    """The claims of the list page as a WHERE clause: the user's scope (staff: no one else's drafts), by status.
    The list page and its exports (claims/reports/exports.py) both read this, so they show the same claims."""
    conditions = [scope_filter(user)]
    if user.role.is_staff:
        conditions.append(staff_draft_filter(user))
    if status is not None:
        conditions.append(Claim.status == status)
    return and_(*conditions)


def claims_for(
    user: User,
    *,
    status: ClaimStatus | None = None,
    after: str | None = None,
    size: int = PAGE_SIZE,
    narrower: Sequence[ColumnElement[bool]] = (),
    regions_and_species: bool = False,
) -> Page[Claim]:
    """The claims a user may see, newest first, one page after the cursor `after`; `narrower` conditions (the API's
    filters) only ever narrow the user's scope. The village comes with each claim; `regions_and_species` (the API's
    list, which names them all) brings the county, the township and the species too, one statement each for the page
    (not one per claim; joined into the page's statement they made it slower on PostgreSQL at a million claims)."""
    loads = [joinedload(Claim.village)]
    if regions_and_species:
        loads += [selectinload(Claim.county), selectinload(Claim.township), selectinload(Claim.species)]
    query = select(Claim).where(claim_list_filter(user, status=status), *narrower).options(*loads)
    return paginate(query, CLAIM_LIST_KEYS, after, size=size, session=db.session)


@dataclass
class FilingOutcome:
    submitted: bool = False
    problems: list[str] = field(default_factory=list)
    photo_problems: list[PhotoProblem] = field(default_factory=list)
    species_warning: str | None = None
    bank_problem: str | None = None  # the bank account was kept: a reason for changing it is missing


def species_warning(claim: Claim) -> str | None:
    """Filing warns, but does not block, when the animal is not covered on the incident date."""
    if claim.species is None or claim.county is None or claim.incident_at is None:
        return None
    day = to_local(claim.incident_at).date()  # type: ignore[union-attr]
    if is_covered(claim.species, claim.county, day):
        return None
    return _(
        "Note: %(species)s is not on a protected list, nor designated by %(county)s, on %(day)s. You can still submit; the township will check.",
        species=claim.species.name_zh,
        county=claim.county.name,
        day=day.isoformat(),
    )
