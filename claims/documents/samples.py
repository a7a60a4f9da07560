"""Sample documents for a county to review before going live (`flask documents samples OUTDIR`).

Everything happens in a throw-away instance: a temporary SQLite database built by the real migrations and
the demo data, a temporary upload folder and jobs run in this process. Claims are taken through the real
steps (filing, intake review, survey, confirmation, valuation, the insurer, the public notice, approval and
a payment batch), each step issuing its documents as in production; the app's own database and storage are
never opened. Among the claims: a claimant whose name has a CJK Extension B character, a long bank branch
name, and enough claims for a notice list and a payment list that run over several pages.
"""

from __future__ import annotations

import io
import random
import re
import secrets
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import select

import claims
from claims.accounts.models import User
from claims.accounts.services import find_user
from claims.approval import operations as approval
from claims.approval import payments
from claims.core import time as clock
from claims.core.time import to_local, utcnow
from claims.demo import load_demo
from claims.documents.keys import ensure_trial_keys
from claims.documents.models import DocumentKind, IssuedDocument
from claims.documents.services import document_bytes
from claims.extensions import db
from claims.insurance.models import InsurerDecision
from claims.insurance.operations import decide_as_insurer
from claims.intake import review
from claims.intake.models import Claim, LossCategory
from claims.intake.operations import save_filing
from claims.intake.services import ClaimInput, LossInput, PhotoUpload, start_draft
from claims.regions.admin_services import set_county_setting
from claims.regions.models import Region, Species
from claims.survey.models import ConfirmationMethod, SurveyOutcome
from claims.survey.operations import assign_surveyors, record_confirmation, record_survey
from claims.survey.services import ConfirmationInput, SurveyInput, VerifiedLineInput
from claims.valuation.operations import value_claim_step
from claims.valuation.services import compute_valuation

RARE_NAME = "王𠀀"  # 𠀀 U+20000, CJK Extension B: a real name character that common fonts lack
LONG_BANK = "中国农业银行股份有限公司南县三仙湖支行"
LIST_ROWS = 70
SAMPLE_COUNTIES = ("430921", "430224")  # 南县 (insured) and 茶陵县 (uninsured)
CERTIFICATES = "trial-signing-certificates.pem"


@dataclass(frozen=True)
class County:
    """A demo county: where its claims are filed and who works them."""

    village: str
    clerk: str
    officers: tuple[str, str]
    approver: str


NAN = County("430921128243", "clerk", ("officer", "officer2"), "approver")  # insured: valued claims go to the insurer
CHALING = County("430224113203", "clerk_cl", ("officer_cl", "officer_cl2"), "approver_cl")  # uninsured


@dataclass(frozen=True)
class Sample:
    kind: DocumentKind
    number: str
    pages: int
    size: int
    path: Path


def write_samples(outdir: Path, *, rows: int = LIST_ROWS, public_base_url: str | None = None) -> list[Sample]:
    """Issue one document of every kind in a throw-away instance and copy each PDF to `outdir/<kind>.pdf`."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="claims-samples-") as work, _frozen_clock():
        app = _throwaway_app(Path(work), public_base_url)
        with app.app_context():
            try:
                _migrate_and_load()
                ensure_trial_keys([SAMPLE_COUNTIES[0], SAMPLE_COUNTIES[1]])
                _issue_every_kind(rows)
                samples = [_copy(document, outdir) for document in _latest_of_each_kind()]
                _copy_certificates(Path(app.config["DOCUMENT_KEYS_DIR"]), outdir)
                return samples
            finally:
                db.session.remove()
                db.engine.dispose()


def _throwaway_app(work: Path, public_base_url: str | None) -> Flask:
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'samples.db'}",
        "UPLOAD_FOLDER": str(work / "uploads"),
        "INSTANCE_PATH": str(work / "instance"),
        "STORAGE_URL": None,
        "REDIS_URL": None,  # the documents' jobs run in this process after each commit
        "SMS_BACKEND": "console",
        "SMS_CONSOLE_FILE": str(work / "sms.log"),
        "SECRET_KEY": secrets.token_hex(32),
        "FIELD_ENCRYPTION_KEY": secrets.token_hex(32),
        "RATELIMIT_STORAGE_URI": "memory://",
        # Trial keys made for the samples: every sample is signed, as in production (never unsigned for want of a key).
        "DOCUMENT_KEYS_DIR": str(work / "document-keys"),
        "DOCUMENT_SIGNING_REQUIRED": True,
    }
    if public_base_url:
        config["PUBLIC_BASE_URL"] = public_base_url
    return claims.create_app(config)  # read at call time: the package imports the CLI, which imports this module


def _migrate_and_load() -> None:
    upgrade(revision="heads")
    load_demo()
    db.session.commit()


@contextmanager
def _frozen_clock() -> Iterator[None]:
    """The clock moves on by hand (the notice period passes); it is let go afterwards."""
    clock.freeze(utcnow())
    try:
        yield
    finally:
        clock.freeze(None)


# --- the claims ------------------------------------------------------------------------------------------


def _issue_every_kind(rows: int) -> None:
    """Correction notice, non-acceptance, refusal (with its receipt and survey record) and a notice list in 南县;
    in 茶陵县 `rows` claims on one notice list, approved (compensation decisions) and paid in one batch, and an
    advance on an injury."""
    returned = _file(NAN, seed=1)
    review.return_claim(returned, ["photos", "bank_account"], "照片看不清，请补拍受损农作物全景。", actor=_user(NAN.officers[0]))
    db.session.commit()
    refused = _file(NAN, seed=2)
    review.refuse_intake(refused, ["late_report"], "超过申请期限。", actor=_user(NAN.officers[0]))
    db.session.commit()
    _through_survey(_file(NAN, seed=3), NAN, SurveyOutcome.NOT_COMPENSATED)
    insured = _valued(_file(NAN, seed=4), NAN)
    decide_as_insurer(insured, InsurerDecision.ACCEPT, actor=_user("insurer"))
    db.session.commit()
    approval.create_notice_batch(insured.township, [insured], clock.local_today(), actor=_user(NAN.clerk))
    db.session.commit()
    _noticed_approved_paid([_valued(_file(CHALING, seed=10 + n), CHALING) for n in range(rows)], CHALING)
    _advanced(CHALING)


def _advanced(county: County) -> None:
    """An injury in a county that advances a fixed 2,000 yuan: accepted, its advance requested and approved."""
    set_county_setting(_region("430224"), "advance_fixed", "2000", clock.local_today(), "先行支付", actor=_user("admin"))
    bite = LossInput(LossCategory.INJURY, "左小腿咬伤", hospital_days=12, medical_costs=Decimal("10000.00"))
    claim = _file(county, seed=9, losses=[bite])
    review.accept_claim(claim, actor=_user(county.officers[0]))
    approval.request_advance(claim, actor=_user(county.officers[0]))
    approval.approve_advance(claim, actor=_user(county.approver))
    db.session.commit()


def _noticed_approved_paid(claims: list[Claim], county: County) -> None:
    approval.create_notice_batch(claims[0].township, claims, clock.local_today(), actor=_user(county.clerk))
    db.session.commit()
    clock.freeze(utcnow() + timedelta(days=8))  # past the public notice period
    for claim in claims:
        approval.approve(claim, actor=_user(county.approver))
        db.session.commit()
    batch = payments.create_batch(claims[0].county, actor=_user(county.approver))
    payments.export_csv(batch, actor=_user(county.approver))
    db.session.commit()


def _file(county: County, *, seed: int, losses: list[LossInput] | None = None) -> Claim:
    """A claim the township clerk files for a villager without an account; the first claim of a county carries
    the rare character and the long bank name."""
    clerk = _user(county.clerk)
    village = _region(county.village)
    incident = utcnow() - timedelta(days=1)
    first = seed in (1, 10)
    data = ClaimInput(
        claimant_name=RARE_NAME if first else _name(seed),
        claimant_id_number=resident_id(seed),
        claimant_mobile=f"137{seed:08d}",
        claimant_address=f"{village.name}{seed % 9 + 1}组{seed}号",
        bank_name=LONG_BANK if first else "湖南农村信用社",
        bank_account=f"62179955{seed:011d}",
        county_id=village.parent.parent_id,  # type: ignore[union-attr]
        township_id=village.parent_id,
        village_id=village.id,
        incident_at=incident,
        discovered_on=to_local(incident).date(),
        species_id=db.session.execute(select(Species.id).where(Species.code == "wild_boar")).scalar_one(),
        description="夜里野猪进田，水稻被拱倒吃掉一大片，鸡舍被拱开。",
        declaration=True,
        losses=losses or [LossInput(LossCategory.CROP, "水稻", Decimal("2.5"), "mu"), LossInput(LossCategory.POULTRY, "鸡", Decimal("3"), "bird")],
    )
    claim = start_draft(actor=clerk, submission_key=f"samples-{seed}", for_self=False)
    outcome = save_filing(claim, data, [PhotoUpload(photo(seed), "damage.jpg")], actor=clerk, submit=True, form_ok=True)
    if not outcome.submitted:
        raise RuntimeError(f"sample claim {seed} was not filed: {outcome.problems}")
    db.session.commit()
    return claim


def _through_survey(claim: Claim, county: County, outcome: SurveyOutcome = SurveyOutcome.ELIGIBLE) -> Claim:
    first, second = (_user(login) for login in county.officers)
    review.accept_claim(claim, actor=first)  # the clerk filed it: a county officer takes it in
    db.session.commit()
    assign_surveyors(claim, [first, second], actor=first)
    db.session.commit()
    extra: dict[str, Any] = {}
    if outcome == SurveyOutcome.NOT_COMPENSATED:
        extra = {"exclusions": ["livestock_unpenned", "no_prevention"], "explanation": "鸡未圈养，田块未采取任何防护措施。"}
    survey = SurveyInput(
        visited_at=utcnow() - timedelta(hours=2),
        surveyors_present=f"{first.name}、{second.name}",
        claimant_present=True,
        outcome=outcome,
        evidence=["tracks", "droppings"],
        in_designated_area=True,
        gps_lat=29.36,
        gps_lon=112.41,
        gps_accuracy_m=8,
        lines=[VerifiedLineInput(line.id, line.quantity, 80, "成熟期") for line in claim.losses],
        **extra,
    )
    record_survey(claim, survey, [PhotoUpload(photo(1000 + claim.id), "survey.jpg")], actor=second)
    db.session.commit()
    return claim


def _valued(claim: Claim, county: County) -> Claim:
    _through_survey(claim, county)
    scan = PhotoUpload(photo(2000 + claim.id), "confirmation.jpg")
    record_confirmation(claim, ConfirmationInput(True, ConfirmationMethod.PAPER, paper_scan=scan, attested=True), actor=_user(county.clerk))
    db.session.commit()
    first = _user(county.officers[0])
    compute_valuation(claim, actor=first)
    value_claim_step(claim, actor=first)
    db.session.commit()
    return claim


# --- demo values -----------------------------------------------------------------------------------------

_SURNAMES = "张李王刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
_GIVEN = "建国秀英明华志强桂兰玉梅海燕春生德福小红"


def _name(seed: int) -> str:
    return _SURNAMES[seed % len(_SURNAMES)] + _GIVEN[(seed * 7) % len(_GIVEN)] + _GIVEN[(seed * 3 + 1) % len(_GIVEN)]


def resident_id(seed: int) -> str:
    """A resident ID of the demo (region 430921, born 1965) with its GB 11643 check character."""
    body = f"430921196503{seed % 28 + 1:02d}{seed % 1000:03d}"
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(body))
    return body + "10X98765432"[total % 11]


def photo(seed: int) -> bytes:
    """A JPEG like a phone photo: smooth colour fields and grain, different for every seed."""
    rng = random.Random(seed)  # demo pixels, not a secret
    coarse = Image.new("RGB", (8, 6))
    coarse.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(48)])
    base = coarse.resize((400, 300), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((400, 300), 24).convert("RGB")
    buffer = io.BytesIO()
    Image.blend(base, grain, 0.15).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _user(login: str) -> User:
    user = find_user(login)
    if user is None:
        raise RuntimeError(f"demo user {login} missing")
    return user


def _region(code: str) -> Region:
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one()


# --- the files -------------------------------------------------------------------------------------------


def _latest_of_each_kind() -> list[IssuedDocument]:
    """The latest stored document of each kind, the rare-character claimant's own where there is one."""
    documents = db.session.execute(select(IssuedDocument).where(IssuedDocument.stored_at.is_not(None)).order_by(IssuedDocument.id)).scalars()
    latest: dict[DocumentKind, IssuedDocument] = {}
    for document in documents:
        if document.kind not in latest or _rare(document) or not _rare(latest[document.kind]):
            latest[document.kind] = document
    missing = [kind.value for kind in DocumentKind if kind not in latest]
    if missing:
        raise RuntimeError(f"no stored sample of: {', '.join(missing)}")
    return [latest[kind] for kind in DocumentKind]


def page_count(body: bytes) -> int:
    """The page tree's /Count, read from the file and from its deflated streams (pydyf packs objects in streams)."""
    chunks = [body]
    for match in re.finditer(rb"stream\r?\n", body):
        try:
            chunks.append(zlib.decompressobj().decompress(body[match.end() : match.end() + 4_000_000]))
        except zlib.error:
            continue
    for chunk in chunks:
        for tree in re.finditer(rb"<<[^<>]*/Type\s*/Pages\b[^<>]*>>", chunk):
            count = re.search(rb"/Count\s+(\d+)", tree.group())
            if count:
                return int(count.group(1))
    raise ValueError("no page tree found")


def _rare(document: IssuedDocument) -> bool:
    return document.claim is not None and document.claim.claimant_name == RARE_NAME


def _copy_certificates(keys: Path, outdir: Path) -> None:
    """The trial keys' certificates, for checking the samples' signatures (a PDF reader that is told to trust them, or
    `flask documents verify` with them in DOCUMENT_KEYS_DIR). The keys themselves stay in the throw-away instance."""
    certificates = b"".join(path.read_bytes() for path in sorted(keys.glob("*.cert.pem")))
    (outdir / CERTIFICATES).write_bytes(certificates)


def _copy(document: IssuedDocument, outdir: Path) -> Sample:
    body = document_bytes(document)
    path = outdir / f"{document.kind.value}.pdf"
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(body)
    shutil.move(partial, path)
    return Sample(document.kind, document.number, page_count(body), len(body), path)
