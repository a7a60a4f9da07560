"""A claim's whole life in one table: every step, who takes it, what must hold, what it changes and what follows.

Read `TRANSITIONS` top to bottom and you have the lifecycle (docs/workflow.md draws it, generated from this
table by `make docs`). Each row names:

- the states the step starts from and the one it leads to, and the roles that may take it;
- `who`: a check on the person alone (the assigned surveyor, the filer): pages offer the step only when it passes;
- `guards`: checks on what was entered (each returns the reason it fails, in the user's language);
- `effect`: what the step writes besides the state (deadlines, the survey record, the split, ...);
- `notice`: who is told, and whether the claimant gets a text message;
- `documents`: the documents issued, each built from the claim by its domain's builder;
- `then`: a step that may follow at once (a valued claim goes to its insurer when a policy covers it);
- `webhooks`: the events sent to the systems of other organisations that subscribed and may see the claim.

The checks and effects live in their domains (`claims.<domain>.steps` and services) and are named here.
`apply_transition` is the only code that changes `Claim.status`; the domains' operations call it, and the
pages ask `available_actions` which steps to offer. Everything a step causes is called from here, in order,
in the step's own transaction: the state, the audit event, the notices, the documents, the follow-on step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from claims.accounts.models import Role, User
from claims.api import webhooks
from claims.api.models import WebhookEvent
from claims.approval import documents as award_documents
from claims.approval import steps as approval
from claims.approval.advances import ADVANCE_SOURCES, APPROVAL_SOURCES
from claims.documents import builders
from claims.documents.models import DocumentKind
from claims.documents.services import issue_document
from claims.extensions import db
from claims.insurance import steps as insurance
from claims.insurance.models import InsurancePolicy, Split
from claims.insurance.services import policy_for
from claims.intake import steps as intake
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim
from claims.regions.models import LimitKind
from claims.regions.services import DEFAULT_LIMITS
from claims.regions.settings import SPECS
from claims.reports.figures import bucket_of, counted_once, refresh_claim
from claims.survey import steps as survey
from claims.survey.permissions import declaration_problem
from claims.valuation import steps as valuation
from claims.workflow.audit import lock_chain, record_event
from claims.workflow.locks import holds_claim, note_claim_held
from claims.workflow.models import AuditEvent, Notification
from claims.workflow.services import ClaimChanged, WorkflowError
from claims.workflow.sms import queue_sms
from claims.workflow.stages import enter_stage
from claims.workflow.states import ClaimStatus as S
from claims.workflow.states import Document, Notice, Recipients, Transition


# Who hears of a step ------------------------------------------------------------------------------
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


def clerks_and_officers_if_a_clerk_filed(claim: Claim, data: dict[str, Any]) -> list[User]:
    """A claim a clerk filed, or rewrote and submitted again, is accepted by another clerk of the township or by a county
    officer: all hear of it."""
    clerks = township_clerks(claim, data)
    by_clerk = Role.CLERK in (claim.filed_by.role, claim.submitted_by.role if claim.submitted_by else None)
    return clerks + county_officers(claim, data) if by_clerk else clerks


def clerks_if_submitted(claim: Claim, data: dict[str, Any]) -> list[User]:
    """A draft withdrawn before it was ever submitted concerns nobody but its filer."""
    return township_clerks(claim, data) if claim.number else []


def also_texted(claim: Claim, data: dict[str, Any]) -> list[str]:
    """The mobile numbers an event names besides the claimant's (the one a change replaced)."""
    return list(data.get("also_texted", []))


def nobody(claim: Claim, data: dict[str, Any]) -> list[User]:
    """For a notice that only goes out by text message (to an objector who has no account)."""
    return []


def reviewers(claim: Claim, data: dict[str, Any]) -> list[User]:
    """The county's officers and approvers who may review an objection to the claim (no parties to it)."""
    staff = county_officers(claim, data) + county_approvers(claim, data)
    return [user for user in staff if approval.may_review(claim, user, data) is None]


def other_approvers(claim: Claim, data: dict[str, Any]) -> list[User]:
    """The county's approvers who may still approve (no parties, no approval in this round yet)."""
    may_approve = (approval.not_a_party, approval.not_approved_yet)
    return [user for user in county_approvers(claim, data) if all(check(claim, user, data) is None for check in may_approve)]


def county_staff_of_the_objection(claim: Claim, data: dict[str, Any]) -> list[User]:
    """The clerk who recorded the objection (who tells the objector in the village)."""
    objection = data.get("objection")
    return [objection.recorded_by] if objection is not None and objection.recorded_by is not None else []


def advance_requester(claim: Claim, data: dict[str, Any]) -> list[User]:
    """Who asked for the advance, when not told already as a clerk of the township (a county officer), still active
    and still allowed to see the claim."""
    requester = data.get("advance_requested_by")
    if requester is None or not requester.active or not can_view_claim(requester, claim):
        return []
    return [] if requester.role == Role.CLERK and requester.region_id == claim.township_id else [requester]  # told as a clerk


def objector_mobile(claim: Claim, data: dict[str, Any]) -> list[str]:
    objection = data.get("objection")
    return [objection.objector_mobile] if objection is not None and objection.objector_mobile else []


def clerks_unless_insured(claim: Claim, data: dict[str, Any]) -> list[User]:
    """A valued claim that no policy covers goes on notice next (an insured one goes to its insurer first)."""
    return [] if policy_for(claim) is not None else township_clerks(claim, data)


def insurer_if_it_pays(claim: Claim, data: dict[str, Any]) -> list[User]:
    split = db.session.get(Split, claim.id)
    if split is None or split.insurer_share <= 0 or split.policy_id is None:
        return []
    return insurance.policy_adjusters(claim, {"policy": db.session.get(InsurancePolicy, split.policy_id)})


def both(*parts: Recipients) -> Recipients:
    def combined(claim: Claim, data: dict[str, Any]) -> list[User]:
        seen: dict[int, User] = {}
        for part in parts:
            for user in part(claim, data):
                seen.setdefault(user.id, user)
        return list(seen.values())

    combined.__qualname__ = " + ".join(part.__qualname__ for part in parts)
    return combined


# The table ----------------------------------------------------------------------------------------
FILERS = frozenset({Role.VILLAGER, Role.CLERK})
CLERK = frozenset({Role.CLERK})
INTAKE = frozenset({Role.CLERK, Role.OFFICER})  # a claim a clerk filed is taken in by another clerk or a county officer
OFFICER = frozenset({Role.OFFICER})
CONFIRMERS = frozenset({Role.OFFICER, Role.CLERK, Role.VILLAGER})
INSURER = frozenset({Role.INSURER})
APPROVER = frozenset({Role.APPROVER})
PAYERS = frozenset({Role.APPROVER, Role.INSURER})
REVIEWERS = frozenset({Role.OFFICER, Role.APPROVER})


def _told_of_finding(outcome: Any, objector: Any) -> tuple[Notice, Notice]:
    """The claimant and the clerk who recorded the objection read the outcome; the objector gets it by text message."""
    return (
        Notice(outcome, both(claimant, county_staff_of_the_objection), sms_claimant=True, key="claimant"),
        Notice(objector, nobody, key="objector", sms_to=objector_mobile),
    )


def _survey_refused(claim: Claim, actor: User, data: dict[str, Any]) -> None:
    """The survey's refusal, and what it means for an advance on the claim (approval.steps.on_refused_advance)."""
    survey.on_survey_refused(claim, actor, data)
    approval.on_refused_advance(claim, actor, data)


# [design] Non-acceptance gets its own heading and number series (不予受理通知书) but the refusal
# template: it is an adverse act like a refusal to compensate, states every reason and the remedies.
_TABLE = (
    # Filing (claims.intake) ---------------------------------------------------------------------
    Transition(
        "submit", _l("Submit"), {S.DRAFT}, S.SUBMITTED, FILERS,
        guards=(intake.submission_complete,), effect=intake.prepare_for_intake,
        notice=Notice(_l("Claim %(number)s was submitted and waits for intake."), clerks_and_officers_if_a_clerk_filed),
    ),
    Transition(
        "resubmit", _l("Submit again"), {S.RETURNED}, S.SUBMITTED, FILERS,
        guards=(intake.submission_complete,), effect=intake.prepare_for_intake,
        notice=Notice(_l("Claim %(number)s was corrected and submitted again."), clerks_and_officers_if_a_clerk_filed),
    ),
    Transition(
        "withdraw", _l("Withdraw"), {S.DRAFT, S.SUBMITTED, S.RETURNED}, S.WITHDRAWN, FILERS,
        who=intake.may_withdraw,
        notice=Notice(_l("Claim %(number)s was withdrawn."), clerks_if_submitted),
    ),
    # Intake by the township (claims.intake) ---------------------------------------------------------
    Transition(
        "accept", _l("Accept"), {S.SUBMITTED}, S.ACCEPTED, INTAKE,
        who=intake.not_the_filer, guards=(intake.not_kin,), effect=intake.on_accept,
        notice=Notice(_l("Claim %(number)s was accepted; the county will survey the damage."), both(claimant, county_officers), sms_claimant=True),
        documents=(Document(DocumentKind.RECEIPT, builders.receipt_data),),
    ),
    Transition(
        "return", _l("Return for correction"), {S.SUBMITTED}, S.RETURNED, INTAKE,
        who=intake.not_the_filer, guards=(intake.not_kin, intake.needs_items), effect=intake.on_return,
        notice=Notice(_l("Claim %(number)s needs correction: please look at what is missing and submit it again."), claimant, sms_claimant=True),
        documents=(Document(DocumentKind.CORRECTION, builders.correction_data),),
    ),
    Transition(
        "not_accept", _l("Do not accept"), {S.SUBMITTED}, S.NOT_ACCEPTED, INTAKE,
        who=intake.not_the_filer, guards=(intake.not_kin, intake.needs_reasons), effect=intake.on_not_accept, reason_required=True,
        notice=Notice(_l("Claim %(number)s was not accepted. The reasons are on the claim page."), claimant, sms_claimant=True),
        documents=(Document(DocumentKind.NOT_ACCEPTED, builders.refusal_data),),
    ),
    Transition(
        "lapse", _l("Do not accept: not corrected in time"), {S.RETURNED}, S.NOT_ACCEPTED, INTAKE,
        who=intake.may_lapse, guards=(intake.not_kin,), effect=intake.on_lapse,
        notice=Notice(
            _l("Claim %(number)s was not accepted: it was not corrected by the deadline. The notice is on the claim page."), claimant, sms_claimant=True
        ),
        documents=(Document(DocumentKind.NOT_ACCEPTED, builders.refusal_data),),
    ),
    # Field survey and the claimant's confirmation (claims.survey) ----------------------------------
    Transition(
        "assign_survey", _l("Assign surveyors"), {S.ACCEPTED, S.DISPUTED}, S.SURVEY_ASSIGNED, OFFICER,
        guards=(survey.no_conflict, survey.surveyors_ok), effect=survey.on_assign,
        notice=(
            Notice(_l("Claim %(number)s: you are assigned to survey the damage on site."), assigned_surveyors),
            Notice(
                _l("Claim %(number)s: forestry officers will come to survey the damage; they will call you first."), claimant, sms_claimant=True, key="claimant"
            ),
        ),
    ),
    Transition(
        "survey_eligible", _l("Record the survey"), {S.SURVEY_ASSIGNED}, S.SURVEYED, OFFICER,
        who=survey.assigned_surveyor, guards=(survey.no_conflict, survey.lines_complete), effect=survey.on_surveyed,
        notice=Notice(_l("Claim %(number)s was surveyed: please confirm or dispute the verified loss."), both(claimant, township_clerks), sms_claimant=True),
        documents=(Document(DocumentKind.SURVEY_RECORD, builders.survey_record_of),),
    ),
    Transition(
        "survey_refused", _l("Record the survey: not compensable"), {S.SURVEY_ASSIGNED}, S.NOT_COMPENSATED, OFFICER,
        who=survey.assigned_surveyor, guards=(survey.no_conflict, survey.lines_complete, survey.refusal_reasons), effect=_survey_refused,
        notice=Notice(_l("Claim %(number)s: the survey found that it cannot be compensated. The reasons are on the claim page."), claimant, sms_claimant=True),
        documents=(Document(DocumentKind.SURVEY_RECORD, builders.survey_record_of), Document(DocumentKind.REFUSAL, award_documents.survey_refusal)),
    ),
    Transition(
        "confirm", _l("Confirm the verified loss"), {S.SURVEYED}, S.CONFIRMED, CONFIRMERS,
        guards=(survey.confirmer_ok,), effect=survey.on_confirmation,
        notice=(
            Notice(_l("Claim %(number)s: the claimant confirmed the verified loss."), county_officers),
            Notice(
                _l("Claim %(number)s: your confirmation of the verified loss was recorded; the county values it next."),
                claimant, sms_claimant=True, key="claimant",
            ),
        ),
    ),
    Transition(
        "dispute", _l("Dispute the verified loss"), {S.SURVEYED}, S.DISPUTED, CONFIRMERS,
        guards=(survey.confirmer_ok,), effect=survey.on_confirmation,
        notice=(
            Notice(_l("Claim %(number)s: the claimant disputes the verified loss; assign a second survey."), county_officers),
            Notice(
                _l("Claim %(number)s: your dispute of the verified loss was recorded; other surveyors will survey again."),
                claimant, sms_claimant=True, key="claimant",
            ),
        ),
    ),
    # Valuation (claims.valuation) and the insurer (claims.insurance) --------------------------------
    Transition(
        "value", _l("Submit the valuation"), {S.CONFIRMED}, S.VALUED, OFFICER,
        who=valuation.may_value, guards=(valuation.valuation_ready, valuation.adjustments_countersigned), effect=valuation.freeze_valuation,
        notice=(
            Notice(_l("Claim %(number)s was valued. The amount, line by line, is on the claim page."), claimant),
            Notice(_l("Claim %(number)s was valued: put it on public notice."), clerks_unless_insured, key="clerks"),
        ),
        then=insurance.after_valuation,
    ),
    Transition(
        "refer", _l("Refer to the insurer"), {S.VALUED}, S.REFERRED, OFFICER,
        effect=insurance.on_refer,
        notice=Notice(_l("Claim %(number)s was referred to your company for assessment."), insurance.policy_adjusters),
        webhooks=(WebhookEvent.REFERRAL_CREATED,),
    ),
    Transition(
        "insurer_decide", _l("Insurer's decision"), {S.REFERRED}, S.INSURER_DECIDED, INSURER,
        who=insurance.is_insurers, effect=insurance.on_insurer_decision,
        notice=Notice(_l("Claim %(number)s: the insurer has decided; put the claim on public notice."), both(township_clerks, county_officers)),
    ),
    # Public notice, approval and payment (claims.approval) -----------------------------------------
    Transition(
        "start_notice", _l("Put on public notice"), {S.VALUED, S.INSURER_DECIDED}, S.IN_NOTICE, CLERK,
        guards=(approval.has_split,), effect=approval.on_notice,
        notice=Notice(_l("Claim %(number)s is on public notice in the village; approval follows when the notice has run."), both(claimant, county_approvers)),
    ),
    Transition(
        "objection", _l("Record an objection"), {S.IN_NOTICE}, S.OBJECTION_REVIEW, CLERK,
        effect=approval.on_objection, reason_required=True,
        notice=(
            Notice(_l("Claim %(number)s: an objection was raised during the public notice; review it."), reviewers),
            Notice(
                _l("Claim %(number)s: an objection was raised during the public notice; the county reviews it and tells you the outcome."),
                claimant, sms_claimant=True, key="claimant",
            ),
        ),
        webhooks=(WebhookEvent.OBJECTION_RAISED,),
    ),
    # The county's review of an objection (claims.approval): upheld, the claim is surveyed or valued again and goes
    # on a new notice; not upheld, it returns to its notice (and to approval once the notice has run).
    Transition(
        "uphold_objection_survey", _l("Uphold the objection: survey again"), {S.OBJECTION_REVIEW}, S.ACCEPTED, REVIEWERS,
        who=approval.may_review, effect=approval.on_objection_upheld, reason_required=True,
        notice=(
            Notice(_l("Claim %(number)s: the objection was upheld; assign surveyors for a new survey."), county_officers, key="officers"),
            *_told_of_finding(
                _l("Claim %(number)s: the objection raised during the public notice was upheld; the damage will be surveyed again."),
                _l("Your objection to claim %(number)s was upheld: the damage will be surveyed again and the claim put on a new notice."),
            ),
        ),
    ),
    Transition(
        "uphold_objection_value", _l("Uphold the objection: value again"), {S.OBJECTION_REVIEW}, S.CONFIRMED, REVIEWERS,
        who=approval.may_review, effect=approval.on_objection_upheld, reason_required=True,
        notice=(
            Notice(_l("Claim %(number)s: the objection was upheld; value the loss again."), county_officers, key="officers"),
            *_told_of_finding(
                _l("Claim %(number)s: the objection raised during the public notice was upheld; the loss will be valued again."),
                _l("Your objection to claim %(number)s was upheld: the loss will be valued again and the claim put on a new notice."),
            ),
        ),
    ),
    Transition(
        "dismiss_objection", _l("Do not uphold the objection"), {S.OBJECTION_REVIEW}, S.IN_NOTICE, REVIEWERS,
        who=approval.may_review, effect=approval.on_objection_dismissed, reason_required=True,
        notice=(
            Notice(_l("Claim %(number)s: the objection was not upheld; approval follows when the notice has run."), county_approvers, key="approvers"),
            *_told_of_finding(
                _l("Claim %(number)s: the objection raised during the public notice was not upheld; the claim goes on to approval."),
                _l("Your objection to claim %(number)s was not upheld. The reasons can be read at the township."),
            ),
        ),
    ),
    Transition(
        "approve", _l("Approve"), {S.IN_NOTICE}, S.APPROVED, APPROVER,
        who=approval.not_approved_yet, guards=(approval.notice_over, approval.not_a_party, approval.second_approver, approval.advance_not_failed),
        effect=approval.on_approve,
        notice=(
            Notice(_l("Claim %(number)s was approved; payment follows."), both(claimant, township_clerks, county_approvers), sms_claimant=True),
            Notice(_l("Claim %(number)s was approved: your company pays its share as the decision says."), insurer_if_it_pays, key="insurer"),
        ),
        documents=(Document(DocumentKind.COMPENSATION, award_documents.compensation_decision),),
        webhooks=(WebhookEvent.CLAIM_APPROVED, WebhookEvent.PAYMENT_DUE),
    ),
    Transition(
        "refuse_award", _l("Refuse"), {S.IN_NOTICE}, S.NOT_COMPENSATED, APPROVER,
        guards=(approval.notice_over, approval.not_a_party), effect=approval.on_refuse, reason_required=True,
        notice=Notice(_l("Claim %(number)s: the county decided not to compensate. The reasons are on the claim page."), claimant, sms_claimant=True),
        documents=(Document(DocumentKind.REFUSAL, award_documents.award_refusal),),
    ),
    Transition(
        "pay", _l("Mark as paid"), {S.APPROVED}, S.PAID, PAYERS,
        notice=Notice(_l("Claim %(number)s has been paid into your bank account."), claimant, sms_claimant=True),
    ),
    Transition("close", _l("Close"), {S.PAID}, S.CLOSED, PAYERS, effect=approval.on_close),
    # The advance on injury and death (claims.approval.advances): beside the claim's course, its status unchanged; one
    # approver, no public notice, its own decision; paid in an advance batch and deducted by the `approve` step.
    Transition(
        "request_advance", _l("Request an advance"), ADVANCE_SOURCES, None, INTAKE,
        who=intake.not_kin, guards=(approval.advance_possible,), effect=approval.on_request_advance,
        notice=Notice(_l("Claim %(number)s: an advance of %(amount)s yuan is requested; please decide by %(due)s."), county_approvers),
    ),
    Transition(
        "approve_advance", _l("Approve the advance"), APPROVAL_SOURCES, None, APPROVER,
        who=approval.not_a_party, guards=(approval.advance_waiting, approval.has_bank_account), effect=approval.on_approve_advance,
        notice=(
            Notice(
                _l("Claim %(number)s: an advance of %(amount)s yuan was approved; it is paid into your bank account."),
                both(claimant, township_clerks), sms_claimant=True,
            ),
            Notice(_l("Claim %(number)s: the advance of %(amount)s yuan you requested was approved."), advance_requester, key="requester"),
        ),
        documents=(Document(DocumentKind.ADVANCE, award_documents.advance_decision),),
    ),
    Transition(
        "refuse_advance", _l("Refuse the advance"), APPROVAL_SOURCES, None, APPROVER,
        who=approval.not_a_party, guards=(approval.advance_waiting,), effect=approval.on_refuse_advance, reason_required=True,
        notice=(
            Notice(
                _l("Claim %(number)s: the advance of %(amount)s yuan was not approved (%(reason)s). The claim goes on as before."),
                both(claimant, township_clerks), sms_claimant=True,
            ),
            Notice(
                _l("Claim %(number)s: the advance of %(amount)s yuan you requested was not approved (%(reason)s)."), advance_requester, key="requester"
            ),
        ),
    ),
)  # fmt: skip

TRANSITIONS: dict[str, Transition] = {t.action: t for t in _TABLE}

# Events that are not steps of the lifecycle but still concern someone.
EVENT_NOTICES: dict[str, Notice] = {
    "payment_failed": Notice(
        _l("Claim %(number)s: the bank could not pay. Please check and correct the bank account."), both(township_clerks, claimant), sms_claimant=True
    ),
    "countersign_needed": Notice(
        _l("Claim %(number)s: a valuation line was raised above the schedule's figure; another officer must countersign it."), county_officers
    ),
    # Whoever links a claim filed for a villager, the number given at filing hears of it (a stranger cannot).
    "claim_code_issued": Notice(
        _l("Claim %(number)s: the township issued a claim code to link the claim to a phone account. If you did not ask for it, tell your township."),
        nobody,
        sms_claimant=True,
    ),
    "account_linked": Notice(
        _l("Claim %(number)s was linked to the account of mobile %(mobile)s. If this is not you, tell your township at once."), nobody, sms_claimant=True
    ),
    "second_approval": Notice(_l("Claim %(number)s: one of two approvals is recorded; your approval is needed too."), other_approvers),
    # The deadlines (claims/workflow/escalation.py, once each working day): whom each is written to is found
    # there, in bulk, for all overdue claims at once; here is only what they read.
    "overdue": Notice(_l("Claim %(number)s is overdue: it was due on %(due)s. Please take its next step."), nobody),
    "overdue_escalated": Notice(
        _l("Claim %(number)s has been overdue since %(due)s, more than %(days)s working days: please see that it is dealt with."), nobody
    ),
    "insurer_payment_overdue": Notice(_l("Claim %(number)s: your company's share of %(amount)s yuan was due to be paid by %(due)s."), nobody),
    "insurer_payment_escalated": Notice(
        _l("Claim %(number)s: the insurer has not paid its share of %(amount)s yuan, due by %(due)s, for more than %(days)s working days."), nobody
    ),
    "advance_overdue": Notice(_l("Claim %(number)s: the advance of %(amount)s yuan was to be decided by %(due)s. Please decide it."), nobody),
    "advance_escalated": Notice(
        _l("Claim %(number)s: the advance of %(amount)s yuan, to be decided by %(due)s, is undecided for more than %(days)s working days."), nobody
    ),
    "deadline_digest": Notice(_l("%(waiting)s claims wait for you, %(overdue)s of them overdue."), nobody),
    "bank_account_changed": Notice(
        _l("Claim %(number)s: the compensation will be paid into the account %(account)s. If you did not ask for this change, tell your township at once."),
        claimant,
        sms_claimant=True,
        sms_to=also_texted,
    ),
}


# How long a claim may wait in each state, and the rule the deadline (`Claim.due_at`, set by the steps' effects)
# comes from: a working-day time limit per county (`regions.TimeLimit`, else `DEFAULT_LIMITS`) or a county setting.
WAITS: dict[S, LimitKind | str] = {
    S.SUBMITTED: LimitKind.INTAKE,
    S.RETURNED: LimitKind.APPLICATION,
    S.ACCEPTED: LimitKind.SURVEY,
    S.SURVEY_ASSIGNED: LimitKind.SURVEY,
    S.SURVEYED: LimitKind.CONFIRMATION,
    S.DISPUTED: LimitKind.SURVEY,
    S.CONFIRMED: LimitKind.VALUATION,
    S.REFERRED: LimitKind.INSURER,
    S.VALUED: "notice_within_working_days",
    S.INSURER_DECIDED: "notice_within_working_days",
    S.IN_NOTICE: "notice_days",
    S.OBJECTION_REVIEW: LimitKind.OBJECTION,
    S.APPROVED: LimitKind.PAYMENT,
}


# Pages: which steps to offer -----------------------------------------------------------------------
def available_actions(claim: Claim, user: User) -> set[str]:
    """The steps `user` may take on `claim` now, before anything is entered: what every page offers."""
    if not user.active or not can_view_claim(user, claim):
        return set()
    return {t.action for t in _TABLE if claim.status in t.sources and user.role in t.roles and (t.who is None or t.who(claim, user, {}) is None)}


# The engine -----------------------------------------------------------------------------------------
def apply_transition(
    claim: Claim,
    action: str,
    *,
    actor: User,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> AuditEvent:
    """Check and take one step of the table in the open transaction, with everything it causes; the dashboards'
    figures of the claim's buckets are counted again once, after the step and any follow-on step."""
    with counted_once():
        return _take_step(claim, action, actor=actor, reason=reason, data=data or {}, expected_version=expected_version)


def _take_step(claim: Claim, action: str, *, actor: User, reason: str | None, data: dict[str, Any], expected_version: int | None) -> AuditEvent:
    transition = check_step(claim, action, actor=actor, reason=reason, data=data, expected_version=expected_version)
    counted_in = bucket_of(claim)  # the dashboards' bucket before the step (a resubmission may move the claim)
    try:
        if transition.effect is not None:
            transition.effect(claim, actor, data)
        before = claim.status
        claim.status = transition.target or before  # a step beside the course (an advance) leaves the status as it is
        if transition.target is None:
            flag_modified(claim, "status")  # still written, so the version moves on: a form loaded before is stale
        db.session.flush()  # the compare-and-set on the version column happens here
        event = record_event(
            entity="claim",
            action=action,
            actor=actor,
            claim=claim,
            from_state=str(before),
            to_state=str(claim.status),
            reason=reason,
            changes=data.get("changes"),
        )
        if claim.status != before:
            enter_stage(claim.id, claim.status, event.created_at)
        refresh_claim(claim, was=counted_in)  # the dashboards' figures of its bucket, counted again (by `counted_once`)
    except StaleDataError as exc:
        raise ClaimChanged() from exc
    for notice in transition.notices:
        send_notice(claim, action, notice, actor=actor, data=data)
    issue_documents(claim, transition.documents, actor=actor)
    for event in transition.webhooks:
        webhooks.emit(claim, WebhookEvent(event))  # sent by jobs once the step commits
    follow_on = transition.then(claim, actor) if transition.then is not None else None
    if follow_on is not None:
        _take_step(claim, follow_on.action, actor=actor, reason=follow_on.reason, data=follow_on.data, expected_version=None)
    return event


def check_step(
    claim: Claim, action: str, *, actor: User, reason: str | None = None, data: dict[str, Any] | None = None, expected_version: int | None = None
) -> Transition:
    """Refuse (WorkflowError) unless `actor` may take the step now with this data; nothing is written."""
    data = data or {}
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowError(_("Unknown step."))
    lock_claim(claim)
    if expected_version is not None and claim.version != expected_version:
        raise ClaimChanged()
    if not actor.active or not can_view_claim(actor, claim) or actor.role not in transition.roles:
        raise WorkflowError(_("You may not take this step on this claim."))
    undeclared = declaration_problem(actor)  # staff declare their relatives (or none) before any step
    if undeclared:
        raise WorkflowError(undeclared)
    if claim.status not in transition.sources:
        raise WorkflowError(_("This step is not possible while the claim is “%(status)s”.", status=claim.status.title))
    if transition.reason_required and not (reason and reason.strip()):
        raise WorkflowError(_("Please give a reason."))
    for guard in (transition.who, *transition.guards):
        problem = guard(claim, actor, data) if guard is not None else None
        if problem:
            raise WorkflowError(problem)
    return transition


def lock_claim(claim: Claim) -> None:
    """Hold the claim's row until the transaction ends (SELECT ... FOR UPDATE; SQLite's transactions already
    take the write lock when they begin), so that two people deciding at once act one after the other; a copy
    of the claim older than the row is a conflict (ClaimChanged). Every step and every operation that decides
    without a step (a first of two approvals) takes it first, once per transaction (claims.workflow.locks)."""
    if claim.id is None:
        return
    if holds_claim(claim.id):
        # Locked (or inserted) already in this transaction, after the chain (a filing's save, then its submission):
        # nobody else wrote it since, and what is pending is written with the step's own changes, in one flush.
        lock_chain()
        return
    db.session.flush()
    lock_chain()  # always the chain first, then the claim: one lock order for every writer
    version = db.session.execute(select(Claim.version).where(Claim.id == claim.id).with_for_update()).scalar_one()
    if version != claim.version:
        raise ClaimChanged()
    note_claim_held(claim.id)


def send_notice(claim: Claim, kind: str, notice: Notice, *, actor: User, data: dict[str, Any]) -> None:
    """In-app notices for everyone concerned but the actor, and text messages to the claimant and to anyone the
    notice names by mobile (outbox rows, each sent by a background job after the commit), written in the step's
    transaction."""
    params = {"number": claim.number or "", "status": str(claim.status)} | data.get("params", {})
    key = f"{kind}:{notice.key}" if notice.key else kind
    for user in notice.recipients(claim, data):
        if user.id != actor.id:
            db.session.add(Notification(user_id=user.id, claim_id=claim.id, kind=key, params=params))
    mobiles = [claim.claimant_mobile] if notice.sms_claimant and claim.claimant_mobile else []
    mobiles += notice.sms_to(claim, data) if notice.sms_to is not None else []
    if mobiles:
        with force_locale("zh_CN"):
            body = f"【野生动物致害补偿】{notice.text % params}"
        for mobile in dict.fromkeys(mobiles):
            queue_sms(mobile, body, claim_id=claim.id)  # sent by a job once the step commits


def notify_event(claim: Claim, kind: str, *, actor: User, params: dict[str, str] | None = None, also_texted: list[str] | None = None) -> None:
    """An event's notice; `also_texted`: mobiles texted besides the claimant's (the number a change replaced)."""
    send_notice(claim, kind, EVENT_NOTICES[kind], actor=actor, data={"params": params or {}, "also_texted": also_texted or []})


def issue_documents(claim: Claim, documents: Iterable[Document], *, actor: User) -> None:
    """The step's documents, numbered with their data frozen in its transaction: a step and its documents commit
    together or not at all (a template that cannot be filled refuses the step). Their PDFs are rendered and stored
    by background jobs once the step has committed (claims/core/jobs.py)."""
    for document in documents:
        issue_document(document.kind, claim, document.build(claim), actor=actor)


def notice_text(note: Notification) -> str:
    """What a stored notice says, in the reader's language."""
    action, _sep, key = note.kind.partition(":")
    transition = TRANSITIONS.get(action)
    notices = transition.notices if transition is not None else ((EVENT_NOTICES[action],) if action in EVENT_NOTICES else ())
    notice = next((n for n in notices if n.key == key), None)
    return str(notice.text % note.params) if notice else note.kind


# The diagram ---------------------------------------------------------------------------------------
def _told(notice: Notice) -> str:
    sms = [label for label, on in (("the claimant", notice.sms_claimant), (_name(notice.sms_to) if notice.sms_to else "", notice.sms_to)) if on]
    return notice.recipients.__qualname__ + (f" (SMS to {', '.join(sms)})" if sms else "")


def _name(function: Any) -> str:
    return f"{function.__module__.removeprefix('claims.')}.{function.__qualname__}"


def workflow_markdown() -> str:
    """docs/workflow.md: the table as a Mermaid state diagram and as a list (a test keeps the file current)."""
    lines = [
        "# The claim's lifecycle",
        "",
        "Generated from the table in `claims/lifecycle.py` by `make docs`;",
        "`tests/workflow/test_lifecycle_table.py` fails when this file and the table differ.",
        "",
        "```mermaid",
        "stateDiagram-v2",
        "    [*] --> draft",
    ]
    for t in _TABLE:
        for source in sorted(t.sources, key=list(S).index) if t.target is not None else ():  # a step beside the course: not drawn
            lines.append(f"    {source} --> {t.target}: {t.action}")
    lines += [f"    {s} --> [*]" for s in S if s.is_final]
    lines += ["```", "", "## Who acts in each state, and how long they have", "", "| state | who acts next | next step | deadline (rule) |", "|" + " --- |" * 4]
    for state in S:
        if state.is_final or state == S.DRAFT:
            continue
        wait = WAITS.get(state)
        if isinstance(wait, LimitKind):
            rule = f"{DEFAULT_LIMITS[wait]} working days by default: time limit `{wait}` (`regions.TimeLimit` per county)"
        elif wait is not None:
            spec = SPECS[wait]
            unit = "working" if wait.endswith("working_days") else "calendar"
            rule = f"{spec.default} {unit} days by default, at least {spec.minimum}: county setting `{wait}`"
        else:
            rule = "none"
        with force_locale("en"):
            lines.append(f"| {state} | {state.actor_role or ''} | {state.next_step} | {rule} |")
    lines += ["", "## Steps", "", "| step | from | to | who | checks | effect | notice to | documents | then | webhooks |", "|" + " --- |" * 10]
    for t in _TABLE:
        cells = [
            f"`{t.action}`",
            ", ".join(str(s) for s in sorted(t.sources, key=list(S).index)),
            str(t.target) if t.target is not None else "(unchanged)",
            ", ".join(sorted(str(r) for r in t.roles)) + (f" ({_name(t.who)})" if t.who else ""),
            ", ".join(_name(g) for g in t.guards) + (" + reason" if t.reason_required else ""),
            _name(t.effect) if t.effect else "",
            "; ".join(_told(n) for n in t.notices),
            ", ".join(str(d.kind) for d in t.documents),
            _name(t.then) if t.then else "",
            ", ".join(f"`{event}`" for event in t.webhooks),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
