"""Random sequences of actions by random users never break the workflow's rules.

A Hypothesis rule-based state machine files a claim, then tries any action of the transition table as
any demo user, with the data that action needs. Every accepted action must be allowed by the table
(state, role, scope); a refused one must leave the claim as it was; the audit chain must verify and
replaying the claim's events must give its current state.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.services import find_user
from claims.core.time import utcnow
from claims.extensions import db
from claims.intake import review
from claims.intake.operations import save_filing
from claims.intake.permissions import can_view_claim
from claims.intake.services import CLAIM_FIELDS, ClaimInput, LossInput, PhotoUpload
from claims.lifecycle import TRANSITIONS, apply_transition
from claims.survey.models import ConfirmationMethod, SurveyOutcome
from claims.survey.operations import assign_surveyors, record_confirmation, record_survey
from claims.survey.services import ConfirmationInput, SurveyInput, VerifiedLineInput
from claims.workflow.audit import verify_chain
from claims.workflow.models import AuditEvent
from claims.workflow.services import WorkflowError
from tests.factories import confirm_by_code, new_staff
from tests.intake.images import jpeg_bytes
from tests.workflow.conftest import file_claim

ACTORS = ["13800000001", "13800000002", "clerk", "clerk2", "clerk_cl", "officer", "officer2", "o3", "o4", "officer_cl", "approver", "insurer", "admin"]
ACTIONS = sorted(TRANSITIONS)
REACHED: set[str] = set()


def _perform(claim, action: str, actor, pick: int) -> None:  # type: ignore[no-untyped-def]
    """Try one action with the data it needs; raises WorkflowError when refused."""
    method = {Role.OFFICER: ConfirmationMethod.SMS_CODE, Role.CLERK: ConfirmationMethod.PAPER}.get(actor.role, ConfirmationMethod.ONLINE)
    lines = [VerifiedLineInput(line.id, line.quantity, 50) for line in claim.losses]
    if action == "accept":
        review.accept_claim(claim, actor=actor)
    elif action == "return":
        review.return_claim(claim, ["photos"], "请补充照片", actor=actor)
    elif action == "not_accept":
        review.refuse_intake(claim, ["other"], "不符合条件", actor=actor)
    elif action == "assign_survey":
        officers = [find_user(n) for n in ("officer", "officer2", "o3", "o4")]
        pair = [officers[pick % 4], officers[(pick + 1 + pick // 4) % 4]]
        assign_surveyors(claim, pair, actor=actor)
    elif action in ("survey_eligible", "survey_refused"):
        outcome = SurveyOutcome.ELIGIBLE if action == "survey_eligible" else SurveyOutcome.NOT_COMPENSATED
        extra = {} if outcome == SurveyOutcome.ELIGIBLE else {"exclusions": ["other"], "explanation": "不予补偿"}
        survey = SurveyInput(visited_at=utcnow() - timedelta(hours=1), surveyors_present="勘查员", claimant_present=True, outcome=outcome, lines=lines, **extra)
        record_survey(claim, survey, [], actor=actor)
    elif action in ("confirm", "dispute"):
        if method == ConfirmationMethod.SMS_CODE:
            confirm_by_code(claim, actor, confirmed=action == "confirm", statement="有异议" if action == "dispute" else None)
            return
        scan = PhotoUpload(jpeg_bytes(seed=900 + pick), "scan.jpg") if method == ConfirmationMethod.PAPER else None
        info = ConfirmationInput(action == "confirm", method, statement="有异议" if action == "dispute" else None, paper_scan=scan, attested=True)
        record_confirmation(claim, info, actor=actor)
    elif action in ("submit", "resubmit") and claim.status in TRANSITIONS[action].sources:
        # The filing page picks submit or resubmit from the state; the other one goes to the engine (and is refused).
        data = ClaimInput(
            **{k: getattr(claim, k) for k in CLAIM_FIELDS},
            losses=[LossInput(x.category, x.item, x.quantity, x.unit) for x in claim.losses],
        )
        outcome = save_filing(claim, data, [], actor=actor, submit=True, form_ok=True)
        if not outcome.submitted:
            raise WorkflowError("not submitted")
    else:
        apply_transition(claim, action, actor=actor, reason="测试")


class ClaimLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.claim = file_claim(seed=len(ACTORS) + int(utcnow().timestamp() * 1000) % 100000)
        self.claim_id = self.claim.id
        self.status = self.claim.status

    @rule(action=st.sampled_from(ACTIONS), who=st.sampled_from(ACTORS), pick=st.integers(0, 15))
    def act(self, action: str, who: str, pick: int) -> None:
        actor = find_user(who)
        claim = self.claim
        before = claim.status
        transition = TRANSITIONS[action]
        legal = before in transition.sources and actor.role in transition.roles and can_view_claim(actor, claim)
        try:
            _perform(claim, action, actor, pick)
            db.session.commit()
        except WorkflowError:
            db.session.rollback()
            self.claim = db.session.get(type(claim), self.claim_id)
            assert self.claim.status == before, f"{action} by {who} was refused but changed the state"
            return
        assert legal, f"illegal {action} by {who} ({actor.role}) from {before} was accepted"
        assert claim.status == transition.target
        self.status = claim.status

    @rule(choice=st.integers(0, 1000), pick=st.integers(0, 15))
    def act_plausibly(self, choice: int, pick: int) -> None:
        """Mostly actions the table allows from here, so that runs go deep into the workflow."""
        options = [(a, w) for a in ACTIONS if self.claim.status in TRANSITIONS[a].sources for w in ACTORS if find_user(w).role in TRANSITIONS[a].roles]
        if options:
            action, who = options[choice % len(options)]
            self.act(action, who, pick)
            REACHED.add(str(self.claim.status))

    @invariant()
    def state_matches_the_model_and_the_events(self) -> None:
        assert self.claim.status == self.status
        events = db.session.execute(
            select(AuditEvent).where(AuditEvent.claim_id == self.claim_id, AuditEvent.to_state.is_not(None)).order_by(AuditEvent.id)
        ).scalars()
        replayed = None
        for event in events:
            assert replayed is None or event.from_state in (None, replayed) or event.from_state == event.to_state
            replayed = event.to_state
        assert replayed == str(self.claim.status)

    @invariant()
    def audit_chain_verifies(self) -> None:
        assert verify_chain().ok


def test_random_action_sequences_keep_the_rules(ctx) -> None:  # type: ignore[no-untyped-def]
    nan = find_user("officer").region
    for login in ("o3", "o4"):
        new_staff(login=login, name=f"勘查员{login}", role=Role.OFFICER, region=nan)
    db.session.commit()
    # derandomize: the same 30 runs every time. With a fresh seed, a run of this test now and then stayed near intake
    # in all 30 (once in four runs on 4 December) and the depth check below failed for no fault of the app.
    run_state_machine_as_test(
        ClaimLife,
        settings=settings(max_examples=30, stateful_step_count=25, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)),
    )
    # The runs must have gone past intake, or the test proves little.
    assert {"accepted", "survey_assigned", "surveyed"} <= REACHED, REACHED
