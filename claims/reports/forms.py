"""The reports' filters."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Optional
from wtforms.validators import ValidationError as FormError

from claims.core.forms import DateField
from claims.core.time import local_today
from claims.reports.services import Period

DEFAULT_DAYS = 90  # a quarter, unless the reader chooses
MAX_DAYS = 366  # a year at most: bounds the work of one report (claims/reports/services.py)


class PeriodForm(FlaskForm):
    """From and to (local dates, both included); empty means the last 90 days. Read from the query string."""

    class Meta:
        csrf = False  # a GET filter that changes nothing

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def period(self) -> Period:
        last = self.date_to.data or local_today()
        return Period(self.date_from.data or last - timedelta(days=DEFAULT_DAYS - 1), last)

    def validate_date_to(self, field: DateField) -> None:
        first: date | None = self.date_from.data
        if field.data and first and field.data < first:
            raise FormError(str(_l("The period cannot end before it starts.")))
        period = self.period()
        if (period.last - period.first).days >= MAX_DAYS:
            raise FormError(str(_l("Choose a period of at most %(days)s days.", days=MAX_DAYS)))
