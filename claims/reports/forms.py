"""The reports' filters: the period (stage times, the incident map), and the map's species and status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from claims.core.forms import DateField, IdSelectField, IntegerField
from claims.core.time import local_today
from claims.insurance.models import InsurancePolicy
from claims.regions.models import Species
from claims.reports.bordereau import Month
from claims.reports.map import MapFilter
from claims.reports.services import Period
from claims.reports.statistics import FIRST_YEAR, LAST_YEAR
from claims.workflow.states import ClaimStatus

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

    def validate(self, extra_validators: Any = None) -> bool:
        """The period's own checks, whichever of its dates is empty (a field's validator after Optional() would not run
        for an empty "To", and a "From" alone could ask for 26 years or end before it starts)."""
        if not super().validate(extra_validators):
            return False
        period = self.period()
        if period.last < period.first:
            self.date_to.errors = [*self.date_to.errors, str(_l("The period cannot end before it starts."))]
            return False
        if (period.last - period.first).days >= MAX_DAYS:
            self.date_to.errors = [*self.date_to.errors, str(_l("Choose a period of at most %(days)s days.", days=MAX_DAYS))]
            return False
        return True


class DashboardPeriodForm(PeriodForm):
    """The dashboards' period: the same fields and checks; empty means this year so far (counted in whole months)."""

    def period(self) -> Period:
        last = self.date_to.data or local_today()
        return Period(self.date_from.data or last.replace(month=1, day=1), last)


class MapForm(PeriodForm):
    """The incident map's filters: the period (of the incident date), a species and a status; empty means any.
    Chosen by value (a species' code, a status' value), so a link names what it shows."""

    species = SelectField(_l("Animal"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args: Any, species: list[Species], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.species.choices = [("", str(_l("Any")))] + [(s.code, s.name_zh) for s in species]
        self.status.choices = [("", str(_l("Any")))] + [(s.value, s.title) for s in ClaimStatus if s != ClaimStatus.DRAFT]

    def map_filter(self) -> MapFilter:
        return MapFilter(self.period(), self.species.data or None, ClaimStatus(self.status.data) if self.status.data else None)

    def query_args(self) -> dict[str, str]:
        """The filters as they were chosen, for the points' URL."""
        return {name: value for name in ("date_from", "date_to", "species", "status") if (value := self[name].raw_data and self[name].raw_data[0])}


class YearForm(FlaskForm):
    """The year of the statistics table; empty means the current year. Read from the query string (the page) or the
    form (the exports, which carry the CSRF token of their POST)."""

    year = IntegerField(
        _l("Year"),
        validators=[Optional(), NumberRange(min=FIRST_YEAR, max=LAST_YEAR, message=_l("Choose a year from %(min)s to %(max)s."))],
    )

    def chosen_year(self) -> int:
        return self.year.data or local_today().year


class BordereauForm(FlaskForm):
    """A policy among those the reader may read, and a month (YYYY-MM); empty means the current month."""

    policy = IdSelectField(_l("Policy"), validators=[InputRequired(message=_l("Choose a policy."))], validate_choice=False)
    month = StringField(_l("Month"), validators=[Optional(), Length(max=7)], render_kw={"placeholder": "2026-03", "type": "month"})

    def __init__(self, *args: Any, policies: list[InsurancePolicy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policies = {p.id: p for p in policies}
        self.policy.choices = [(p.id, f"{p.number}（{p.insurer.short_name}，{p.policyholder.name}）") for p in policies]

    def chosen_month(self) -> Month:
        return Month.parse(self.month.data or "") or Month(local_today().year, local_today().month)

    def validate_policy(self, field: Any) -> None:
        if field.data not in self.policies:  # another insurer's policy answers as one that does not exist
            raise ValidationError(str(_l("Choose a policy from the list.")))

    def validate_month(self, field: Any) -> None:
        if field.data and Month.parse(field.data) is None:
            raise ValidationError(str(_l("Give the month as year and month, such as 2026-03.")))

    def chosen_policy(self) -> InsurancePolicy:
        return self.policies[self.policy.data]
