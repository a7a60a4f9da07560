"""Forms for incidents: create one from a claim, or join a claim to one of the county's."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from claims.core.forms import DateField, DateTimeLocalField, IntegerField, MultiCheckboxField, coerce_id
from claims.core.time import local_to_utc
from claims.core.validators import PlainText
from claims.survey.incidents import IncidentInput
from claims.survey.mass_event import ClaimFilter


class IncidentForm(FlaskForm):
    occurred_at = DateTimeLocalField(_l("When it happened"), format="%Y-%m-%dT%H:%M", validators=[DataRequired(_l("When did it happen?"))])
    place = StringField(_l("Where it happened"), validators=[DataRequired(_l("Say where it happened.")), Length(max=200), PlainText()])
    herd_size = IntegerField(_l("How many animals (if known)"), validators=[Optional(), NumberRange(min=1, max=10000)])

    def to_input(self, *, village_id: int | None, species_id: int | None) -> IncidentInput:
        return IncidentInput(local_to_utc(self.occurred_at.data), self.place.data or "", village_id, species_id, self.herd_size.data)


class JoinIncidentForm(FlaskForm):
    incident = SelectField(_l("Incident to join"), coerce=coerce_id, choices=[], validators=[DataRequired(_l("Choose an incident."))])


class NewIncidentForm(IncidentForm):
    """An incident of the county created on the mass event page, before any claim is tagged into it."""

    species = SelectField(_l("Species"), coerce=coerce_id, choices=[], default=0)


class MassFilterForm(FlaskForm):
    """The search of the mass event page (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("Incident from"), validators=[Optional()])
    date_to = DateField(_l("Incident to"), validators=[Optional()])
    township = SelectField(_l("Township"), coerce=coerce_id, choices=[], validate_choice=False)
    village = SelectField(_l("Village"), coerce=coerce_id, choices=[], validate_choice=False)
    species = SelectField(_l("Species"), coerce=coerce_id, choices=[], validate_choice=False)

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def,override]
        """At least one condition: a search (and a bulk tag) of every open claim of the county is never meant."""
        valid = super().validate(extra_validators)
        if valid and not any((self.date_from.data, self.date_to.data, self.township.data, self.village.data, self.species.data)):
            self.date_from.errors = [_l("Give at least one condition: the dates, a township or village, or the species.")]
            return False
        return valid

    def to_filter(self, county_id: int) -> ClaimFilter:
        return ClaimFilter(county_id, self.date_from.data, self.date_to.data, self.township.data or None, self.village.data or None, self.species.data or None)


class LeaveIncidentForm(FlaskForm):
    incident = HiddenField()  # the incident the page showed
    version = HiddenField()  # the claim's version the page showed
    reason = TextAreaField(_l("Why the claim leaves the incident"), validators=[DataRequired(_l("Say why the claim leaves the incident.")), Length(max=1000)])


class BulkAssignForm(FlaskForm):
    surveyors = MultiCheckboxField(_l("Surveyors"), coerce=coerce_id, choices=[], validators=[DataRequired(_l("Choose the surveyors."))])


class BulkForm(FlaskForm):
    """Tag (with the search's values as hidden fields) or value: only the CSRF token."""
