"""Issued documents (decisions, notices, records, lists) and their gap-free number sequences."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from claims.accounts.models import User
from claims.core.db import UTCDateTime, intpk, str_enum
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake.models import Claim
from claims.regions.models import Region


class Issuer(enum.StrEnum):
    """Who signs: the township government for intake (Hunan Art. 3: 受理), else the county forestry bureau."""

    TOWNSHIP = "township"
    COUNTY = "county"


@dataclass(frozen=True)
class KindInfo:
    title_zh: str  # the document's heading, Chinese by law
    title: Any  # the UI label
    template: str
    prefix_suffix: str  # the default number prefix after the county's short name, e.g. 林补决
    issuer: Issuer
    remedies: bool  # an adverse or final administrative act: the remedy notice is compulsory


class DocumentKind(enum.StrEnum):
    RECEIPT = "receipt"
    CORRECTION = "correction"
    NOT_ACCEPTED = "not_accepted"
    SURVEY_RECORD = "survey_record"
    REFUSAL = "refusal"
    COMPENSATION = "compensation"
    NOTICE_LIST = "notice_list"
    PAYMENT_LIST = "payment_list"
    ADVANCE = "advance"

    @property
    def info(self) -> KindInfo:
        return KINDS[self]

    @property
    def title(self) -> str:
        return str(KINDS[self].title)

    @property
    def setting_key(self) -> str:
        """The county setting that holds this kind's number prefix (claims.regions.settings.SPECS)."""
        return f"doc_prefix_{self.value}"


KINDS: dict[DocumentKind, KindInfo] = {
    DocumentKind.RECEIPT: KindInfo("受理回执", _l("Acceptance receipt"), "pdf/receipt.html", "受", Issuer.TOWNSHIP, False),
    DocumentKind.CORRECTION: KindInfo("补正材料通知书", _l("Correction notice"), "pdf/correction.html", "补正", Issuer.TOWNSHIP, False),
    DocumentKind.NOT_ACCEPTED: KindInfo("不予受理通知书", _l("Notice of non-acceptance"), "pdf/refusal.html", "不受", Issuer.TOWNSHIP, True),
    DocumentKind.SURVEY_RECORD: KindInfo("现场勘查记录", _l("Field survey record"), "pdf/survey_record.html", "林勘", Issuer.COUNTY, False),
    DocumentKind.REFUSAL: KindInfo("不予补偿决定书", _l("Decision not to compensate"), "pdf/refusal.html", "林不补决", Issuer.COUNTY, True),
    DocumentKind.COMPENSATION: KindInfo("补偿决定书", _l("Compensation decision"), "pdf/compensation.html", "林补决", Issuer.COUNTY, True),
    DocumentKind.NOTICE_LIST: KindInfo("补偿公示名单", _l("Public notice list"), "pdf/notice_list.html", "林公示", Issuer.COUNTY, False),
    DocumentKind.PAYMENT_LIST: KindInfo("补偿资金支付清单", _l("Payment list"), "pdf/payment_list.html", "林支付", Issuer.COUNTY, False),
    DocumentKind.ADVANCE: KindInfo("先行支付决定书", _l("Advance payment decision"), "pdf/advance.html", "林先支", Issuer.COUNTY, True),
}


class IssuedDocument(db.Model):
    """One issued PDF: numbered, hashed, stored once and never overwritten.

    A correction is a new row with its own number whose `replaces_id` names the document it replaces;
    the replaced row stays as it was (its verification page then says it was replaced).

    The row is written by the step that issues the document (number, code and data frozen); the PDF is
    rendered and stored by a background job after that step commits. Until then the document is "being
    prepared": no file, hash or size (`stored_at` is null), and the pages say so.
    """

    __tablename__ = "issued_documents"
    __table_args__ = (
        UniqueConstraint("county_id", "kind", "year", "seq"),
        CheckConstraint("seq > 0 AND version > 0 AND size_bytes > 0", name="positive"),
        CheckConstraint("(version = 1) = (replaces_id IS NULL)", name="version_replaces"),
        CheckConstraint(
            "(stored_at IS NULL) = (storage_key IS NULL) AND (stored_at IS NULL) = (sha256 IS NULL) AND (stored_at IS NULL) = (size_bytes IS NULL)",
            name="stored_together",
        ),
        Index("ix_issued_documents_claim_kind", "claim_id", "kind", "id"),
    )

    id: Mapped[intpk]
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    number: Mapped[str] = mapped_column(String(60), unique=True, comment="as printed, e.g. 南林补决〔2026〕12号")
    county_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer, comment="gap-free per county, year and kind")
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), comment="NULL for batch documents (notice list, payment list)")
    subject: Mapped[str | None] = mapped_column(String(100), comment="what a batch document is about, e.g. payment_batch:12")
    version: Mapped[int] = mapped_column(Integer, default=1, comment="1, or one more than the document it replaces")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("issued_documents.id"), unique=True, comment="each document is replaced at most once")
    issuer_name: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True, comment="of the stored PDF bytes; null while being prepared")
    storage_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), comment="when the job stored the PDF; null while it is being prepared")
    signed_by: Mapped[str | None] = mapped_column(String(200), comment="the signing certificate's name; null: not signed")
    signer_certificate_sha256: Mapped[str | None] = mapped_column(String(64), comment="SHA-256 of the signing certificate")
    verification_code: Mapped[str] = mapped_column(String(40), unique=True, comment="random; the QR code's public verification link")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the data the document was rendered from (also attached to the PDF)")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    county: Mapped[Region] = relationship()
    claim: Mapped[Claim | None] = relationship()
    issued_by: Mapped[User | None] = relationship()
    replaces: Mapped[IssuedDocument | None] = relationship(remote_side="IssuedDocument.id", foreign_keys=[replaces_id])

    @property
    def title_zh(self) -> str:
        return self.kind.info.title_zh

    @property
    def verify_path(self) -> str:
        """The public verification page the QR code links to (under PUBLIC_BASE_URL)."""
        return f"/verify/{self.verification_code}"

    @property
    def ready(self) -> bool:
        """The PDF is stored (else the background job is still preparing it)."""
        return self.stored_at is not None


class DocumentSequence(db.Model):
    """The last number given per county, year and document kind (gap-free under concurrent issuing)."""

    __tablename__ = "document_sequences"

    county_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
