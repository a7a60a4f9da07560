"""Filing, following and withdrawing claims; serving their photos to those who may see them."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, abort, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from claims.accounts.models import Role
from claims.accounts.session import login_required, roles_required
from claims.core.inputs import bounded_int, form_version
from claims.core.storage import send_stored
from claims.core.sync import answer as sync_answer
from claims.core.sync import field_errors, form_values, is_sync_request, note_arrival, offline_form
from claims.extensions import db
from claims.intake import enquiry, evidence, operations, permissions, services
from claims.intake.forms import ClaimForm, LinkClaimForm, SendCodeForm, StatusEnquiryForm
from claims.intake.models import Claim, Photo
from claims.intake.permissions import visible_claim_or_404
from claims.intake.rescue import forget_stash, take_rescued_form
from claims.regions.services import PlacePicker, all_species
from claims.reports.permissions import can_export_claims
from claims.survey.services import survey_summary
from claims.workflow.codes import CodeRejected
from claims.workflow.history import claim_history, claim_on_server
from claims.workflow.panels import action_panels
from claims.workflow.queues import is_overdue
from claims.workflow.services import WorkflowError
from claims.workflow.states import ClaimStatus

bp = Blueprint("intake", __name__, url_prefix="/claims")


def _form(claim: Claim | None = None, *, proxy: bool = False) -> ClaimForm:
    picker = PlacePicker([g.user.region.parent_id] if g.user.role == Role.CLERK and g.user.region else None)
    rescued = take_rescued_form() if request.method == "GET" else None
    # formdata=None would leave a POSTed form unbound (Flask-WTF reads the request only when it is not given).
    bound = {"formdata": rescued} if rescued is not None else {}
    form = ClaimForm(**bound, regions=picker, species=all_species())
    if rescued is None and request.method == "GET":
        if claim is not None:
            form.load_claim(claim)
        else:
            form.submission_key.data = uuid.uuid4().hex
            _prefill(form, proxy)
    form.picker = picker  # type: ignore[attr-defined]
    form.saving_only = request.method == "POST" and request.form.get("action") != "submit"
    return form


def _prefill(form: ClaimForm, proxy: bool) -> None:
    if not proxy:
        form.claimant_name.data = g.user.name
        form.claimant_mobile.data = g.user.mobile
    if g.user.role == Role.CLERK and g.user.region is not None:  # a clerk's form lists the clerk's county only
        form.county_id.data = g.user.region.parent_id
        form.township_id.data = g.user.region_id if proxy else None


def _render_form(form: ClaimForm, claim: Claim | None, proxy: bool, outcome: services.FilingOutcome | None = None):  # type: ignore[no-untyped-def]
    """The form page; 422 when it comes back refused (what was typed is in it, the draft kept what passed)."""
    if outcome is not None and is_sync_request():
        return _sync_refused(form, claim, outcome)
    page = render_template(
        "intake/claim_form.html", form=form, claim=claim, proxy=proxy, outcome=outcome, photos=services.active_photos(claim) if claim else []
    )
    if outcome is None:
        # A new filing, and the claimant's own draft or correction, are kept on the phone to open without a signal. Not a
        # clerk's form of a villager's claim: it holds that villager's full ID number and bank account.
        mine = claim is None or claim.claimant_user_id == g.user.id
        return offline_form(make_response(page, 200)) if mine else (page, 200)
    g.keep_draft = True  # the draft holds what passed; the answer says the rest was refused
    return page, 422


def _sync_refused(form: ClaimForm, claim: Claim | None, outcome: services.FilingOutcome):  # type: ignore[no-untyped-def]
    """A draft from the phone that arrived but cannot be submitted as it is: the server's draft keeps what passed
    (with its photos), and its page, where the user corrects it, says what is missing."""
    g.keep_draft = True
    problems = [*outcome.problems, *(f"{p.filename}: {p.message}" for p in outcome.photo_problems)]
    errors = field_errors(form)
    if outcome.bank_problem:
        errors["bank_change_reason"] = [outcome.bank_problem]
    message = _("The claim arrived as a draft and is not submitted yet: please correct it.")
    for problem in outcome.photo_problems:  # the draft's page shows the rest; a refused photo is not on it
        flash(f"{problem.filename}: {problem.message}", "warning")
    if claim is None:
        return sync_answer("invalid", 422, message=message, errors=errors, problems=problems, url=None)
    # What passed is saved, so the claim's version moved on: the page posts its form again at this version to draw it
    # with each message beside its field (static/js/drafts-ui.js), not as a change made by someone else meanwhile.
    db.session.flush()
    url = url_for("intake.edit_claim", claim_id=claim.id)
    return sync_answer("invalid", 422, message=message, errors=errors, problems=problems, url=url, version=claim.version)


def _done(endpoint: str, claim: Claim, message: str | None = None):  # type: ignore[no-untyped-def]
    """Where a filing goes next: the page, or for a draft sent from the phone the answer naming that page."""
    url = url_for(endpoint, claim_id=claim.id)
    if is_sync_request():
        return sync_answer("done", message=message or "", url=url)
    return redirect(url)


def _handle_post(form: ClaimForm, claim: Claim | None, *, proxy: bool):  # type: ignore[no-untyped-def]
    """Save the draft whatever happens, then submit if asked and complete, else show what is wrong."""
    forget_stash(session.pop("stash_used", None))  # the rescued values are in this form now
    form_ok = form.validate()
    if not is_sync_request():
        note_arrival(request.form.get("submission_key"))
    drawn_for_claim = claim is not None  # the edit form of a claim, which carries the version it was drawn at
    if claim is None:
        key = form.submission_key.data or uuid.uuid4().hex
        claim = services.start_draft(actor=g.user, submission_key=key, for_self=not proxy)
        if claim.status != ClaimStatus.DRAFT and claim.number is None:  # the form of a draft withdrawn since: a new one
            claim = services.start_draft(actor=g.user, submission_key=uuid.uuid4().hex, for_self=not proxy)
        if claim.status != ClaimStatus.DRAFT:  # the second click of a double click, or a draft sent again
            return _done("intake.acknowledgement", claim, _("The claim was submitted."))
    if not permissions.can_edit_claim(g.user, claim):
        return _done("intake.detail", claim)
    if drawn_for_claim and (seen := form_version(request.form.get("version"))) is not None and seen != claim.version:
        return _changed_meanwhile(form, claim, proxy)  # changed since this form was drawn (a correction kept on a phone)
    try:
        outcome = operations.save_filing(claim, form.to_input(), form.uploads(), actor=g.user, submit=request.form.get("action") == "submit", form_ok=form_ok)
    except WorkflowError as exc:
        if is_sync_request():
            return sync_answer("refused", 422, message=exc.message, url=url_for("intake.detail", claim_id=claim.id))
        flash(exc.message, "error")
        return redirect(url_for("intake.detail", claim_id=claim.id))
    if outcome.submitted:
        return _done("intake.acknowledgement", claim, _("The claim was submitted."))
    if outcome.bank_problem:
        form.bank_change_reason.errors = [outcome.bank_problem]
    removed = _remove_photo(claim, bounded_int(request.form.get("remove_photo"), 1))
    if outcome.species_warning:
        flash(outcome.species_warning, "warning")
    if removed or (request.form.get("action") != "submit" and form_ok and not outcome.photo_problems and not outcome.bank_problem):
        saved = _("The draft was saved. You can finish it later from “My claims”.")
        flash(_("The photo was removed.") if removed else saved, "success")
        return _done("intake.edit_claim", claim, saved)
    return _render_form(form, claim, proxy, outcome)


def _changed_meanwhile(form: ClaimForm, claim: Claim, proxy: bool):  # type: ignore[no-untyped-def]
    """The claim changed after the form was drawn (someone else saved it, or its step moved on): nothing is saved over it.
    From the phone: both versions side by side, and the user decides. On the page: the form again with what was typed,
    at the claim's present version, so that saving again is a choice made after seeing the message."""
    message = _("This claim was changed by someone else in the meantime.")
    if is_sync_request():
        current = ClaimForm(formdata=None, regions=form.picker, species=all_species())  # type: ignore[attr-defined]
        current.load_claim(claim)
        server = claim_on_server(claim, form_values(current), g.user)
        return sync_answer("conflict", 409, message=message, server=server, url=url_for("intake.edit_claim", claim_id=claim.id))
    flash(message + " " + _("Check the form and save it again."), "warning")
    page = render_template("intake/claim_form.html", form=form, claim=claim, proxy=proxy, outcome=None, photos=services.active_photos(claim))
    return page, 409


def _remove_photo(claim: Claim, photo_id: int | None) -> bool:
    photo = db.session.get(Photo, photo_id) if photo_id else None
    if photo is None or photo.claim_id != claim.id or photo.removed_at is not None:
        return False
    services.remove_photo(claim, photo, actor=g.user)
    return True


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.VILLAGER, Role.CLERK)
def new_claim():  # type: ignore[no-untyped-def]
    form = _form(proxy=False)
    if request.method == "POST":
        return _handle_post(form, None, proxy=False)
    return _render_form(form, None, proxy=False)


@bp.route("/new-for-villager", methods=["GET", "POST"])
@roles_required(Role.CLERK)
def proxy_claim():  # type: ignore[no-untyped-def]
    form = _form(proxy=True)
    if request.method == "POST":
        return _handle_post(form, None, proxy=True)
    return _render_form(form, None, proxy=True)


@bp.route("/<int:claim_id>/edit", methods=["GET", "POST"])
@login_required
def edit_claim(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    if not permissions.can_edit_claim(g.user, claim):
        if is_sync_request():  # a correction kept on the phone while the claim moved on: the phone says so, with a link
            moved_on = _("This claim can no longer be changed: it moved on since the draft was saved.")
            return sync_answer("refused", 422, message=moved_on, url=url_for("intake.detail", claim_id=claim.id))
        return redirect(url_for("intake.detail", claim_id=claim.id))
    proxy = claim.claimant_user_id != g.user.id
    form = _form(claim, proxy=proxy)
    if request.method == "POST":
        return _handle_post(form, claim, proxy=proxy)
    return _render_form(form, claim, proxy)


@bp.route("/<int:claim_id>/withdraw", methods=["POST"])
@login_required
def withdraw(claim_id: int):  # type: ignore[no-untyped-def]
    claim = visible_claim_or_404(claim_id, g.user)
    reason = (request.form.get("reason") or "")[:1000] or None
    try:
        operations.withdraw_claim(claim, reason, actor=g.user, expected_version=form_version(request.form.get("version")))
    except WorkflowError as exc:
        flash(exc.message, "error")
        return redirect(url_for("intake.detail", claim_id=claim.id))
    flash(_("The claim was withdrawn."), "info")
    return redirect(url_for("intake.detail", claim_id=claim.id))


@bp.route("/<int:claim_id>/submitted")
@login_required
def acknowledgement(claim_id: int):  # type: ignore[no-untyped-def]
    return render_template("intake/acknowledgement.html", claim=visible_claim_or_404(claim_id, g.user))


def render_detail(claim: Claim, forms: dict[str, Any] | None = None, status: int = 200, *, full_id: str | None = None) -> tuple[str, int]:
    """The claim page with the action panels the user may use; `forms` carries a refused form back.
    The ID number is masked unless `full_id` was revealed through the audited action."""

    photos = services.active_photos(claim)
    staff_view = permissions.can_see_evidence_flags(g.user)
    contact = permissions.sees_contact_details(g.user, claim)
    return render_template(
        "intake/detail.html",
        claim=claim,
        photos=photos,
        flag_notes=evidence.photo_flag_notes(claim, photos, g.user) if staff_view else {},
        village_point_missing=staff_view and evidence.village_point_missing(claim),
        history=claim_history(claim.id, show_names=g.user.role.is_staff, mask_claimants=not contact),
        may_reveal=permissions.can_see_full_identity(g.user, claim),
        full_id=full_id,
        contact_details=contact,
        can_edit=permissions.can_edit_claim(g.user, claim),
        panels=action_panels(claim, g.user, forms or {}),
        survey=survey_summary(claim),
        overdue=is_overdue(claim),
    ), status


@bp.route("/<int:claim_id>")
@login_required
def detail(claim_id: int):  # type: ignore[no-untyped-def]
    return render_detail(visible_claim_or_404(claim_id, g.user))


@bp.route("/<int:claim_id>/identity", methods=["POST"])
@login_required
def reveal_identity(claim_id: int):  # type: ignore[no-untyped-def]
    """Show the full resident ID number once, on this response only (not cached), and audit the look."""
    claim = visible_claim_or_404(claim_id, g.user)
    if not permissions.can_see_full_identity(g.user, claim):
        abort(403)
    return render_detail(claim, full_id=services.reveal_identity(claim, actor=g.user))


@bp.route("/link", methods=["GET", "POST"])
@roles_required(Role.VILLAGER)
def link_claim():  # type: ignore[no-untyped-def]
    """A villager links the claims a clerk filed for them: a code (texted, or on the receipt) and their ID number."""
    form = LinkClaimForm()
    if not form.validate_on_submit():
        return render_template("intake/link.html", form=form, send_form=SendCodeForm()), (422 if request.method == "POST" else 200)
    try:
        if form.is_sms_code():
            linked = operations.link_by_mobile_code(g.user, form.code.data, form.id_number.data)
        else:
            linked = [operations.link_by_claim_code(g.user, form.code.data, form.id_number.data)]
    except CodeRejected as exc:
        db.session.commit()  # the wrong attempt counts (claims.workflow.codes); nothing else was written
        form.code.errors.append(exc.message)
        return render_template("intake/link.html", form=form, send_form=SendCodeForm()), 422
    except WorkflowError as exc:
        db.session.rollback()
        form.code.errors.append(exc.message)
        return render_template("intake/link.html", form=form, send_form=SendCodeForm()), 422
    db.session.commit()
    flash(_("Linked: %(numbers)s. You can follow the claim here.", numbers="、".join(c.number or "" for c in linked)), "success")
    return redirect(url_for("intake.index"))


@bp.route("/status", methods=["GET", "POST"])
def status_enquiry():  # type: ignore[no-untyped-def]
    """Public, without login: a claim's status, next step and dates from its number and the last four characters of
    the claimant's ID number (claims/intake/enquiry.py); limited per address and per number (claims/core/throttle.py)."""
    form = StatusEnquiryForm()
    if not form.validate_on_submit():
        return render_template("intake/status_enquiry.html", form=form), (422 if request.method == "POST" else 200)
    answer = enquiry.enquire_status(form.number.data, form.id_last4.data)
    response = make_response(render_template("intake/status_enquiry.html", form=form, answer=answer, asked=True))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:claim_id>/claim-code", methods=["POST"])
@roles_required(Role.CLERK)
def claim_code(claim_id: int):  # type: ignore[no-untyped-def]
    """A new claim code for a lost receipt, shown once on this page to print or copy for the claimant."""
    claim = visible_claim_or_404(claim_id, g.user)
    try:
        code = operations.issue_claim_code(claim, actor=g.user)
    except WorkflowError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("intake.detail", claim_id=claim.id))
    db.session.commit()
    response = make_response(render_template("intake/claim_code.html", claim=claim, code=code))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/link/send-code", methods=["POST"])
@roles_required(Role.VILLAGER)
def send_link_code():  # type: ignore[no-untyped-def]
    if not SendCodeForm().validate_on_submit():
        abort(400)
    try:
        operations.send_link_code(g.user)
    except WorkflowError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("A code was texted to your mobile number. It is valid for 10 minutes."), "success")
    return redirect(url_for("intake.link_claim"))


@bp.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    chosen = services.status_filter(request.args.get("status"))
    page = services.claims_for(g.user, status=chosen, after=request.args.get("after"))
    flags = evidence.evidence_summaries(c.id for c in page) if permissions.can_see_evidence_flags(g.user) else {}
    can_export = can_export_claims(g.user)
    return render_template("intake/list.html", page=page, evidence=flags, status=chosen, statuses=list(ClaimStatus), can_export=can_export)


@bp.route("/<int:claim_id>/photos/<int:photo_id>/<any(display, thumb, original):variant>")
@login_required
def photo(claim_id: int, photo_id: int, variant: str) -> Response:
    claim = visible_claim_or_404(claim_id, g.user)
    item = db.session.get(Photo, photo_id)
    if item is None or item.claim_id != claim.id or item.removed_at is not None:
        abort(404)  # a removed photo is kept as evidence, but no longer served
    if variant == "original" and not permissions.can_see_full_identity(g.user, claim):
        abort(404)
    key = {"display": item.display_key, "thumb": item.thumb_key, "original": item.original_key}[variant]
    if variant != "original":
        return send_stored(key, mimetype="image/jpeg", cache_control="private, max-age=3600")
    # The original keeps its EXIF (place and time): never stored by a browser or proxy. Display copies have none.
    return send_stored(key, mimetype=item.mime, cache_control="no-store", download_name=f"photo-{item.id}.{item.format.lower()}")
