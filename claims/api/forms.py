"""The administrator's forms for API clients and their tokens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from claims.api.models import KIND_EVENTS, ClientKind, Scope, WebhookEvent
from claims.core.forms import DateField, IdSelectField, MultiCheckboxField


class ClientForm(FlaskForm):
    name = StringField(_l("Name of the system"), validators=[DataRequired(_l("Please enter a name.")), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=[(k.value, k.title) for k in ClientKind], validators=[DataRequired()])
    insurer_id = IdSelectField(_l("Insurer (for an insurer's system)"))
    region_id = IdSelectField(_l("Region (for a platform)"))

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, k.title) for k in ClientKind]  # titles in the request's language


class TokenForm(FlaskForm):
    scopes = MultiCheckboxField(_l("Scopes"), choices=[])
    expires_on = DateField(_l("Expires on (at 00:00, Beijing time)"), validators=[DataRequired(_l("Please enter a date."))])

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.scopes.choices = [(s.value, f"{s.title} ({s.value})") for s in Scope]


class RotateForm(FlaskForm):
    revoke_old = BooleanField(_l("End the old token at once (otherwise it stays valid for one more hour)"))


class WebhookForm(FlaskForm):
    url = StringField(_l("Address (URL) of the receiving system"), validators=[DataRequired(_l("Please enter the address.")), Length(max=500)])
    events = MultiCheckboxField(_l("Events"), choices=[])

    def __init__(self, *args, kind: ClientKind | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        allowed = KIND_EVENTS[kind] if kind is not None else frozenset(WebhookEvent)
        self.events.choices = [(e.value, e.title) for e in WebhookEvent if e in allowed]
