"""Every domain's models, imported once so that the metadata (and Alembic) sees all tables."""

from claims.accounts.models import User  # noqa: F401
from claims.api.models import ApiClient, ApiToken, IdempotentResponse, WebhookDelivery, WebhookEndpoint  # noqa: F401
from claims.approval.models import Approval, BudgetAllocation, Decision, NoticeBatch, NoticeEntry, Objection, Payment, PaymentBatch, Settlement  # noqa: F401
from claims.core.jobs import Job  # noqa: F401
from claims.core.pagecache import DataStamp  # noqa: F401
from claims.documents.models import DocumentSequence, IssuedDocument  # noqa: F401
from claims.insurance.models import InsurancePolicy, Insurer, InsurerMember, LedgerEntry, Referral, Split  # noqa: F401
from claims.intake.models import Claim, ClaimSequence, FormStash, LossLine, Photo  # noqa: F401
from claims.regions.models import (  # noqa: F401
    CalendarDay,
    CountyDesignation,
    CountySetting,
    Region,
    Species,
    SpeciesListing,
    TimeLimit,
)
from claims.reports.models import ClaimFigure, DeadlineFigure, RefusalFigure, ReportBucket, SurveyFigure  # noqa: F401
from claims.survey.models import ClaimantConfirmation, ConflictDeclaration, FieldSurvey, Incident, IncidentClaim, SurveyAssignment, VerifiedLoss  # noqa: F401
from claims.valuation.models import BaseIncome, ClaimValuation, CompensationSchedule, ReferencePrice, ValuationAdjustment  # noqa: F401
from claims.workflow.models import AuditEvent, AuditHead, Notification, OutboxMessage  # noqa: F401  # noqa: F401
