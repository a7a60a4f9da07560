"""The daily deadlines (`flask deadlines run`): the holder of an overdue claim is told each working day, the supervisor
once it is more than the county's working days overdue, everyone with waiting work gets a digest; a second run of a day
and a holiday send nothing. Claims are built through the real steps, with the clock moved between them."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select

from claims.accounts.models import Role, User
from claims.accounts.services import find_user
from claims.approval import operations
from claims.core import time as clock
from claims.core.jobs import Job, JobStatus, enqueue
from claims.extensions import db
from claims.insurance.models import InsurerDecision
from claims.insurance.operations import decide_as_insurer
from claims.intake import review
from claims.intake.models import Claim
from claims.lifecycle import notice_text
from claims.regions.admin_services import set_calendar_day, set_county_setting
from claims.workflow.escalation import deadlines_job, deadlines_key
from claims.workflow.models import Notification
from claims.workflow.queues import todo_query
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import valued_claim
from tests.factories import COUNTIES, advance
from tests.workflow.conftest import file_claim

DEADLINE_KINDS = ("overdue", "overdue_escalated", "insurer_payment_overdue", "insurer_payment_escalated", "deadline_digest")


def _on(day: date) -> None:
    """The clock at nine in the morning, China time, of `day`."""
    clock.freeze(datetime(day.year, day.month, day.day, 9, tzinfo=clock.LOCAL_TZ))


def _last_id() -> int:
    return db.session.execute(select(func.coalesce(func.max(Notification.id), 0))).scalar_one()


def run(app: Flask, day: str) -> tuple[str, Counter[tuple[str, str]]]:
    """`flask deadlines run` on the morning of `day`: its output, and (login, kind) of each deadline notice it wrote."""
    before = _last_id()
    _on(date.fromisoformat(day))
    result = app.test_cli_runner().invoke(args=["deadlines", "run"])
    assert result.exit_code == 0, result.output
    query = select(User.login, Notification.kind).join(User, User.id == Notification.user_id)
    rows = db.session.execute(query.where(Notification.id > before, Notification.kind.in_(DEADLINE_KINDS))).all()
    return result.output, Counter((login, kind) for login, kind in rows)


def _todo_count(user: User) -> int:
    return db.session.execute(select(func.count()).select_from(todo_query(user).order_by(None).subquery())).scalar_one()


def _claim_notices(notices: Counter[tuple[str, str]], kind: str) -> set[str]:
    return {login for login, k in notices if k == kind}


def test_the_holder_each_working_day_then_the_supervisor_and_once_a_day(app: Flask) -> None:
    with app.app_context():
        _on(date(2026, 11, 2))  # a Monday
        claim = file_claim("13800000001")  # Nan county, 三仙湖 township: the clerk takes it in within 3 working days
        assert claim.status == ClaimStatus.SUBMITTED and claim.due_at == date(2026, 11, 5)

        _out, told = run(app, "2026-11-05")
        assert _claim_notices(told, "overdue") == set(), "due today is not overdue"
        _out, told = run(app, "2026-11-06")
        assert _claim_notices(told, "overdue") == {"clerk"} and _claim_notices(told, "overdue_escalated") == set()
        output, again = run(app, "2026-11-06")
        assert "already run" in output and again == Counter(), "a second run of the day sends nothing"
        for day in ("2026-11-09", "2026-11-10"):  # 2 and 3 working days overdue: still the clerk alone
            _out, told = run(app, day)
            assert _claim_notices(told, "overdue") == {"clerk"} and _claim_notices(told, "overdue_escalated") == set()
        _out, told = run(app, "2026-11-11")  # 4 working days overdue, more than the county's 3
        assert _claim_notices(told, "overdue") == {"clerk"}
        assert _claim_notices(told, "overdue_escalated") == {"approver", "approver2"}, "Nan's approvers, never Chaling's"

        note = db.session.execute(select(Notification).where(Notification.claim_id == claim.id, Notification.kind == "overdue")).scalars().first()
        with force_locale("zh_CN"):
            text = notice_text(note)
        assert claim.number in text and "2026-11-05" in text and "逾期" in text


def test_the_county_sets_when_the_supervisor_hears(app: Flask) -> None:
    with app.app_context():
        _on(date(2026, 11, 2))
        set_county_setting(find_user("approver").region, "escalate_after_working_days", "1", date(2026, 11, 1), "", actor=find_user("admin"))
        file_claim("13800000001")  # due 11-05
        db.session.commit()
        _out, told = run(app, "2026-11-06")  # 1 working day overdue: not more than 1
        assert _claim_notices(told, "overdue_escalated") == set()
        _out, told = run(app, "2026-11-09")
        assert _claim_notices(told, "overdue_escalated") == {"approver", "approver2"}


def test_a_holiday_run_does_nothing(app: Flask) -> None:
    with app.app_context():
        _on(date(2026, 9, 21))
        set_calendar_day(date(2026, 10, 1), False, "国庆节", actor=find_user("admin"))  # the test's own calendar fact
        file_claim("13800000001")
        db.session.commit()
        output, told = run(app, "2026-10-01")
        assert "not a working day" in output and told == Counter()
        assert db.session.execute(select(Job).where(Job.key == "deadlines:2026-10-01")).first() is None


def test_the_digest_counts_what_waits_for_each(app: Flask) -> None:
    with app.app_context():
        _on(date(2026, 10, 26))
        file_claim("13800000001", seed=1)  # due 10-29: overdue on 11-06
        _on(date(2026, 11, 4))
        file_claim("13800000002", seed=2)  # due 11-09
        file_claim("13800000001", village_code=COUNTIES["chaling"].village, seed=3)
        db.session.commit()
        run(app, "2026-11-06")
        digests = {
            login: params
            for login, params in db.session.execute(
                select(User.login, Notification.params).join(User, User.id == Notification.user_id).where(Notification.kind == "deadline_digest")
            )
        }
        assert digests == {"clerk": {"waiting": "2", "overdue": "1"}, "clerk_cl": {"waiting": "1", "overdue": "0"}}
        for login in ("clerk", "clerk_cl"):  # the digest counts what the to-do list shows
            user = find_user(login)
            assert int(digests[login]["waiting"]) == db.session.execute(select(func.count()).select_from(todo_query(user).subquery())).scalar_one()
        note = db.session.execute(select(Notification).where(Notification.kind == "deadline_digest")).scalars().first()
        with force_locale("zh_CN"):
            assert "2" in notice_text(note) and "逾期" in notice_text(note)


def test_a_valued_claim_waits_for_the_notice_and_an_approver_answers_to_the_administrator(app: Flask) -> None:
    with app.app_context():
        _on(date(2026, 11, 2))
        claim = file_claim("13800000001", village_code=COUNTIES["chaling"].village)
        advance(claim, "valued", county="chaling")  # uninsured: it waits for the township's public notice
        db.session.commit()
        assert claim.status == ClaimStatus.VALUED and claim.due_at == date(2026, 11, 9), "5 working days to the notice"
        _out, told = run(app, "2026-11-10")
        assert _claim_notices(told, "overdue") == {"clerk_cl"}
        _out, told = run(app, "2026-11-13")
        assert _claim_notices(told, "overdue_escalated") == {"approver_cl"}

        _on(date(2026, 11, 13))
        batch = operations.create_notice_batch(claim.township, [claim], date(2026, 11, 13), actor=find_user("clerk_cl"))
        db.session.commit()
        assert claim.due_at == batch.end_date == date(2026, 11, 19)
        _out, told = run(app, "2026-11-20")  # the notice has run: the approver must decide
        assert _claim_notices(told, "overdue") == {"approver_cl"} and _claim_notices(told, "overdue_escalated") == set()
        _out, told = run(app, "2026-11-25")
        assert _claim_notices(told, "overdue_escalated") == {"admin"}, "no county administrator: the province's"


def test_the_insurer_is_chased_to_assess_and_to_pay(app: Flask) -> None:
    with app.app_context():
        _on(date(2026, 11, 2))
        claim = file_claim("13800000001")
        advance(claim, "valued")  # Nan is insured: referred, 10 working days to assess
        db.session.commit()
        assert claim.status == ClaimStatus.REFERRED and claim.due_at == date(2026, 11, 16)
        _out, told = run(app, "2026-11-17")
        assert _claim_notices(told, "overdue") == {"insurer"}
        _out, told = run(app, "2026-11-20")
        assert _claim_notices(told, "overdue_escalated") == {"approver", "approver2"}, "an insurer has no administrator here"

        _on(date(2026, 11, 20))
        decide_as_insurer(claim, InsurerDecision.ACCEPT, actor=find_user("insurer"))
        db.session.commit()
        assert claim.status == ClaimStatus.INSURER_DECIDED and claim.due_at == date(2026, 11, 27), "the township's notice next"
        operations.create_notice_batch(claim.township, [claim], date(2026, 11, 20), actor=find_user("clerk"))
        db.session.commit()
        _on(date(2026, 11, 27))
        assert operations.approve(claim, actor=find_user("approver"))
        db.session.commit()
        _out, told = run(app, "2026-12-27")  # a Sunday: not a working day
        assert told == Counter()
        _out, told = run(app, "2026-12-28")  # the policy's 30 days from the approval ran out on 12-27
        assert _claim_notices(told, "insurer_payment_overdue") == {"insurer"}
        assert _claim_notices(told, "insurer_payment_escalated") == set()
        _out, told = run(app, "2026-12-31")
        assert _claim_notices(told, "insurer_payment_escalated") == {"approver", "approver2"}
        assert db.session.get(Claim, claim.id).status == ClaimStatus.APPROVED


def _overdue_since_nov_5() -> int:
    """A claim filed on Monday 2 November (due the 5th), the clock on the 6th; the last notice's id before the run."""
    _on(date(2026, 11, 2))
    file_claim("13800000001")
    db.session.commit()
    _on(date(2026, 11, 6))
    return _last_id()


def test_through_the_job_queue_the_day_runs_once(app: Flask) -> None:
    """As the worker runs it (here in-process, right after the commit that queued it): one job per day."""
    with app.app_context():
        before = _overdue_since_nov_5()
        for _ in range(2):
            enqueue("deadlines", deadlines_key(date(2026, 11, 6)), day="2026-11-06")
            db.session.commit()
        job = db.session.execute(select(Job).where(Job.key == "deadlines:2026-11-06")).scalar_one()
        assert job.status == JobStatus.DONE
        kinds = db.session.execute(select(Notification.kind).where(Notification.id > before)).scalars().all()
        assert sorted(kinds) == ["deadline_digest", "overdue"]


def test_a_day_runs_once_even_when_a_second_runner_starts_it_and_never_on_a_later_day(app: Flask) -> None:
    """The hostile review: a worker thought dead is put back after 30 minutes and its job runs again beside it, and an
    administrator retries a failed day days later. The day's marker, written with its notices, stops the second run;
    a day's job that reaches a worker on another day sends nothing."""
    with app.app_context():
        before = _overdue_since_nov_5()
        first = deadlines_job("2026-11-06")
        db.session.commit()
        again = deadlines_job("2026-11-06")  # the same day's job, run a second time by another runner
        db.session.commit()
        assert first.holder_notices == 1 and again.skipped == "already run"
        assert "already run; nothing sent" in again.summary()
        _on(date(2026, 11, 9))
        late = deadlines_job("2026-11-06")  # a retry of an old day, days later
        db.session.commit()
        assert late.skipped == "not today" and late.holder_notices == 0
        kinds = db.session.execute(select(Notification.kind).where(Notification.id > before)).scalars().all()
        assert sorted(kinds) == ["deadline_digest", "overdue"]


def test_the_digest_counts_what_each_to_do_list_shows(app: Flask) -> None:
    """The digest links to /queue: for every member of staff, its count is the to-do list's."""
    with app.app_context():
        _on(date(2026, 11, 2))
        valued_claim("chaling", seed=7)  # uninsured: valued, waiting for the township's notice
        file_claim("13800000001")
        db.session.commit()
        _on(date(2026, 11, 20))
        deadlines_job("2026-11-20")
        db.session.commit()
        digests = {
            n.user_id: int(n.params["waiting"]) for n in db.session.execute(select(Notification).where(Notification.kind == "deadline_digest")).scalars()
        }
        staff = db.session.execute(select(User).where(User.role.in_([Role.CLERK, Role.OFFICER, Role.APPROVER]), User.active)).scalars()
        for user in staff:
            assert digests.get(user.id, 0) == _todo_count(user), user.login
        assert digests[find_user("clerk_cl").id] == 1  # the valued claim is the township clerk's to do


def test_a_returned_claim_is_the_clerks_once_its_correction_deadline_passes(app: Flask) -> None:
    """Until its deadline a returned claim waits for the claimant: nobody on staff is chased and no digest counts it; then
    the township decides (not accepted: the step "lapse"), so the clerk is told and counts it, as the to-do list does."""
    with app.app_context():
        _on(date(2026, 11, 2))  # a Monday
        claim = file_claim("13800000001")
        review.return_claim(claim, ["photos"], None, actor=find_user("clerk"))
        db.session.commit()
        due = claim.due_at
        assert due is not None
        _out, told = run(app, due.isoformat())
        assert _claim_notices(told, "overdue") == set() and ("clerk", "deadline_digest") not in told
        after = next(d for d in (date.fromordinal(due.toordinal() + n) for n in range(1, 10)) if d.weekday() < 5)
        _out, told = run(app, after.isoformat())
        assert _claim_notices(told, "overdue") == {"clerk"}
        digest = db.session.execute(
            select(Notification.params).join(User, User.id == Notification.user_id).where(User.login == "clerk", Notification.kind == "deadline_digest")
        ).scalar_one()
        assert digest == {"waiting": "1", "overdue": "1"} and _todo_count(find_user("clerk")) == 1


def test_a_villagers_claim_the_clerk_resubmitted_chases_the_county_officers_too(app: Flask) -> None:
    """The township's only clerk rewrote and resubmitted a villager's returned claim, so she may not take its intake:
    once it is overdue the county officers, who may, are chased as well, and their digest counts it as their to-do does."""
    from tests.workflow.test_bent_paths import _edit

    with app.app_context():
        _on(date(2026, 11, 2))
        claim = file_claim("13800000001")  # the villager's own
        review.return_claim(claim, ["photos"], "照片看不清", actor=find_user("officer"))
        db.session.commit()
        _edit(claim, find_user("clerk"), submit=True, note="补充说明")
        db.session.commit()
        _out, told = run(app, "2026-11-20")
        officer = find_user("officer")
        assert {"clerk", "officer"} <= _claim_notices(told, "overdue")
        digest = db.session.execute(select(Notification.params).where(Notification.user_id == officer.id, Notification.kind == "deadline_digest")).scalar_one()
        assert int(digest["waiting"]) == _todo_count(officer) == 1
