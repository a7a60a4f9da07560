"""Public notice pages, the approval queue and decisions, payment batches and results."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from claims.accounts.models import Role
from claims.accounts.session import login_required, roles_required
from claims.approval import advances, budget, operations, payments, services
from claims.approval import documents as award_documents
from claims.approval.forms import (
    ApproveAdvanceForm,
    ApproveForm,
    BatchApproveForm,
    CorrectAccountForm,
    LineResultForm,
    NoticeForm,
    ObjectionForm,
    ObjectionReviewForm,
    RefuseAdvanceForm,
    RefuseAwardForm,
    ReopenBatchForm,
    RequestAdvanceForm,
    ResultFileForm,
)
from claims.approval.models import NoticeBatch, NoticeEntry, ObjectionOutcome, Payment, PaymentBatch
from claims.core.inputs import bounded_int
from claims.core.inputs import form_version as _version
from claims.core.pagination import PAGE_SIZE, SECTION_SIZE
from claims.core.time import local_today
from claims.documents.models import IssuedDocument
from claims.documents.permissions import can_view_document
from claims.extensions import db
from claims.intake.models import Claim
from claims.intake.permissions import can_view_claim, visible_claim_or_404
from claims.intake.views import render_detail
from claims.valuation.services import adjusted_lines_of
from claims.workflow.actions import kept, run_action
from claims.workflow.services import WorkflowError

bp = Blueprint("approval", __name__)


# Public notice --------------------------------------------------------------------------------------
@bp.route("/notices", methods=["GET", "POST"])
@roles_required(Role.CLERK)
def notices():  # type: ignore[no-untyped-def]
    township, after, section = g.user.region, request.args.get("after"), request.args.get("list")
    form = NoticeForm()
    if request.method == "POST":  # the claims ticked on whichever page, still ready
        chosen = db.session.execute(services.ready_query(township, posted_ids()).order_by(Claim.id)).scalars().all()
        form.claims.choices = [(c.id, c.number) for c in chosen]
        gone = set(posted_ids()) - {c.id for c in chosen}  # a second press, or another clerk's notice, took them first
        if gone:
            form.validate_on_submit()  # the other fields' messages too
            form.claims.errors = [_("Some ticked claims are no longer waiting for a notice (another notice may have them): the list below is up to date.")]
        elif form.validate_on_submit():
            try:
                batch = operations.create_notice_batch(township, chosen, form.start_date.data, actor=g.user)
            except WorkflowError as exc:
                db.session.rollback()
                form.claims.errors.append(exc.message)
            else:
                flash(_("The notice was created. Print it and post it in the villages."), "success")
                return redirect(url_for("approval.notice", batch_id=batch.id))
    elif request.method == "GET":
        form.start_date.data = local_today()
    ready = services.ready_for_notice(township, None if section else after, size=SECTION_SIZE if section else PAGE_SIZE)
    batches = services.notice_batches(township, after if section == "batches" else None, size=PAGE_SIZE if section else SECTION_SIZE)
    page = {"ready": ready, "batches": batches, "totals": services.award_totals(c.id for c in ready), "counts": services.entry_counts(b.id for b in batches)}
    return render_template("approval/notices.html", form=form, section=section, today=local_today(), **page), (422 if form.errors else 200)


def posted_ids() -> list[int]:
    """The claim ids ticked in a list form (malformed ones dropped: they match nothing)."""
    return [i for i in (bounded_int(v, 1) for v in request.form.getlist("claims")) if i is not None]


def _batch(batch_id: int) -> NoticeBatch:
    # The notice lists its claims: loaded with the entries, not one by one (the claims' villages too).
    entries = selectinload(NoticeBatch.entries).selectinload(NoticeEntry.claim).selectinload(Claim.village)
    batch = db.session.get(NoticeBatch, batch_id, options=[entries])
    if batch is None or not any(can_view_claim(g.user, e.claim) for e in batch.entries):
        abort(404)
    return batch


def _visible(documents: list[IssuedDocument]) -> list[IssuedDocument]:
    """A batch's documents the user may download (the same rules as the download itself)."""
    return [d for d in documents if can_view_document(g.user, d)]


def _notice_page(batch: NoticeBatch, form: ObjectionForm, status: int = 200):  # type: ignore[no-untyped-def]
    documents = _visible(award_documents.notice_list_documents(batch))
    can_object = g.user.role == Role.CLERK
    return render_template("approval/notice.html", batch=batch, objection_form=form, today=local_today(), can_object=can_object, documents=documents), status


@bp.route("/notices/<int:batch_id>")
@roles_required(Role.CLERK, Role.OFFICER, Role.APPROVER, Role.ADMIN)
def notice(batch_id: int):  # type: ignore[no-untyped-def]
    return _notice_page(_batch(batch_id), ObjectionForm())


@bp.route("/notices/<int:batch_id>/print")
@roles_required(Role.CLERK, Role.OFFICER, Role.APPROVER, Role.ADMIN)
def notice_print(batch_id: int):  # type: ignore[no-untyped-def]
    return render_template("approval/notice_print.html", batch=_batch(batch_id))


@bp.route("/notices/<int:batch_id>/objection", methods=["POST"])
@roles_required(Role.CLERK)
def objection(batch_id: int):  # type: ignore[no-untyped-def]
    batch = _batch(batch_id)
    form = ObjectionForm()
    entry = next((e for e in batch.entries if not e.withdrawn and str(e.claim_id) == (form.claim_id.data or "")), None)
    if entry is None:
        abort(404)
    if not form.validate_on_submit():
        return _notice_page(batch, form, 422)
    claim = entry.claim
    return run_action(
        claim,
        lambda: operations.record_objection(claim, form.objector.data, form.reason.data, actor=g.user, objector_mobile=form.objector_mobile.data or None),
        _("The objection was recorded; the county reviews it and the objector is told the outcome."),
    )


@bp.route("/claims/<int:claim_id>/objection-review", methods=["POST"])
@roles_required(Role.OFFICER, Role.APPROVER)
def objection_review(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = ObjectionReviewForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"objection_review": form}, 422)
    return run_action(
        claim,
        lambda: operations.review_objection(
            claim, ObjectionOutcome(form.outcome.data), form.finding.data, actor=g.user, expected_version=_version(form.version.data)
        ),
        _("The finding on the objection was recorded; the claimant and the objector are told."),
    )


# Approval -------------------------------------------------------------------------------------------
@bp.route("/approvals", methods=["GET", "POST"])
@roles_required(Role.APPROVER)
def approvals():  # type: ignore[no-untyped-def]
    form = BatchApproveForm()
    if request.method == "POST":
        chosen = db.session.execute(services.approval_query(g.user.region_id, posted_ids()).order_by(Claim.id)).scalars().all()
        form.claims.choices = [(c.id, c.number) for c in chosen]
        if form.validate_on_submit():
            return _approve_all(chosen)
    section, after = request.args.get("list"), request.args.get("after")
    queue = services.approval_queue(g.user.region_id, None if section else after)
    objections = services.objection_queue(g.user.region_id, after if section == "objections" else None, size=PAGE_SIZE if section else SECTION_SIZE)
    ids = [c.id for c in queue]
    entries = services.current_entries(ids)
    page = {"totals": services.award_totals(ids), "ends": {i: (entries[i].batch.end_date if i in entries else None) for i in ids}}
    status = 422 if request.method == "POST" else 200  # a post that approved nothing: the form's message, e.g. none chosen
    return render_template(
        "approval/approvals.html", queue=queue, form=form, adjusted=adjusted_lines_of(ids), today=local_today(), objections=objections, section=section, **page
    ), status


def _approve_all(chosen: list[Claim]):  # type: ignore[no-untyped-def]
    done, first, problems = 0, 0, []
    for claim in chosen:
        try:
            with db.session.begin_nested():
                approved = operations.approve(claim, actor=g.user)
            done += approved
            first += not approved
        except WorkflowError as exc:
            problems.append(f"{claim.number}: {exc.message}")
    flash(_("%(done)d approved, %(first)d waiting for a second approver.", done=done, first=first), "success")
    for problem in problems:
        flash(problem, "warning")
    after = budget.fund_position(g.user.region_id, local_today().year)
    if done and after.recorded and after.remaining < 0:
        flash(
            _(
                "The county's %(year)d budget is now overdrawn by %(over)s yuan. Tell the finance bureau.",
                year=local_today().year,
                over=f"{-after.remaining:,.2f}",
            ),
            "warning",
        )
    return redirect(url_for("approval.approvals"))


@bp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@roles_required(Role.APPROVER)
def approve(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = ApproveForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"approve": form}, 422)
    checks: list[budget.BudgetCheck | None] = []

    def approve_and_check() -> None:
        approved = operations.approve(claim, actor=g.user, reason=form.reason.data or None, expected_version=_version(form.version.data))
        checks.append(budget.budget_check_after_approval(claim) if approved else None)  # under the chain's lock

    response = run_action(claim, approve_and_check, _("Your approval was recorded."))
    if checks and checks[0] is None:
        flash(_("A second approver must approve too, since the amount is above the county's limit."), "info")
    elif checks and checks[0].overdraws:
        flash(overdraw_message(checks[0]), "warning")
    return response


def overdraw_message(check: budget.BudgetCheck) -> str:
    return _(
        "This approval commits %(share)s yuan of government money, more than the %(remaining)s yuan left of the county's "
        "%(year)d budget: the fund is overdrawn by %(over)s yuan. Tell the finance bureau.",
        share=f"{check.share:,.2f}",
        remaining=f"{check.position.remaining:,.2f}",
        year=check.year,
        over=f"{check.shortfall:,.2f}",
    )


@bp.route("/claims/<int:claim_id>/refuse", methods=["POST"])
@roles_required(Role.APPROVER)
def refuse(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = RefuseAwardForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"refuse_award": form}, 422)
    return run_action(
        claim,
        lambda: operations.refuse(claim, form.reasons.data, form.explanation.data, actor=g.user, expected_version=_version(form.version.data)),
        _("The decision not to compensate was recorded."),
    )


# The advance on injury and death ---------------------------------------------------------------------
@bp.route("/claims/<int:claim_id>/advance", methods=["POST"])
@roles_required(Role.CLERK, Role.OFFICER)
def request_advance(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = RequestAdvanceForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"request_advance": form}, 422)
    return run_action(
        claim,
        lambda: operations.request_advance(claim, actor=g.user, reason=form.reason.data or None, expected_version=_version(form.version.data)),
        _("The advance was requested; a county approver decides within a working day."),
        refused=lambda status: render_detail(claim, {"request_advance": kept(form, claim)}, status),
    )


@bp.route("/claims/<int:claim_id>/advance/approve", methods=["POST"])
@roles_required(Role.APPROVER)
def approve_advance(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = ApproveAdvanceForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"approve_advance": form}, 422)
    return run_action(
        claim,
        lambda: operations.approve_advance(claim, actor=g.user, expected_version=_version(form.version.data)),
        _("The advance was approved; its decision is issued and it is paid with the next advance batch."),
    )


@bp.route("/claims/<int:claim_id>/advance/refuse", methods=["POST"])
@roles_required(Role.APPROVER)
def refuse_advance(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = RefuseAdvanceForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"refuse_advance": form}, 422)
    return run_action(
        claim,
        lambda: operations.refuse_advance(claim, actor=g.user, reason=form.reason.data, expected_version=_version(form.version.data)),
        _("The advance was refused; the claim goes on as before."),
        refused=lambda status: render_detail(claim, {"refuse_advance": kept(form, claim)}, status),
    )


# Payments -------------------------------------------------------------------------------------------
@bp.route("/payments", methods=["GET", "POST"])
@roles_required(Role.APPROVER)
def payment_batches():  # type: ignore[no-untyped-def]
    if request.method == "POST":
        try:
            batch = payments.create_batch(g.user.region, actor=g.user, advances=request.form.get("what") == "advances")
        except WorkflowError as exc:
            flash(exc.message, "warning")
            return redirect(url_for("approval.payment_batches"))
        return redirect(url_for("approval.payment_batch", batch_id=batch.id))
    section, after = request.args.get("list"), request.args.get("after")
    waiting = services.waiting_payments(g.user.region_id, None if section else after, size=SECTION_SIZE if section else PAGE_SIZE)
    batches = services.payment_batches(g.user.region_id, after if section == "batches" else None, size=PAGE_SIZE if section else SECTION_SIZE)
    requested = advances.waiting_advances(g.user.region_id, after if section == "advances" else None, size=PAGE_SIZE if section else SECTION_SIZE)
    return render_template("approval/payments.html", waiting=waiting, batches=batches, section=section, requested=requested)


def _payment_batch(batch_id: int) -> PaymentBatch:
    batch = db.session.get(PaymentBatch, batch_id)
    if batch is None or batch.county_id != g.user.region_id:
        abort(404)
    return batch


@bp.route("/payments/<int:batch_id>", methods=["GET", "POST"])
@roles_required(Role.APPROVER)
def payment_batch(batch_id: int):  # type: ignore[no-untyped-def]
    batch = _payment_batch(batch_id)
    upload, line = ResultFileForm(), LineResultForm()
    if request.form.get("what") == "file" and upload.validate_on_submit():
        report = payments.import_results(batch, upload.file.data.read(), actor=g.user)
        if report.errors:
            flash(_("The file was not imported: nothing was changed. Correct the lines below and import it again."), "warning")
        else:
            flash(_("%(paid)d paid, %(failed)d failed, %(same)d unchanged.", paid=report.paid, failed=report.failed, same=report.unchanged), "success")
        for error in report.errors:
            flash(error, "warning")
        return redirect(url_for("approval.payment_batch", batch_id=batch.id))
    if request.form.get("what") in ("paid", "failed") and line.validate_on_submit():
        payment = db.session.get(Payment, bounded_int(line.payment_id.data, 1) or 0)
        if payment is None or payment.batch_id != batch.id:
            abort(404)
        try:
            if request.form["what"] == "paid":
                payments.settle(payment, line.bank_reference.data or None, actor=g.user)
            else:
                payments.fail(payment, line.reason.data or _("no reason given"), actor=g.user)
        except WorkflowError as exc:
            db.session.rollback()
            flash(exc.message, "warning")
        return redirect(url_for("approval.payment_batch", batch_id=batch.id))
    return _render_batch(batch, upload=upload, line=line)


def _render_batch(batch: PaymentBatch, **forms: object):  # type: ignore[no-untyped-def]
    forms = {"upload": ResultFileForm(), "line": LineResultForm(), "reopen": ReopenBatchForm()} | forms
    status = 422 if any(getattr(f, "errors", None) for f in forms.values()) else 200
    lines = services.batch_payments(batch.id, request.args.get("after"))
    payees = payments.payees_of((p.claim_id for p in lines), advances=batch.advances)
    documents = _visible(award_documents.payment_list_documents(batch))
    return render_template("approval/payment_batch.html", batch=batch, lines=lines, payees=payees, documents=documents, **forms), status


@bp.route("/payments/<int:batch_id>/reopen", methods=["POST"])
@roles_required(Role.APPROVER)
def reopen(batch_id: int):  # type: ignore[no-untyped-def]
    batch = _payment_batch(batch_id)
    form = ReopenBatchForm()
    if not form.validate_on_submit():
        return _render_batch(batch, reopen=form)
    try:
        payments.reopen_batch(batch, form.reason.data, actor=g.user)
    except WorkflowError as exc:
        db.session.rollback()
        form.reason.errors = [exc.message]
        return _render_batch(batch, reopen=form)
    flash(_("The batch was reopened: it can be exported once more."), "success")
    return redirect(url_for("approval.payment_batch", batch_id=batch.id))


@bp.route("/payments/<int:batch_id>/export", methods=["POST"])
@roles_required(Role.APPROVER)
def export(batch_id: int) -> Response:
    batch = _payment_batch(batch_id)
    try:
        data = payments.export_csv(batch, actor=g.user)
    except WorkflowError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("approval.payment_batch", batch_id=batch.id))  # type: ignore[return-value]
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{batch.reference}.csv"'
    return response


@bp.route("/claims/<int:claim_id>/bank-account", methods=["POST"])
@login_required
@roles_required(Role.CLERK, Role.VILLAGER)
def correct_account(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    form = CorrectAccountForm()
    if not form.validate_on_submit():
        return render_detail(claim, {"correct_account": form}, 422)
    try:
        payments.correct_account(claim, form.bank_name.data, form.bank_account.data, actor=g.user, reason=form.reason.data)
    except WorkflowError as exc:
        db.session.rollback()
        form.reason.errors = [exc.message]  # what was typed stays in the form
        return render_detail(claim, {"correct_account": form}, 422)
    else:
        flash(_("The bank account was corrected; the payment will be made again."), "success")
    return redirect(url_for("intake.detail", claim_id=claim.id))
