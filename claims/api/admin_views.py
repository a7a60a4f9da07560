"""Administrators register other organisations' systems and issue, rotate and revoke their API tokens.

A token's secret is shown once, on the page that answers the issue or the rotation (never stored, never cached)."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from claims.accounts.models import Role
from claims.accounts.session import roles_required
from claims.api import services, webhooks
from claims.api.forms import ClientForm, RotateForm, TokenForm, WebhookForm
from claims.api.models import ApiClient, ApiToken, ClientKind, WebhookDelivery, WebhookEndpoint
from claims.api.permissions import can_manage_client
from claims.core.time import LOCAL_TZ
from claims.extensions import db
from claims.insurance.models import Insurer
from claims.regions.models import Region, RegionLevel

bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-clients")


def _client_form() -> ClientForm:
    form = ClientForm()
    form.insurer_id.choices = [(0, "—")] + [(i.id, i.name) for i in db.session.execute(select(Insurer).order_by(Insurer.name)).scalars()]
    prefix = g.user.region.path if g.user.region else ""
    levels = [RegionLevel.PROVINCE, RegionLevel.PREFECTURE, RegionLevel.COUNTY]
    regions = db.session.execute(select(Region).where(Region.path.startswith(prefix), Region.level.in_(levels)).order_by(Region.path)).scalars()
    form.region_id.choices = [(0, "—")] + [(r.id, f"{r.name}（{r.level.title}）") for r in regions]
    return form


def _page(  # type: ignore[no-untyped-def]
    form: ClientForm,
    status: int = 200,
    issued: services.IssuedToken | None = None,
    secret: tuple[WebhookEndpoint, str] | None = None,
    webhook_form: tuple[int, WebhookForm] | None = None,
):
    clients = services.clients_for(g.user)
    tokens = {c.id: services.tokens_of(c) for c in clients}
    endpoints = {c.id: webhooks.endpoints_of(c) for c in clients}
    webhook_forms = {c.id: WebhookForm(kind=c.kind, formdata=None) for c in clients}
    if webhook_form is not None:
        webhook_forms[webhook_form[0]] = webhook_form[1]  # the refused one, with what was entered and why
    response = make_response(render_template("api/clients.html", form=form, clients=clients, tokens=tokens, issued=issued, secret=secret,
                                             endpoints=endpoints, webhook_forms=webhook_forms, token_form=TokenForm(),
                                             rotate_form=RotateForm()), status)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def clients():  # type: ignore[no-untyped-def]
    form = _client_form()
    if not form.validate_on_submit():
        return _page(form, 422 if form.errors else 200)
    kind = ClientKind(form.kind.data)
    insurer = db.session.get(Insurer, form.insurer_id.data) if kind == ClientKind.INSURER and form.insurer_id.data else None
    region = db.session.get(Region, form.region_id.data) if kind == ClientKind.PLATFORM and form.region_id.data else None
    try:
        client = services.create_client(form.name.data, kind, insurer=insurer, region=region, actor=g.user)
    except services.ApiError as exc:
        getattr(form, exc.field, form.name).errors.append(exc.message)
        return _page(form, 422)
    if not can_manage_client(g.user, client):
        abort(404)  # a county administrator registering an insurer's system
    flash(_("The system %(name)s was registered. Issue it a token below.", name=client.name), "success")
    return redirect(url_for("api_admin.clients"))


def _client_or_404(client_id: int) -> ApiClient:
    client = db.session.get(ApiClient, client_id)
    if client is None or not can_manage_client(g.user, client):
        abort(404)
    return client


def _token_or_404(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or not can_manage_client(g.user, token.client):
        abort(404)
    return token


@bp.route("/<int:client_id>/tokens", methods=["POST"])
@roles_required(Role.ADMIN)
def issue(client_id: int):  # type: ignore[no-untyped-def]
    client = _client_or_404(client_id)
    form = TokenForm()
    if form.validate_on_submit():
        expires = datetime.combine(form.expires_on.data, time.min, LOCAL_TZ)
        try:
            return _page(_client_form(), issued=services.issue_token(client, form.scopes.data, expires, actor=g.user))
        except services.ApiError as exc:
            flash(exc.message, "error")
    for errors in form.errors.values():
        flash("；".join(str(e) for e in errors), "error")
    return redirect(url_for("api_admin.clients"))


@bp.route("/tokens/<int:token_id>/rotate", methods=["POST"])
@roles_required(Role.ADMIN)
def rotate(token_id: int):  # type: ignore[no-untyped-def]
    token = _token_or_404(token_id)
    form = RotateForm()
    if form.validate_on_submit():
        try:
            return _page(_client_form(), issued=services.rotate_token(token, revoke_old=form.revoke_old.data, actor=g.user))
        except services.ApiError as exc:
            flash(exc.message, "error")
    return redirect(url_for("api_admin.clients"))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN)
def revoke(token_id: int):  # type: ignore[no-untyped-def]
    services.revoke_token(_token_or_404(token_id), actor=g.user)
    flash(_("The token was revoked."), "success")
    return redirect(url_for("api_admin.clients"))


# Webhooks -----------------------------------------------------------------------------------------------------------
def _endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or not can_manage_client(g.user, endpoint.client):
        abort(404)
    return endpoint


@bp.route("/<int:client_id>/webhooks", methods=["POST"])
@roles_required(Role.ADMIN)
def add_webhook(client_id: int):  # type: ignore[no-untyped-def]
    client = _client_or_404(client_id)
    form = WebhookForm(kind=client.kind)
    if form.validate_on_submit():
        try:
            endpoint, secret = webhooks.add_endpoint(client, form.url.data, form.events.data, actor=g.user)
        except services.ApiError as exc:
            getattr(form, exc.field, form.url).errors.append(exc.message)
        else:
            return _page(_client_form(), secret=(endpoint, secret))
    return _page(_client_form(), 422, webhook_form=(client.id, form))


@bp.route("/webhooks/<int:endpoint_id>/secret", methods=["POST"])
@roles_required(Role.ADMIN)
def roll_webhook_secret(endpoint_id: int):  # type: ignore[no-untyped-def]
    endpoint = _endpoint_or_404(endpoint_id)
    if not RotateForm().validate_on_submit():
        return redirect(url_for("api_admin.clients"))
    return _page(_client_form(), secret=(endpoint, webhooks.roll_secret(endpoint, actor=g.user)))


@bp.route("/webhooks/<int:endpoint_id>/disable", methods=["POST"])
@roles_required(Role.ADMIN)
def disable_webhook(endpoint_id: int):  # type: ignore[no-untyped-def]
    endpoint = _endpoint_or_404(endpoint_id)
    if RotateForm().validate_on_submit():
        webhooks.disable_endpoint(endpoint, actor=g.user)
        flash(_("Nothing more is sent to %(url)s.", url=endpoint.url), "success")
    return redirect(url_for("api_admin.clients"))


@bp.route("/webhooks/<int:endpoint_id>")
@roles_required(Role.ADMIN)
def webhook_log(endpoint_id: int):  # type: ignore[no-untyped-def]
    endpoint = _endpoint_or_404(endpoint_id)
    before = request.args.get("before", type=int)
    deliveries = webhooks.deliveries_page(endpoint, before_id=before if before and 0 < before < 2**62 else None)
    return render_template("api/webhook.html", endpoint=endpoint, deliveries=deliveries, form=RotateForm())


@bp.route("/webhooks/deliveries/<int:delivery_id>/replay", methods=["POST"])
@roles_required(Role.ADMIN)
def replay_webhook(delivery_id: int):  # type: ignore[no-untyped-def]
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or not can_manage_client(g.user, delivery.endpoint.client):
        abort(404)
    if RotateForm().validate_on_submit():
        try:
            copy = webhooks.replay(delivery, actor=g.user)
        except services.ApiError as exc:
            flash(exc.message, "error")
        else:  # sent by a job once the request's writes commit
            flash(_("The event was sent again as delivery %(id)s.", id=copy.id), "success")
    return redirect(url_for("api_admin.webhook_log", endpoint_id=delivery.endpoint_id))
