"""Two app nodes and one job worker, real processes on loopback, on one PostgreSQL, Redis and object store.

A claim filed on node A is accepted and surveyed on node B; its documents are made by the worker; one
session and one client's throttling counters hold across the nodes; two approvers on different nodes
approving at once give one correct result. Needs PostgreSQL (the suite's PostgreSQL pass), Redis and the
S3-compatible test server; without one of them the test is skipped with the reason, and under CI=true fails.
"""

from __future__ import annotations

import io
import re
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from flask import Flask
from sqlalchemy import select, update

from claims.accounts.models import Role
from claims.accounts.services import find_user
from claims.approval import operations
from claims.approval.models import NoticeBatch
from claims.core import time as clock
from claims.core.jobs import Job, JobStatus
from claims.core.time import local_today
from claims.documents.models import IssuedDocument
from claims.extensions import db
from claims.intake.models import Claim
from claims.workflow.audit import verify_chain
from claims.workflow.models import AuditEvent
from claims.workflow.states import ClaimStatus
from tests.approval.conftest import valued_claim
from tests.conftest import DEMO_PASSWORD, S3_ENV, TEST_KEY, csrf_token, login
from tests.factories import VILLAGER, acknowledged_claim_id, claim_form, new_staff, open_form, photo, post_form
from tests.intake.images import jpeg_bytes
from tests.scale.cluster import Cluster
from tests.scale.conftest import require_service
from tests.workflow.conftest import region

pytestmark = pytest.mark.postgres


@pytest.fixture
def cluster(s3_app: Flask, tmp_path: Path) -> Iterator[Cluster]:
    require_service("postgresql")
    redis_url = require_service("redis")
    config = s3_app.config
    env = {
        **S3_ENV,
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": config["SECRET_KEY"],
        "FIELD_ENCRYPTION_KEY": TEST_KEY,
        "STORAGE_URL": config["STORAGE_URL"],
        "S3_ENDPOINT_URL": config["S3_ENDPOINT_URL"],
        "S3_REGION": config["S3_REGION"],
        "S3_ADDRESSING_STYLE": "path",
        "REDIS_URL": redis_url,
        "JOBS_QUEUE": f"claims-test-{tmp_path.name}",
        "TRUSTED_PROXIES": "1",
        "UPLOAD_FOLDER": str(tmp_path / "no-local-files"),
        "SMS_CONSOLE_FILE": str(tmp_path / "sms.log"),
        "PUBLIC_BASE_URL": "http://127.0.0.1",
    }
    cluster = Cluster(env, tmp_path)
    cluster.add_node("A")
    cluster.add_node("B")
    cluster.add_worker()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
    assert not cluster.errors(), "\n".join(cluster.errors())


def _version(app: Flask, claim_id: int) -> str:
    with app.app_context():
        return str(db.session.get(Claim, claim_id).version)


def _documents_ready(app: Flask, claim_id: int, kinds: int, seconds: float = 90) -> list[IssuedDocument]:
    """Wait for the worker: the claim's documents, at least `kinds` of them, all stored."""
    deadline = time.monotonic() + seconds
    while True:
        with app.app_context():
            docs = list(db.session.execute(select(IssuedDocument).where(IssuedDocument.claim_id == claim_id)).scalars())
            if len(docs) >= kinds and all(d.ready for d in docs):
                db.session.expunge_all()
                return docs
        assert time.monotonic() < deadline, f"the worker did not make the documents of claim {claim_id}: {[(d.kind, d.ready) for d in docs]}"
        time.sleep(0.5)


def test_a_claim_filed_on_one_node_is_worked_on_another(s3_app: Flask, cluster: Cluster) -> None:
    villager = cluster.client()
    cluster.use("A")
    login(villager, VILLAGER)
    page = open_form(villager)
    response = post_form(villager, page.action, claim_form(s3_app, page), [photo(jpeg_bytes(seed=31)), photo(jpeg_bytes(seed=32), name="b.jpg")])
    claim_id = acknowledged_claim_id(response)

    cluster.use("B")  # the balancer sends the same session to the other node
    mine = villager.get(f"/claims/{claim_id}")
    assert mine.status_code == 200 and "/login" not in mine.headers.get("Location", "")

    clerk = cluster.client("B")
    login(clerk, "clerk")
    token = csrf_token(clerk, f"/claims/{claim_id}")
    assert clerk.post(f"/claims/{claim_id}/accept", data={"csrf_token": token, "version": _version(s3_app, claim_id)}).status_code == 302

    officer = cluster.client("B")
    login(officer, "officer")
    page_html = officer.get(f"/claims/{claim_id}").get_data(as_text=True)
    ids = re.findall(r'name="surveyors" type="checkbox" value="(\d+)"', page_html)
    token = csrf_token(officer, f"/claims/{claim_id}")
    assigned = officer.post(f"/claims/{claim_id}/assign", data={"csrf_token": token, "version": _version(s3_app, claim_id), "surveyors": ids[:2]})
    assert assigned.status_code == 302
    form = officer.get(f"/claims/{claim_id}/survey").get_data(as_text=True)
    data: dict[str, object] = {
        "csrf_token": token,
        "version": _version(s3_app, claim_id),
        "visited_at": clock.local_now().strftime("%Y-%m-%dT%H:%M"),
        "surveyors_present": "陈志强、周伟",
        "in_designated_area": "yes",
        "evidence": ["tracks", "droppings"],
        "prevention_in_place": ["fence"],
        "outcome": "eligible",
    }
    for name, value in re.findall(r'name="(lines-\d+-loss_line_id)" type="hidden" value="(\d+)"', form):
        data[name] = value
        data[name.replace("loss_line_id", "quantity")] = "2"
        data[name.replace("loss_line_id", "loss_rate")] = "80"
    data["photos"] = [(io.BytesIO(jpeg_bytes(seed=77)), "survey.jpg")]
    surveyed = officer.post(f"/claims/{claim_id}/survey", data=data, content_type="multipart/form-data")
    assert surveyed.status_code == 302, surveyed.get_data(as_text=True)[:2000]
    with s3_app.app_context():
        assert db.session.get(Claim, claim_id).status == ClaimStatus.SURVEYED

    # The receipt and the survey record were rendered by the worker, not by a node's request.
    documents = _documents_ready(s3_app, claim_id, kinds=2)
    assert cluster.worker is not None
    worker_log = cluster.worker.output()
    with s3_app.app_context():
        for document in documents:
            job = db.session.execute(select(Job).where(Job.key == f"render_document:{document.id}")).scalar_one()
            assert job.status == JobStatus.DONE and f"claims.core.jobs.perform({job.id})" in worker_log, worker_log[-2000:]
    cluster.use("A")
    for document in documents:
        pdf = officer.get(f"/claims/{claim_id}/documents/{document.id}")  # pinned to B; the villager on A below
        assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
        mine = villager.get(f"/claims/{claim_id}/documents/{document.id}")
        assert mine.status_code == 200 and mine.get_data().startswith(b"%PDF")
    # Every file is in the bucket; no node wrote one to its own disk.
    bucket, _, prefix = s3_app.config["STORAGE_URL"].removeprefix("s3://").partition("/")
    s3 = boto3.client("s3", endpoint_url=s3_app.config["S3_ENDPOINT_URL"], region_name=s3_app.config["S3_REGION"])
    stored = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0)
    assert stored >= 2 * 3 + 1 + len(documents)  # two photos and the survey photo (original, display, thumbnail), documents
    assert not Path(cluster.env["UPLOAD_FOLDER"]).exists() or not any(Path(cluster.env["UPLOAD_FOLDER"]).rglob("*.*"))


def test_throttling_counts_one_client_across_nodes(cluster: Cluster) -> None:
    statuses = []
    for n in range(6):
        client = cluster.client("A" if n % 2 == 0 else "B")
        token = csrf_token(client)
        attempt = {"login": f"1390{n}{secrets.randbelow(10**6):06d}", "password": "wrong-password", "csrf_token": token}  # a new login each time
        statuses.append(client.post("/login", data=attempt).status_code)
    assert statuses == [200] * 5 + [429]  # five wrong passwords a minute from one address, wherever they landed


def test_two_approvers_on_two_nodes_at_once_give_one_result(s3_app: Flask, cluster: Cluster) -> None:
    with s3_app.app_context():
        claim = valued_claim("chaling", seed=5)
        batch = operations.create_notice_batch(claim.township, [claim], local_today(), actor=find_user("clerk_cl"))
        new_staff(login="approver_cl2", name="谭卫东", role=Role.APPROVER, region=region("430224"))
        db.session.commit()
        today = local_today()  # the notice has run: its dates lie in the past (the nodes' clocks are not frozen)
        db.session.execute(
            update(NoticeBatch).where(NoticeBatch.id == batch.id).values(start_date=today - timedelta(days=12), end_date=today - timedelta(days=3))
        )
        db.session.commit()
        claim_id, version = claim.id, str(claim.version)
    approvers = []
    for node, name in (("A", "approver_cl"), ("B", "approver_cl2")):
        client = cluster.client(node)
        login(client, name, DEMO_PASSWORD if name == "approver_cl" else "Survey#2026x")
        approvers.append((client, csrf_token(client, f"/claims/{claim_id}")))
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def approve(client, token: str) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        statuses.append(client.post(f"/claims/{claim_id}/approve", data={"csrf_token": token, "version": version, "reason": ""}).status_code)

    threads = [threading.Thread(target=approve, args=pair) for pair in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(statuses) in ([302, 302], [302, 409]), statuses  # the loser is told, never a 500
    with s3_app.app_context():
        claim = db.session.get(Claim, claim_id)
        events = db.session.execute(select(AuditEvent.action).where(AuditEvent.claim_id == claim_id, AuditEvent.action.like("approve%"))).scalars().all()
        assert claim.status == ClaimStatus.APPROVED, claim.status
        assert events.count("approve") == 1, events
        assert verify_chain().ok
    decisions = [d for d in _documents_ready(s3_app, claim_id, kinds=1) if d.kind.value == "compensation"]
    assert len(decisions) == 1
