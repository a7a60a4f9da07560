"""Administrators' forms for the calendar, time limits and county settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FormError

from claims.core.forms import DateField, IdSelectField, IntegerField
from claims.regions.models import LimitKind


class CalendarDayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Choose a date."))])
    is_workday = BooleanField(_l("Working day (tick for an adjusted working weekend, leave empty for a holiday)"))
    note = StringField(_l("Note (e.g. National Day)"), validators=[Optional(), Length(max=100)])


class TimeLimitForm(FlaskForm):
    region_id = IdSelectField(_l("County (empty: every county)"), choices=[])
    kind = SelectField(_l("Step"), choices=[])
    working_days = IntegerField(_l("Working days"), validators=[DataRequired(_l("How many working days?")), NumberRange(1, 365, _l("Between 1 and 365."))])
    effective_from = DateField(_l("In force from"), validators=[DataRequired(_l("From which date?"))])
    source = StringField(_l("Source (rule or notice)"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, k.title) for k in LimitKind]


class CountySettingForm(FlaskForm):
    region_id = IdSelectField(_l("County"), choices=[])
    key = SelectField(_l("Setting"), choices=[])
    value = StringField(_l("Value"), validators=[DataRequired(_l("Enter a value.")), Length(max=200)])
    effective_from = DateField(_l("In force from"), validators=[DataRequired(_l("From which date?"))])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])

    def validate_region_id(self, field: SelectField) -> None:
        if not field.data:
            raise FormError(str(_l("Choose the county.")))


class ConflictForm(FlaskForm):
    relative_id_number = StringField(_l("Relative's resident ID number"), validators=[DataRequired(_l("Enter the resident ID number."))])
    relation = StringField(_l("Relation (e.g. brother)"), validators=[DataRequired(_l("Say how you are related.")), Length(max=50)])
