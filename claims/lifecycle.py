"""A claim's whole life in one table: every step, who takes it, what must hold, what it changes and what follows.

Read `TRANSITIONS` top to bottom and you have the lifecycle (docs/workflow.md draws it, generated from this
table by `make docs`). Each row names:

- the states the step starts from and the one it leads to, and the roles that may take it;
- `who`: a check on the person alone (the assigned surveyor, the filer): pages offer the step only when it passes;
- `guards`: checks on what was entered (each returns the reason it fails, in the user's language);
- `effect`: what the step writes besides the state (deadlines, the survey record, the split, ...);
- `notice`: who is told, and whether the claimant gets a text message;
- `documents`: the documents issued, each built from the claim by its domain's builder;
- `then`: a step that may follow at once (a valued claim goes to its insurer when a policy covers it).

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
from sqlalchemy.orm.exc import StaleDataError

from claims.accounts.models import Role, User
from claims.approval import documents as award_documents
from claims.approval import steps as approval
from claims.documents import builders
from claims.documents.models import DocumentKind
from claims.documents.services import issue_document
from claims.extensions import db
from claims.insurance import steps as insurance
from claims.intake import steps as intake
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim
from claims.survey import steps as survey
from claims.valuation import steps as valuation
from claims.workflow.audit import record_event
from claims.workflow.models import AuditEvent, Notification, OutboxMessage
from claims.workflow.services import ClaimChanged, WorkflowError
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


def clerks_if_submitted(claim: Claim, data: dict[str, Any]) -> list[User]:
    """A draft withdrawn before it was ever submitted concerns nobody but its filer."""
    return township_clerks(claim, data) if claim.number else []


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

# [design] Non-acceptance gets its own heading and number series (不予受理通知书) but the refusal
# template: it is an adverse act like a refusal to compensate, states every reason and the remedies.
_TABLE = (
    # Filing (claims.intake) ---------------------------------------------------------------------
    Transition(
        "submit", _l("Submit"), {S.DRAFT}, S.SUBMITTED, FILERS,
        guards=(intake.submission_complete,), effect=intake.prepare_for_intake,
        notice=Notice(_l("Claim %(number)s was submitted and waits for intake."), township_clerks),
    ),
    Transition(
        "resubmit", _l("Submit again"), {S.RETURNED}, S.SUBMITTED, FILERS,
        guards=(intake.submission_complete,), effect=intake.prepare_for_intake,
        notice=Notice(_l("Claim %(number)s was corrected and submitted again."), township_clerks),
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
    # Field survey and the claimant's confirmation (claims.survey) ----------------------------------
    Transition(
        "assign_survey", _l("Assign surveyors"), {S.ACCEPTED, S.DISPUTED}, S.SURVEY_ASSIGNED, OFFICER,
        guards=(survey.no_conflict, survey.surveyors_ok), effect=survey.on_assign,
        notice=Notice(_l("Claim %(number)s: you are assigned to survey the damage on site."), both(assigned_surveyors, claimant)),
    ),
    Transition(
        "survey_eligible", _l("Record the survey"), {S.SURVEY_ASSIGNED}, S.SURVEYED, OFFICER,
        who=survey.assigned_surveyor, guards=(survey.no_conflict, survey.lines_complete), effect=survey.on_surveyed,
        notice=Notice(_l("Claim %(number)s was surveyed: please confirm or dispute the verified loss."), both(claimant, township_clerks), sms_claimant=True),
        documents=(Document(DocumentKind.SURVEY_RECORD, builders.survey_record_of),),
    ),
    Transition(
        "survey_refused", _l("Record the survey: not compensable"), {S.SURVEY_ASSIGNED}, S.NOT_COMPENSATED, OFFICER,
        who=survey.assigned_surveyor, guards=(survey.no_conflict, survey.lines_complete, survey.refusal_reasons), effect=survey.on_survey_refused,
        notice=Notice(_l("Claim %(number)s: the survey found that it cannot be compensated. The reasons are on the claim page."), claimant, sms_claimant=True),
        documents=(Document(DocumentKind.SURVEY_RECORD, builders.survey_record_of), Document(DocumentKind.REFUSAL, builders.survey_refusal_of)),
    ),
    Transition(
        "confirm", _l("Confirm the verified loss"), {S.SURVEYED}, S.CONFIRMED, CONFIRMERS,
        guards=(survey.confirmer_ok,), effect=survey.on_confirmation,
        notice=Notice(_l("Claim %(number)s: the claimant confirmed the verified loss."), county_officers),
    ),
    Transition(
        "dispute", _l("Dispute the verified loss"), {S.SURVEYED}, S.DISPUTED, CONFIRMERS,
        guards=(survey.confirmer_ok,), effect=survey.on_confirmation,
        notice=Notice(_l("Claim %(number)s: the claimant disputes the verified loss; assign a second survey."), county_officers),
    ),
    # Valuation (claims.valuation) and the insurer (claims.insurance) --------------------------------
    Transition(
        "value", _l("Submit the valuation"), {S.CONFIRMED}, S.VALUED, OFFICER,
        who=valuation.may_value, guards=(valuation.valuation_ready, valuation.adjustments_countersigned), effect=valuation.freeze_valuation,
        notice=Notice(_l("Claim %(number)s was valued. The amount, line by line, is on the claim page."), both(claimant, county_approvers)),
        then=insurance.after_valuation,
    ),
    Transition(
        "refer", _l("Refer to the insurer"), {S.VALUED}, S.REFERRED, OFFICER,
        effect=insurance.on_refer,
        notice=Notice(_l("Claim %(number)s was referred to your company for assessment."), insurance.policy_adjusters),
    ),
    Transition(
        "insurer_decide", _l("Insurer's decision"), {S.REFERRED}, S.INSURER_DECIDED, INSURER,
        who=insurance.is_insurers, effect=insurance.on_insurer_decision,
        notice=Notice(_l("Claim %(number)s: the insurer has decided; the claim goes to public notice."), county_officers),
    ),
    # Public notice, approval and payment (claims.approval) -----------------------------------------
    Transition(
        "start_notice", _l("Put on public notice"), {S.VALUED, S.INSURER_DECIDED}, S.IN_NOTICE, CLERK,
        guards=(approval.has_split,), effect=approval.on_notice,
        notice=Notice(_l("Claim %(number)s is on public notice in the village."), claimant),
    ),
    Transition(
        "objection", _l("Record an objection"), {S.IN_NOTICE}, S.VALUED, CLERK,
        effect=approval.on_objection, reason_required=True,
        notice=Notice(_l("Claim %(number)s: an objection was raised during the public notice; the county reviews it."), both(claimant, county_approvers)),
    ),
    Transition(
        "approve", _l("Approve"), {S.IN_NOTICE}, S.APPROVED, APPROVER,
        who=approval.not_approved_yet, guards=(approval.notice_over, approval.not_a_party, approval.second_approver), effect=approval.on_approve,
        notice=Notice(_l("Claim %(number)s was approved; payment follows."), both(claimant, township_clerks), sms_claimant=True),
        documents=(Document(DocumentKind.COMPENSATION, award_documents.compensation_decision),),
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
)  # fmt: skip

TRANSITIONS: dict[str, Transition] = {t.action: t for t in _TABLE}

# Events that are not steps of the lifecycle but still concern someone.
EVENT_NOTICES: dict[str, Notice] = {
    "payment_failed": Notice(
        _l("Claim %(number)s: the bank could not pay. Please check and correct the bank account."), both(township_clerks, claimant), sms_claimant=True
    ),
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
    """Check and take one step of the table in the open transaction, with everything it causes."""
    data = data or {}
    transition = check_step(claim, action, actor=actor, reason=reason, data=data, expected_version=expected_version)
    try:
        if transition.effect is not None:
            transition.effect(claim, actor, data)
        before = claim.status
        claim.status = transition.target
        db.session.flush()  # the compare-and-set on the version column happens here
        event = record_event(
            entity="claim",
            action=action,
            actor=actor,
            claim=claim,
            from_state=str(before),
            to_state=str(transition.target),
            reason=reason,
            changes=data.get("changes"),
        )
        db.session.flush()
    except StaleDataError as exc:
        raise ClaimChanged() from exc
    if transition.notice is not None:
        send_notice(claim, action, transition.notice, actor=actor, data=data)
    issue_documents(claim, transition.documents, actor=actor)
    follow_on = transition.then(claim, actor) if transition.then is not None else None
    if follow_on is not None:
        apply_transition(claim, follow_on.action, actor=actor, reason=follow_on.reason, data=follow_on.data)
    return event


def check_step(
    claim: Claim, action: str, *, actor: User, reason: str | None = None, data: dict[str, Any] | None = None, expected_version: int | None = None
) -> Transition:
    """Refuse (WorkflowError) unless `actor` may take the step now with this data; nothing is written."""
    data = data or {}
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowError(_("Unknown step."))
    if expected_version is not None and claim.version != expected_version:
        raise ClaimChanged()
    if not actor.active or not can_view_claim(actor, claim) or actor.role not in transition.roles:
        raise WorkflowError(_("You may not take this step on this claim."))
    if claim.status not in transition.sources:
        raise WorkflowError(_("This step is not possible while the claim is “%(status)s”.", status=claim.status.title))
    if transition.reason_required and not (reason and reason.strip()):
        raise WorkflowError(_("Please give a reason."))
    for guard in (transition.who, *transition.guards):
        problem = guard(claim, actor, data) if guard is not None else None
        if problem:
            raise WorkflowError(problem)
    return transition


def send_notice(claim: Claim, kind: str, notice: Notice, *, actor: User, data: dict[str, Any]) -> None:
    """In-app notices for everyone concerned but the actor, and a text message to the claimant (outbox rows:
    a sender attached later reads unsent rows), written in the step's transaction."""
    params = {"number": claim.number or "", "status": str(claim.status)}
    for user in notice.recipients(claim, data):
        if user.id != actor.id:
            db.session.add(Notification(user_id=user.id, claim_id=claim.id, kind=kind, params=params))
    if notice.sms_claimant and claim.claimant_mobile:
        with force_locale("zh_CN"):
            body = f"【野生动物致害补偿】{notice.text % params}"
        db.session.add(OutboxMessage(channel="sms", recipient=claim.claimant_mobile, body=body, claim_id=claim.id))


def notify_event(claim: Claim, kind: str, *, actor: User) -> None:
    send_notice(claim, kind, EVENT_NOTICES[kind], actor=actor, data={})


def issue_documents(claim: Claim, documents: Iterable[Document], *, actor: User) -> None:
    """The step's documents, numbered and stored in its transaction: a step and its documents commit together
    or not at all (a rendering error refuses the step)."""
    for document in documents:
        issue_document(document.kind, claim, document.build(claim), actor=actor)


def notice_text(note: Notification) -> str:
    """What a stored notice says, in the reader's language."""
    transition = TRANSITIONS.get(note.kind)
    notice = transition.notice if transition is not None else EVENT_NOTICES.get(note.kind)
    return str(notice.text % note.params) if notice else note.kind


# The diagram ---------------------------------------------------------------------------------------
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
        for source in sorted(t.sources, key=list(S).index):
            lines.append(f"    {source} --> {t.target}: {t.action}")
    lines += [f"    {s} --> [*]" for s in S if s.is_final]
    lines += ["```", "", "| step | from | to | who | checks | effect | notice to | documents | then |", "|" + " --- |" * 9]
    for t in _TABLE:
        cells = [
            f"`{t.action}`",
            ", ".join(str(s) for s in sorted(t.sources, key=list(S).index)),
            str(t.target),
            ", ".join(sorted(str(r) for r in t.roles)) + (f" ({_name(t.who)})" if t.who else ""),
            ", ".join(_name(g) for g in t.guards) + (" + reason" if t.reason_required else ""),
            _name(t.effect) if t.effect else "",
            (t.notice.recipients.__qualname__ + (" (SMS to the claimant)" if t.notice.sms_claimant else "")) if t.notice else "",
            ", ".join(str(d.kind) for d in t.documents),
            _name(t.then) if t.then else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
