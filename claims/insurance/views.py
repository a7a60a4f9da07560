"""The insurer's portal (queue, package, decision, payment) and policy administration with the ledger."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import Role, User
from claims.accounts.permissions import is_province_wide
from claims.accounts.session import roles_required
from claims.approval.payments import record_insurer_payment
from claims.core.inputs import bounded_int, form_version
from claims.extensions import db
from claims.insurance import operations, services
from claims.insurance.forms import InsurerDecisionForm, InsurerForm, InsurerPaymentForm, MemberForm, PolicyForm, PremiumForm
from claims.insurance.models import InsurancePolicy, Insurer, InsurerDecision, InsurerMember, PolicyLimit, Referral, Split
from claims.insurance.permissions import insurer_of
from claims.intake.permissions import visible_claim_or_404
from claims.regions.models import Region, RegionLevel
from claims.workflow.actions import run_action
from claims.workflow.audit import record_event
from claims.workflow.services import WorkflowError

bp = Blueprint("insurance", __name__)


@bp.route("/insurer/")
@roles_required(Role.INSURER)
def portal():  # type: ignore[no-untyped-def]
    page = services.referrals_of(insurer_of(g.user), request.args.get("after"))
    return render_template("insurance/portal.html", referrals=page)


def _referral(claim_id: int) -> Referral:
    claim = visible_claim_or_404(claim_id, g.user)  # 404 unless referred to this user's insurer
    referral = db.session.execute(select(Referral).where(Referral.claim_id == claim.id)).scalar_one_or_none()
    if referral is None:
        abort(404)
    return referral


def _decision_form(referral: Referral) -> InsurerDecisionForm:
    form = InsurerDecisionForm()
    form.valuation = {str(line.index): line.amount for line in services.award_lines(referral.claim)}
    if request.method == "GET":
        form.version.data = referral.claim.version
        for line in services.award_lines(referral.claim):
            entry = form.lines.append_entry()
            entry.form.index.data = str(line.index)
            entry.form.amount.data = line.amount
    return form


def _render(referral: Referral, form: InsurerDecisionForm, status: int = 200, pay_form: InsurerPaymentForm | None = None):  # type: ignore[no-untyped-def]
    lines = {str(line.index): line for line in services.award_lines(referral.claim)}
    split = db.session.get(Split, referral.claim_id)
    pay_form = pay_form or InsurerPaymentForm()
    return render_template("insurance/referral.html", referral=referral, claim=referral.claim, form=form, lines=lines, split=split, pay_form=pay_form), status


@bp.route("/insurer/referrals/<int:claim_id>", methods=["GET", "POST"])
@roles_required(Role.INSURER)
def referral(claim_id: int):  # type: ignore[no-untyped-def]
    item = _referral(claim_id)
    form = _decision_form(item)
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render(item, form, 422)
        decision = InsurerDecision(form.decision.data)
        known = {line.index: line for line in services.award_lines(item.claim)}
        adjustments = {}
        if decision == InsurerDecision.ADJUST:
            for entry in form.lines.entries:
                index = int(entry.form.index.data or -1)
                if index in known and entry.form.amount.data is not None and Decimal(entry.form.amount.data) != known[index].amount:
                    adjustments[index] = (Decimal(entry.form.amount.data), entry.form.reason.data or "")
        version = form_version(form.version.data)
        claim = item.claim
        return run_action(
            claim,
            lambda: operations.decide_as_insurer(
                claim,
                decision,
                actor=g.user,
                adjustments=adjustments,
                decline_reason=(form.decline_reason.data or "").strip() or None,
                note=form.note.data or None,
                expected_version=version,
            ),
            _("The decision was recorded."),
        )
    return _render(item, form)


@bp.route("/insurer/referrals/<int:claim_id>/payment", methods=["POST"])
@roles_required(Role.INSURER)
def insurer_payment(claim_id: int):  # type: ignore[no-untyped-def]

    item = _referral(claim_id)
    form = InsurerPaymentForm()
    if not form.validate_on_submit():
        return _render(item, _decision_form(item), 422, pay_form=form)  # the payment form's own messages, what was typed kept
    claim = item.claim
    return run_action(
        claim, lambda: record_insurer_payment(claim, Decimal(form.amount.data), form.reference.data, actor=g.user), _("The payment was recorded.")
    )


# Administration ---------------------------------------------------------------------------------------
def _policy_regions() -> list[Region]:
    prefix = g.user.region.path if g.user.region else ""
    query = select(Region).where(Region.path.startswith(prefix), Region.level.in_([RegionLevel.COUNTY, RegionLevel.TOWNSHIP])).order_by(Region.path)
    return list(db.session.execute(query).scalars())


def _policy_form() -> PolicyForm:
    form = PolicyForm()
    form.insurer_id.choices = [(i.id, i.name) for i in db.session.execute(select(Insurer).order_by(Insurer.name)).scalars()]
    form.policyholder_region_id.choices = [(r.id, f"{r.name}（{r.level.title}）") for r in _policy_regions()]
    return form


@bp.route("/admin/policies", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.APPROVER)
def policies():  # type: ignore[no-untyped-def]
    form, premium = _policy_form(), PremiumForm()
    if request.method == "POST" and g.user.role == Role.ADMIN and request.form.get("what") == "premium":
        if premium.validate_on_submit():
            return _set_premium(premium)
    elif request.method == "POST" and g.user.role == Role.ADMIN and form.validate_on_submit():
        try:
            policy = services.create_policy(form, actor=g.user)
        except WorkflowError as exc:
            form.number.errors.append(exc.message)
        else:
            flash(_("Policy %(number)s was saved.", number=policy.number), "success")
            return redirect(url_for("insurance.policies"))
    regions = {r.id for r in _policy_regions()}
    rows = [p for p in db.session.execute(select(InsurancePolicy).order_by(InsurancePolicy.term_start.desc())).scalars() if p.policyholder_region_id in regions]
    ledgers = {p.id: services.ledger_view(p) for p in rows}
    limit_fields = [getattr(form, f"limit_{k.value}") for k in PolicyLimit]
    page = {"form": form, "premium_form": premium, "policies": rows, "ledgers": ledgers, "limit_fields": limit_fields}
    return render_template("insurance/policies.html", **page), (422 if form.errors or premium.errors else 200)


def _set_premium(form: PremiumForm):  # type: ignore[no-untyped-def]
    policy = db.session.get(InsurancePolicy, bounded_int(form.policy_id.data, 1) or 0)
    if policy is None or policy.policyholder_region_id not in {r.id for r in _policy_regions()}:
        abort(404)
    services.set_premium(policy, form.premium.data, actor=g.user)
    flash(_("The premium of policy %(number)s was saved.", number=policy.number), "success")
    return redirect(url_for("insurance.policies"))


@bp.route("/admin/insurers", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def insurers():  # type: ignore[no-untyped-def]

    if not is_province_wide(g.user):  # insurers serve several counties: a county admin may not relink them
        abort(404)
    form, member_form = InsurerForm(prefix="ins"), MemberForm(prefix="mem")
    member_form.user_id.choices = [
        (u.id, f"{u.name} ({u.login})") for u in db.session.execute(select(User).where(User.role == Role.INSURER).order_by(User.login)).scalars()
    ]
    member_form.insurer_id.choices = [(i.id, i.name) for i in db.session.execute(select(Insurer).order_by(Insurer.name)).scalars()]
    if request.form.get("what") == "insurer" and form.validate_on_submit():
        db.session.add(Insurer(name=form.name.data.strip(), short_name=form.short_name.data.strip()))
        record_event(entity="insurer", action="insurer_created", actor=g.user, changes={"name": form.name.data})
        return redirect(url_for("insurance.insurers"))
    if request.form.get("what") == "member" and member_form.validate_on_submit():
        member = db.session.get(InsurerMember, member_form.user_id.data) or InsurerMember(user_id=member_form.user_id.data)
        member.insurer_id = member_form.insurer_id.data
        db.session.add(member)
        record_event(entity="user", entity_id=member.user_id, action="adjuster_linked", actor=g.user, changes={"insurer": member.insurer_id})
        return redirect(url_for("insurance.insurers"))
    members = db.session.execute(select(InsurerMember)).scalars().all()
    rows = db.session.execute(select(Insurer).order_by(Insurer.name)).scalars().all()
    return render_template("insurance/insurers.html", form=form, member_form=member_form, insurers=rows, members=members)
