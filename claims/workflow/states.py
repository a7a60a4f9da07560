"""A claim's states and the shape of a step between them.

The states carry their presentation (title, badge, next step, who acts). The steps themselves, all of
them, are declared in one table in `claims.lifecycle`, which names the checks and effects of each domain.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from claims.accounts.models import Role

if TYPE_CHECKING:
    from claims.accounts.models import User
    from claims.intake.models import Claim


class ClaimStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    NOT_ACCEPTED = "not_accepted"
    ACCEPTED = "accepted"
    SURVEY_ASSIGNED = "survey_assigned"
    SURVEYED = "surveyed"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    VALUED = "valued"
    REFERRED = "referred"
    INSURER_DECIDED = "insurer_decided"
    IN_NOTICE = "in_notice"
    OBJECTION_REVIEW = "objection_review"
    APPROVED = "approved"
    NOT_COMPENSATED = "not_compensated"
    PAID = "paid"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @property
    def title(self) -> str:
        return str(STATUS_INFO[self].title)

    @property
    def css(self) -> str:
        return STATUS_INFO[self].css

    @property
    def next_step(self) -> str:
        return str(STATUS_INFO[self].next_step)

    @property
    def actor_role(self) -> Role | None:
        return STATUS_INFO[self].actor

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


@dataclass(frozen=True)
class StatusInfo:
    title: Any
    css: str
    next_step: Any
    actor: Role | None


STATUS_INFO: dict[ClaimStatus, StatusInfo] = {
    ClaimStatus.DRAFT: StatusInfo(_l("Draft"), "draft", _l("Finish the form and submit it"), Role.VILLAGER),
    ClaimStatus.SUBMITTED: StatusInfo(_l("Submitted"), "waiting", _l("The township checks the application"), Role.CLERK),
    ClaimStatus.RETURNED: StatusInfo(_l("Returned for correction"), "action", _l("Correct the application and submit it again"), Role.VILLAGER),
    ClaimStatus.NOT_ACCEPTED: StatusInfo(_l("Not accepted"), "refused", _l("None: the application was not accepted"), None),
    ClaimStatus.ACCEPTED: StatusInfo(_l("Accepted"), "waiting", _l("The county assigns surveyors"), Role.OFFICER),
    ClaimStatus.SURVEY_ASSIGNED: StatusInfo(_l("Survey assigned"), "waiting", _l("Forestry officers survey the damage on site"), Role.OFFICER),
    ClaimStatus.SURVEYED: StatusInfo(_l("Surveyed"), "action", _l("The claimant confirms the verified loss"), Role.VILLAGER),
    ClaimStatus.CONFIRMED: StatusInfo(_l("Loss confirmed"), "waiting", _l("The county values the loss"), Role.OFFICER),
    ClaimStatus.DISPUTED: StatusInfo(_l("Loss disputed"), "waiting", _l("Other surveyors survey again"), Role.OFFICER),
    # An insured claim is referred to the insurer by the valuation step itself (insurance.after_valuation): one left
    # valued is uninsured, and waits for the township's public notice.
    ClaimStatus.VALUED: StatusInfo(_l("Valued"), "waiting", _l("Referral to the insurer or public notice"), Role.CLERK),
    ClaimStatus.REFERRED: StatusInfo(_l("Referred to insurer"), "waiting", _l("The insurer assesses the claim"), Role.INSURER),
    ClaimStatus.INSURER_DECIDED: StatusInfo(_l("Insurer decided"), "waiting", _l("Public notice in the village"), Role.CLERK),
    ClaimStatus.IN_NOTICE: StatusInfo(_l("In public notice"), "waiting", _l("The notice period runs; then the county approves"), Role.APPROVER),
    ClaimStatus.OBJECTION_REVIEW: StatusInfo(
        _l("Objection under review"), "waiting", _l("The county reviews the objection raised during the public notice"), Role.APPROVER
    ),
    ClaimStatus.APPROVED: StatusInfo(_l("Approved"), "waiting", _l("Payment to the claimant's bank account"), Role.APPROVER),
    ClaimStatus.NOT_COMPENSATED: StatusInfo(_l("Not compensated"), "refused", _l("None: a decision not to compensate was issued"), None),
    ClaimStatus.PAID: StatusInfo(_l("Paid"), "done", _l("The claim is closed"), None),
    ClaimStatus.CLOSED: StatusInfo(_l("Closed"), "done", _l("None"), None),
    ClaimStatus.WITHDRAWN: StatusInfo(_l("Withdrawn"), "refused", _l("None: the claimant withdrew the claim"), None),
}

FINAL_STATES = frozenset({ClaimStatus.NOT_ACCEPTED, ClaimStatus.NOT_COMPENSATED, ClaimStatus.CLOSED, ClaimStatus.WITHDRAWN})
# Open: on its way, with a deadline (a draft is not yet a claim). A township's overdue list reads them from a partial
# index (migration 0025); the aggregate's deadline rows hold them (migration 0026): a change here needs a migration
# that rebuilds both.
OPEN_STATES = [s for s in ClaimStatus if s not in FINAL_STATES and s != ClaimStatus.DRAFT]
# Valued (and the insurer's decision made, where a policy covers): ready for a township's public notice. A township's
# list of them reads a partial index (migration 0027), in this order.
NOTICE_SOURCES = (ClaimStatus.VALUED, ClaimStatus.INSURER_DECIDED)

Guard = Callable[["Claim", "User", dict[str, Any]], "str | None"]
"""A guard returns None when the step may go ahead, else the (translated) reason it may not."""

Effect = Callable[["Claim", "User", dict[str, Any]], None]
"""Runs inside the transaction just before the state changes (numbering, deadlines, records, ...)."""

Recipients = Callable[["Claim", dict[str, Any]], "list[User]"]
"""Who is told of a step, from the claim and the step's data."""


Mobiles = Callable[["Claim", dict[str, Any]], "list[str]"]
"""Mobile numbers that are not users' (an objector's) to which a step sends a text message."""


@dataclass(frozen=True)
class Notice:
    """What the people concerned read after a step; `text` takes %(number)s and %(status)s.

    A step may tell different people different things: each of its notices has its own `key` (the first none).
    """

    text: Any
    recipients: Recipients
    sms_claimant: bool = False
    key: str = ""
    sms_to: Mobiles | None = None


@dataclass(frozen=True)
class Document:
    """A document a step issues: its kind (a `DocumentKind`) and the builder of its data from the claim."""

    kind: Any
    build: Callable[[Claim], Any]


@dataclass(frozen=True)
class FollowOn:
    """A step to take at once after another (e.g. the referral to the insurer after valuation)."""

    action: str
    data: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


@dataclass(frozen=True)
class Transition:
    action: str
    title: Any
    sources: frozenset[ClaimStatus]
    target: ClaimStatus | None  # None: a step beside the course (an advance), the status unchanged
    roles: frozenset[Role]
    who: Guard | None = None
    guards: tuple[Guard, ...] = ()
    effect: Effect | None = None
    reason_required: bool = False
    notice: Notice | tuple[Notice, ...] | None = None
    documents: tuple[Document, ...] = ()
    then: Callable[[Claim, User], FollowOn | None] | None = None
    # The events other organisations' systems are sent (claims/api/webhooks.py: `WebhookEvent` values).
    webhooks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", frozenset(self.sources))
        object.__setattr__(self, "roles", frozenset(self.roles))

    @property
    def notices(self) -> tuple[Notice, ...]:
        if self.notice is None:
            return ()
        return self.notice if isinstance(self.notice, tuple) else (self.notice,)
