"""Bulk data for bench/pages.py: N claims in every lifecycle state, with the rows each state implies.

Rows go in by the thousand (executemany on SQLite, COPY on PostgreSQL) into the app's own tables, each
value converted by its column's own type (Money to fen, UTC datetimes, JSON, enums), in chunks of `CHUNK`
claims; never through forms or services. Ids are given here (after the demo's), so that rows can name each other without a
round trip; PostgreSQL's sequences are moved past them at the end.

The claims are spread over every village of the demo's two counties (Nan county 60 %, Chaling 40 %) and
filed over three years, one claim after the other. The older 92 % are settled (closed or paid) or
refused; the newest 8 % (about three months) are in every state, most of them open: that is where the
queues are. What each state implies, by how far the claim got:

- every claim: one loss line; a notification for one demo user (the claimant, or the staff concerned);
- survey assigned and later: a survey assignment (round 1) and its surveyor;
- surveyed and later (and not compensated): a field survey;
- valued and later: a frozen valuation and the split (the notice and approval pages read it);
- referred and later in Nan county (the one with a policy): a referral to the demo insurer, decided
  once the insurer decided;
- in notice and later: an entry in the township's notice batch of that month; an objection under review;
- approved and later: an approval and the decision; approved: a pending payment; paid and closed: a
  paid payment in the county's payment batch of that month.

Not built: photos, audit events, documents, verified losses, confirmations and the dashboards' figures (no list page
reads them). The open claims' deadline counts are built (the overdue page reads them).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, literal, select, text

from claims.accounts.models import User
from claims.approval.models import Approval, Decision, NoticeBatch, NoticeEntry, Objection, Payment, PaymentBatch, PaymentStatus, Share
from claims.insurance.models import InsurancePolicy, InsurerDecision, Referral, Split
from claims.intake.models import Claim, LossLine
from claims.regions.models import Region, RegionLevel, Species
from claims.reports.figures import DEADLINE_COLUMNS, SURVEY_COLUMNS, deadlines_query, surveys_query
from claims.reports.models import DeadlineFigure, SurveyFigure
from claims.survey.models import FieldSurvey, SurveyAssignment, SurveyOutcome, assignment_surveyors
from claims.valuation.models import ClaimValuation, CompensationSchedule
from claims.workflow.models import Notification
from claims.workflow.states import ClaimStatus as S

CHUNK = 10_000
SEED = 20261201
RECENT_SHARE = 0.08  # the newest claims, where the open states are
YEARS = 3
COUNTIES = (("430921", 0.6), ("430224", 0.4))  # Nan county (has a policy), Chaling
POLICY_COUNTY = "430921"

# Per 1,000 claims of each period.
OLD_STATES = {S.CLOSED: 800, S.PAID: 70, S.NOT_ACCEPTED: 50, S.NOT_COMPENSATED: 50, S.WITHDRAWN: 30}
RECENT_STATES = {
    S.DRAFT: 40, S.SUBMITTED: 100, S.RETURNED: 30, S.NOT_ACCEPTED: 30, S.ACCEPTED: 60, S.SURVEY_ASSIGNED: 100,
    S.SURVEYED: 50, S.CONFIRMED: 50, S.DISPUTED: 20, S.VALUED: 50, S.REFERRED: 80, S.INSURER_DECIDED: 50,
    S.IN_NOTICE: 100, S.OBJECTION_REVIEW: 20, S.APPROVED: 80, S.NOT_COMPENSATED: 30, S.PAID: 80, S.WITHDRAWN: 30,
}  # fmt: skip
OPEN = {S.SUBMITTED, S.RETURNED, S.ACCEPTED, S.SURVEY_ASSIGNED, S.SURVEYED, S.CONFIRMED, S.DISPUTED, S.VALUED, S.REFERRED,
        S.INSURER_DECIDED, S.IN_NOTICE, S.OBJECTION_REVIEW, S.APPROVED}  # fmt: skip
# How far along the lifecycle each state is (what it implies is built for every stage up to it).
STAGE = {S.DRAFT: 0, S.SUBMITTED: 0, S.RETURNED: 0, S.NOT_ACCEPTED: 0, S.WITHDRAWN: 0, S.ACCEPTED: 1, S.SURVEY_ASSIGNED: 2,
         S.NOT_COMPENSATED: 3, S.SURVEYED: 3, S.CONFIRMED: 4, S.DISPUTED: 4, S.VALUED: 5, S.REFERRED: 6, S.INSURER_DECIDED: 7,
         S.IN_NOTICE: 8, S.OBJECTION_REVIEW: 9, S.APPROVED: 10, S.PAID: 11, S.CLOSED: 12}  # fmt: skip
INSURER_STAGES = {S.REFERRED, S.INSURER_DECIDED}  # only where a policy covers: Nan county

TABLES: list[Any] = [Claim, LossLine, SurveyAssignment, assignment_surveyors, FieldSurvey, ClaimValuation, Split, Referral,
                     NoticeBatch, NoticeEntry, Objection, Approval, Decision, PaymentBatch, Payment, Notification]  # fmt: skip


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _pattern(weights: dict[S, int], rng: random.Random) -> list[S]:
    states = [state for state, count in weights.items() for _ in range(count)]
    rng.shuffle(states)
    return states


@dataclass
class County:
    id: int
    code: str
    villages: list[tuple[int, int]]  # (township id, village id)
    clerks: dict[int, int]  # township id -> a demo clerk there
    officer: int
    approver: int


@dataclass
class World:
    """What the rows refer to: the demo's regions, users, species, schedule and policy, and the next free ids."""

    counties: list[tuple[County, float]]
    users: dict[str, int]
    species_id: int
    schedule_id: int
    schedule_code: str
    policy_id: int
    next_id: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value


def load_world(conn: Connection) -> World:
    users = dict(conn.execute(select(User.login, User.id)).all())
    counties = []
    for code, share in COUNTIES:
        county_id = conn.execute(select(Region.id).where(Region.code == code)).scalar_one()
        townships = conn.execute(select(Region.id).where(Region.parent_id == county_id, Region.level == RegionLevel.TOWNSHIP)).scalars().all()
        villages = conn.execute(select(Region.parent_id, Region.id).where(Region.parent_id.in_(townships)).order_by(Region.id)).all()
        staff = conn.execute(select(User.role, User.region_id, User.id).where(User.region_id.in_([county_id, *townships])).order_by(User.id)).all()
        clerks: dict[int, int] = {}
        for role, region_id, user_id in staff:
            if role == "clerk":
                clerks.setdefault(region_id, user_id)
        officer = next(u for r, reg, u in staff if r == "officer" and reg == county_id)
        approver = next(u for r, reg, u in staff if r == "approver" and reg == county_id)
        counties.append((County(county_id, code, [tuple(v) for v in villages], clerks, officer, approver), share))  # type: ignore[misc]
    species_id = conn.execute(select(Species.id).where(Species.code == "wild_boar")).scalar_one()
    schedule_id, schedule_code = conn.execute(select(CompensationSchedule.id, CompensationSchedule.code).order_by(CompensationSchedule.id).limit(1)).one()
    policy_id = conn.execute(select(InsurancePolicy.id).order_by(InsurancePolicy.term_end.desc()).limit(1)).scalar_one()
    world = World(counties, users, species_id, schedule_id, schedule_code, policy_id)
    for model in TABLES:
        table = getattr(model, "__table__", model)
        if "id" in table.c:
            world.next_id[table.name] = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    return world


class Builder:
    """Generates the rows claim by claim into per-table buffers, written out every CHUNK claims."""

    def __init__(self, world: World, total: int, now: datetime) -> None:
        self.world = world
        self.total = total
        self.now = now
        self.start = now - timedelta(days=365 * YEARS)
        self.rng = random.Random(SEED)
        self.old = _pattern(OLD_STATES, self.rng)
        self.recent = _pattern(RECENT_STATES, self.rng)
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.notice_batches: dict[tuple[int, int], int] = {}
        self.payment_batches: dict[tuple[int, int], int] = {}
        self.staff = [u for u in ("clerk", "clerk2", "officer", "approver", "insurer", "clerk_cl", "officer_cl", "approver_cl", "admin") if u in world.users]

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def claim(self, i: int) -> None:
        w, rng = self.world, self.rng
        recent = i >= self.total * (1 - RECENT_SHARE)
        status = (self.recent if recent else self.old)[i % 1000]
        created = self.start + (self.now - self.start) * (i / self.total)
        county, _share = w.counties[0] if status in INSURER_STAGES else self._county(i)
        township_id, village_id = county.villages[(i * 7919) % len(county.villages)]
        by_villager = i % 5 != 0
        villager = w.users["13800000001" if i % 2 else "13800000002"]
        clerk = county.clerks.get(township_id) or next(iter(county.clerks.values()))
        filer = villager if by_villager else clerk
        claim_id = w.take("claims")
        stage = STAGE[status]
        submitted = None if status == S.DRAFT else created + timedelta(minutes=5)
        due = (created + timedelta(days=rng.randint(5, 60))).date() if status in OPEN else None
        amount = Decimal(rng.randint(200, 20000))
        self.add(
            "claims",
            {
                "id": claim_id, "number": None if submitted is None else f"{county.code}-{created.year}-{claim_id:08d}",
                "status": status, "version": 1, "submission_key": f"bench-{claim_id}", "filed_by_id": filer,
                "claimant_user_id": villager if by_villager else None, "claimant_name": "张建国" if i % 2 else "李秀英",
                "claimant_mobile": "13800000001" if i % 2 else "13800000002", "claimant_address": "利群村5组",
                "bank_name": "湖南南县农村商业银行", "county_id": county.id, "township_id": township_id, "village_id": village_id,
                "incident_at": created - timedelta(days=1), "discovered_on": (created - timedelta(days=1)).date(),
                "species_id": w.species_id, "species_unknown": False, "description": "野猪拱食水稻，约两亩半倒伏。",
                "declaration": True, "species_covered": True, "late_report": False, "accepted_by_filer": False,
                "due_at": due, "estimated_amount": amount, "decision_reasons": [], "correction_items": [],
                "survey_round": 1 if stage >= 2 else 0, "created_at": created, "updated_at": created, "submitted_at": submitted,
            },
        )  # fmt: skip
        self.add("loss_lines", {"id": w.take("loss_lines"), "claim_id": claim_id, "position": 0, "category": "crop", "item": "水稻",
                                "quantity": Decimal("2.5"), "unit": "mu"})  # fmt: skip
        self._notification(i, claim_id, status, created, villager if by_villager else None)
        if stage >= 2:
            self._survey(claim_id, county, created, status)
        if stage >= 5 and status != S.NOT_COMPENSATED:
            self._valuation(claim_id, county, created, amount, referred=county.code == POLICY_COUNTY and stage >= 6)
        if county.code == POLICY_COUNTY and stage >= 6 and status != S.NOT_COMPENSATED:
            self._referral(claim_id, created, amount, decided=stage >= 7)
        if stage >= 8 and status != S.NOT_COMPENSATED:
            self._notice(claim_id, county, township_id, clerk, created, amount, status)
        if stage >= 10 and status != S.NOT_COMPENSATED:
            self._approval(claim_id, county, created, amount, status)

    def _county(self, i: int) -> tuple[County, float]:
        fraction = (i * 0.6180339887) % 1.0  # spreads the counties evenly over time
        return self.world.counties[0] if fraction < self.world.counties[0][1] else self.world.counties[1]

    def _notification(self, i: int, claim_id: int, status: S, created: datetime, villager: int | None) -> None:
        user = villager if villager is not None and i % 3 == 0 else self.world.users[self.staff[i % len(self.staff)]]
        read = created + timedelta(days=1) if status not in OPEN else None
        self.add("notifications", {"id": self.world.take("notifications"), "user_id": user, "claim_id": claim_id, "kind": "submit",
                                   "params": {"number": f"{claim_id:08d}", "status": status.value}, "created_at": created, "read_at": read})  # fmt: skip

    def _survey(self, claim_id: int, county: County, created: datetime, status: S) -> None:
        w = self.world
        assignment = w.take("survey_assignments")
        self.add("survey_assignments", {"id": assignment, "claim_id": claim_id, "round": 1, "assigned_by_id": county.officer,
                                        "assigned_at": created + timedelta(days=2)})  # fmt: skip
        self.add("assignment_surveyors", {"assignment_id": assignment, "user_id": county.officer})
        if STAGE[status] >= 3:
            outcome = SurveyOutcome.NOT_COMPENSATED if status == S.NOT_COMPENSATED else SurveyOutcome.ELIGIBLE
            self.add("field_surveys", {"id": w.take("field_surveys"), "claim_id": claim_id, "assignment_id": assignment, "round": 1,
                                       "recorded_by_id": county.officer, "visited_at": created + timedelta(days=4), "surveyors_present": "陈志强",
                                       "claimant_present": True, "evidence": [], "exclusions": [], "outcome": outcome,
                                       "recorded_at": created + timedelta(days=4)})  # fmt: skip

    def _valuation(self, claim_id: int, county: County, created: datetime, amount: Decimal, *, referred: bool) -> None:
        w = self.world
        self.add("claim_valuations", {"id": w.take("claim_valuations"), "claim_id": claim_id, "survey_id": None, "version": 1, "current": True,
                                      "schedule_id": w.schedule_id, "schedule_ids": [w.schedule_id], "input_snapshot": {}, "result": self._result(amount),
                                      "computed_total": amount, "total": amount, "computed_at": created + timedelta(days=8),
                                      "computed_by_id": county.officer, "frozen_at": created + timedelta(days=8)})  # fmt: skip
        insurer = (amount * Decimal("0.7")).quantize(Decimal("0.01")) if referred else Decimal(0)
        self.add(Split.__tablename__, {"claim_id": claim_id, "entitlement": amount, "insurer_share": insurer, "government_share": amount - insurer,
                            "policy_id": w.policy_id if referred else None, "reasons": [], "computed_at": created + timedelta(days=8)})  # fmt: skip

    def _result(self, amount: Decimal) -> dict[str, Any]:
        """The engine's output as stored (claims.valuation.spec.valuation_to_json): one crop line."""
        line = {"id": "L1", "kind": "loss", "category": "crop", "item": "水稻", "amount": str(amount), "rule": "2.5亩 × 定额",
                "schedule": self.world.schedule_code, "quantity": "2.5", "unit": "mu"}  # fmt: skip
        return {"lines": [line], "total": str(amount), "schedules": [self.world.schedule_code], "reasons": []}

    def _referral(self, claim_id: int, created: datetime, amount: Decimal, *, decided: bool) -> None:
        w = self.world
        self.add("referrals", {"id": w.take("referrals"), "claim_id": claim_id, "policy_id": w.policy_id, "automatic": True, "package": {},
                               "referred_at": created + timedelta(days=8), "referred_by_id": w.users["officer"],
                               "due_at": (created + timedelta(days=22)).date(),
                               "decision": InsurerDecision.ACCEPT if decided else None, "decided_by_id": w.users["insurer"] if decided else None,
                               "decided_at": created + timedelta(days=12) if decided else None,
                               "assessed_amount": amount if decided else None, "adjustments": {}})  # fmt: skip

    def _month(self, created: datetime) -> int:
        return (created.year - self.start.year) * 12 + created.month

    def _notice(self, claim_id: int, county: County, township_id: int, clerk: int, created: datetime, amount: Decimal, status: S) -> None:
        w = self.world
        key = (township_id, self._month(created))
        batch = self.notice_batches.get(key)
        if batch is None:
            batch = self.notice_batches[key] = w.take("notice_batches")
            start = (created + timedelta(days=20)).date()
            self.add("notice_batches", {"id": batch, "township_id": township_id, "start_date": start, "end_date": start + timedelta(days=7),
                                        "created_by_id": clerk, "created_at": created + timedelta(days=20)})  # fmt: skip
        self.add("notice_entries", {"id": w.take("notice_entries"), "batch_id": batch, "claim_id": claim_id, "amount": amount, "withdrawn": False})
        if status == S.OBJECTION_REVIEW:
            self.add("objections", {"id": w.take("objections"), "batch_id": batch, "claim_id": claim_id, "objector": "王五（利群村）",
                                    "objector_mobile": None, "reason": "面积不实", "recorded_by_id": clerk, "recorded_at": created + timedelta(days=22),
                                    "outcome": None})  # fmt: skip

    def _approval(self, claim_id: int, county: County, created: datetime, amount: Decimal, status: S) -> None:
        w = self.world
        approved = created + timedelta(days=30)
        self.add("approvals", {"id": w.take("approvals"), "claim_id": claim_id, "approver_id": county.approver, "round": 1, "approved": True,
                               "amount": amount, "decided_at": approved})  # fmt: skip
        self.add("decisions", {"claim_id": claim_id, "total": amount, "insurer_share": Decimal(0), "government_share": amount, "policy_id": None,
                               "lines": [], "payee_name": "张建国", "bank_name": "湖南南县农村商业银行", "bank_account": None,
                               "approved_at": approved, "approvers": [county.approver]})  # fmt: skip
        paid = status in (S.PAID, S.CLOSED)
        batch = None
        if paid:
            key = (county.id, self._month(created))
            batch = self.payment_batches.get(key)
            if batch is None:
                batch = self.payment_batches[key] = w.take("payment_batches")
                self.add("payment_batches", {"id": batch, "county_id": county.id, "reference": f"BENCH-{county.code}-{batch:06d}",
                                             "created_by_id": county.approver, "created_at": approved + timedelta(days=3),
                                             "exported_at": approved + timedelta(days=3), "reopened": False})  # fmt: skip
        self.add("payments", {"id": w.take("payments"), "claim_id": claim_id, "share": Share.GOVERNMENT, "amount": amount, "batch_id": batch,
                              "reference": f"B{claim_id:09d}G", "status": PaymentStatus.PAID if paid else PaymentStatus.PENDING,
                              "recorded_by_id": county.approver if paid else None, "created_at": approved,
                              "settled_at": approved + timedelta(days=5) if paid else None})  # fmt: skip


def _tables() -> list[Any]:
    return [getattr(model, "__table__", model) for model in TABLES]


def write(conn: Connection, rows: dict[str, list[dict[str, Any]]]) -> int:
    """Insert the buffered rows, parents first (TABLES order), straight through the driver.

    Each value goes through its column's own bind processor (the app's types: Money to fen, UTC datetimes,
    JSON, enums), as SQLAlchemy would, then executemany (SQLite) or COPY (PostgreSQL): the statement
    compilation and per-row bookkeeping of Core's executemany made it three times slower."""
    written = 0
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    for table in _tables():
        batch = rows.pop(table.name, None)
        if not batch:
            continue
        columns = list(batch[0])
        processors = [table.c[name].type._cached_bind_processor(conn.dialect) for name in columns]
        data = [tuple(p(row[c]) if p else row[c] for c, p in zip(columns, processors, strict=True)) for row in batch]
        names = ", ".join(columns)
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for values in data:
                    copy.write_row(values)
        else:
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", data)  # noqa: S608 - the app's own table and column names
        written += len(batch)
    return written


def build(conn_factory: Callable[[], Any], total: int, now: datetime | None = None) -> tuple[int, float]:
    """Insert `total` claims and their rows; returns (rows written, seconds). Commits every CHUNK claims."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    written = 0
    with conn_factory() as conn:
        if conn.dialect.name == "sqlite":  # the indexes of a million rows do not fit SQLite's default 2 MB page cache
            conn.exec_driver_sql("PRAGMA cache_size = -262144")
        world = load_world(conn)
        builder = Builder(world, total, now)
        for first in range(0, total, CHUNK):
            for i in range(first, min(total, first + CHUNK)):
                builder.claim(i)
            written += write(conn, builder.rows)
            conn.commit()
            done = min(total, first + CHUNK)
            if done % (CHUNK * 10) == 0 or done == total:
                elapsed = time.perf_counter() - started
                log(f"  built {done:,} claims ({written:,} rows) in {elapsed:.0f} s")
        # What create_batch stores with each batch: its payments' count (the builder adds payments to a month's batch
        # after writing the batch's row).
        conn.execute(text("UPDATE payment_batches SET payment_count = (SELECT count(*) FROM payments WHERE payments.batch_id = payment_batches.id)"))
        # What the steps keep as claims move: the open claims' deadlines, which the overdue page counts from
        # (claims/reports/figures.py; the dashboards' figures are not built: no list page reads them).
        everything = literal(True)
        conn.execute(insert(DeadlineFigure).from_select(DEADLINE_COLUMNS, deadlines_query(everything)))
        conn.execute(insert(SurveyFigure).from_select(SURVEY_COLUMNS, surveys_query(everything)))
        conn.commit()
        if conn.dialect.name == "postgresql":
            for table in _tables():
                if "id" in table.c:
                    move = f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"  # noqa: S608 - the app's table names
                    conn.execute(text(move))
            conn.commit()
            # VACUUM as well: rows just copied in have no visibility map yet, so every index-only scan (the overdue
            # counts) would visit the table too. A database that grew over years has been vacuumed by autovacuum
            # (which also runs after many inserts) long since; VACUUM cannot run inside a transaction.
            conn.execute(text("ANALYZE"))
            conn.commit()
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")
        else:
            conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return written, time.perf_counter() - started


def describe(conn: Connection) -> dict[str, int]:
    """Counts of the bench's tables (for the summary and to check a kept database)."""
    return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one() for table in _tables()}
