"""Administrators' forms for the calendar, time limits, county settings and village locations."""

from __future__ import annotations

import re

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


# A decimal degree as typed: ASCII digits only (no full-width digits, NaN or exponents), at most 7 decimals.
_DEGREES = re.compile(r"-?\d{1,3}(\.\d{1,7})?", re.ASCII)
# China lies within these bounds: a point outside is a typo, most often latitude and longitude swapped.
CHINA_LAT = (3.0, 54.0)
CHINA_LON = (73.0, 136.0)


class VillagePointForm(FlaskForm):
    """The village's reference point (WGS-84 decimal degrees); both empty removes it."""

    lat = StringField(_l("Latitude (e.g. 29.3623)"), validators=[Length(max=20)])
    lon = StringField(_l("Longitude (e.g. 112.3963)"), validators=[Length(max=20)])

    def point(self) -> tuple[float, float] | None:
        """The validated point, or None for "no point" (call after validation)."""
        if not (self.lat.data or "").strip():
            return None
        return float(self.lat.data.strip()), float(self.lon.data.strip())

    def validate_lat(self, field: StringField) -> None:
        _check_degrees(field, CHINA_LAT, _l("Enter the latitude in decimal degrees between 3 and 54, e.g. 29.3623."))

    def validate_lon(self, field: StringField) -> None:
        if bool((self.lat.data or "").strip()) != bool((field.data or "").strip()):
            raise FormError(str(_l("Enter both the latitude and the longitude, or leave both empty.")))
        _check_degrees(field, CHINA_LON, _l("Enter the longitude in decimal degrees between 73 and 136, e.g. 112.3963."))


def _check_degrees(field: StringField, bounds: tuple[float, float], message: object) -> None:
    raw = (field.data or "").strip()
    if raw and not (_DEGREES.fullmatch(raw) and bounds[0] <= float(raw) <= bounds[1]):
        raise FormError(str(message))
