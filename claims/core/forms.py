"""Form pieces shared by several domains."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.i18n import translations
from wtforms import Form, SelectField, SelectMultipleField, widgets
from wtforms import fields as wtf
from wtforms.validators import StopValidation, ValidationError

from claims.core.formatting import plain
from claims.core.inputs import EARLIEST_DATE, LATEST_DATE, MAX_INT, bounded_int

# Every form of the app takes its date, number and id fields from here, so the bounds below hold for all of
# them: a date in year 1 or 1800, a quantity of NaN or an id of 10**20 is a message on the field, never a
# 500 from the calendar, the database or an overflow.


class SubForm(Form):
    """A form repeated inside a FlaskForm (a loss line): WTForms' own messages in the user's language too.

    A plain wtforms.Form answers "Not a valid decimal value." in English whatever the locale; FlaskForm's
    subforms do not inherit its translations, so they take the same ones here.
    """

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return translations


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (easier on a phone than a multiple select)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "required" on every checkbox would make the browser demand that all of them be ticked.
        self.render_kw = {**(self.render_kw or {}), "required": False}

    def pre_validate(self, form: Any) -> None:
        values = {str(v) for v, *_ in self.iter_choices()}
        for value in self.data or []:
            if str(value) not in values:
                # Our catalog, not WTForms' (its translations answer this one in English whatever the locale).
                raise ValidationError(str(_l("'%(value)s' is not a valid choice for this field.", value=value)))


# No amount, quantity or area of ours needs more than 15 digits before or after the point.
MAX_DIGITS = 15


def _date_problem(value: date | None) -> str | None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        return str(_l("Please enter a date between %(first)s and %(last)s.", first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat()))
    return None


def _stop_at_parse_error(field: Any) -> None:
    """A value typed but not read (2026-02-30, 1e309, NaN) keeps its own message: without this stop, DataRequired would
    clear it and ask for the field as if nothing had been typed ("When did you visit the site?")."""
    typed = any(str(value).strip() for value in field.raw_data or [])
    if field.process_errors and typed:  # an empty field is left to DataRequired's question
        raise StopValidation()  # no message of its own: the parse error is already the field's


class DateField(wtf.DateField):
    """A date between 2000-01-01 and 2100-12-31."""

    def pre_validate(self, form: Any) -> None:
        _stop_at_parse_error(self)
        problem = _date_problem(self.data)
        if problem:
            raise StopValidation(problem)  # the form's own date rules never see such a date


class DateTimeLocalField(wtf.DateTimeLocalField):
    """A local date and time between 2000-01-01 and 2100-12-31."""

    def pre_validate(self, form: Any) -> None:
        _stop_at_parse_error(self)
        problem = _date_problem(self.data.date() if isinstance(self.data, datetime) else None)
        if problem:
            raise StopValidation(problem)


FEN = Decimal("0.01")


class DecimalField(wtf.DecimalField):
    """A finite decimal number: NaN, sNaN and Infinity are refused like any other text."""

    def pre_validate(self, form: Any) -> None:
        _stop_at_parse_error(self)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Please enter a number."))) from None
        if isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(str(_l("Please enter a number.")))
        if isinstance(self.data, Decimal) and abs(self.data.adjusted()) > MAX_DIGITS:  # 1e999999999 is finite, and a gigabyte written out
            self.data = None
            raise ValueError(str(_l("This number is too large.")))


class MoneyField(DecimalField):
    """An amount in yuan to the fen: more than two decimals is refused (never rounded behind the user's back, so the
    audit trail and the ledger hold what was typed), and the data is a Decimal with exactly two places."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, Decimal):
            if self.data != self.data.quantize(FEN):
                self.data = None
                raise ValueError(str(_l("Enter the amount in yuan with at most two decimals.")))
            self.data = self.data.quantize(FEN)


class QuantityField(DecimalField):
    """A DecimalField that shows a stored value as a person writes it: "20", never "2E+1" (formatting.plain).

    Only the rendering differs from DecimalField: what the user typed is shown back as typed.
    """

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return plain(self.data)


class IntegerField(wtf.IntegerField):
    """A whole number that fits the database's integer columns."""

    def pre_validate(self, form: Any) -> None:
        _stop_at_parse_error(self)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Please enter a whole number."))) from None
        if isinstance(self.data, int) and not -MAX_INT <= self.data <= MAX_INT:
            self.data = None
            raise ValueError(str(_l("This number is too large.")))


def coerce_id(value: Any) -> int:
    """A record id from a form (0 for "none chosen"); anything else is a ValueError, so a message on the field."""
    if isinstance(value, int) and not isinstance(value, bool):
        number: int | None = value if 0 <= value <= MAX_INT else None
    else:
        number = bounded_int(value) if value not in (None, "") else 0
    if number is None:
        raise ValueError(str(_l("Please choose from the list.")))
    return number


class IdSelectField(SelectField):
    """A choice of a record by its id (coerce_id)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", coerce_id)
        super().__init__(*args, **kwargs)
