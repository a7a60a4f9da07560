"""Forms of the insurer's portal and of policy administration."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FormError

from claims.core.forms import FEN, DateField, DecimalField, IdSelectField, IntegerField, MoneyField, MultiCheckboxField, SubForm
from claims.insurance.models import DeductibleMode, InsurerDecision, PolicyLimit
from claims.intake.models import LossCategory

MAX_PREMIUM = Decimal("100000000.00")  # 1亿 yuan: far above any county's premium; more is a typing error

DECLINE_REASONS = {
    "not_covered": _l("Loss not covered by the policy"),
    "outside_term": _l("Outside the policy term or insured area"),
    "excluded_species": _l("Species excluded by the policy"),
    "insufficient_evidence": _l("Insufficient evidence of wildlife damage"),
    "duplicate": _l("Already paid under another claim"),
    "other": _l("Other (see the note)"),
}


class AdjustLineForm(SubForm):
    index = HiddenField()
    amount = DecimalField(_l("Assessed amount (yuan)"), places=2, validators=[Optional(), NumberRange(0, 10_000_000)])
    reason = StringField(_l("Reason for the change"), validators=[Optional(), Length(max=200)])


class InsurerDecisionForm(FlaskForm):
    version = HiddenField()
    decision = RadioField(_l("Decision"), choices=[], validators=[DataRequired(_l("Choose accept, adjust or decline."))])
    lines = FieldList(FormField(AdjustLineForm), min_entries=0)
    decline_reason = SelectField(_l("Reason for declining"), choices=[], validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = [
            (InsurerDecision.ACCEPT.value, _l("Accept the valuation")),
            (InsurerDecision.ADJUST.value, _l("Adjust line amounts")),
            (InsurerDecision.DECLINE.value, _l("Decline")),
        ]
        self.decline_reason.choices = [("", "—"), *DECLINE_REASONS.items()]
        self.valuation: dict[str, Decimal] = {}  # each line's government valuation by its index (the view gives it)

    def validate(self, extra_validators: Any = None) -> bool:
        """An adjustment changes at least one line, each changed line with its reason: said on the line, with the
        form kept (the step itself refuses the same, but only as a message away from the form)."""
        valid = super().validate(extra_validators)
        if self.decision.data != InsurerDecision.ADJUST.value:
            return valid
        message = str(_l("Each adjusted line needs its amount and a reason."))
        changed = 0
        for entry in self.lines.entries:
            line = entry.form
            known = self.valuation.get(str(line.index.data))
            if known is None or line.amount.errors or line.amount.data is None or Decimal(line.amount.data) == known:
                continue
            changed += 1
            if not (line.reason.data or "").strip():
                line.reason.errors = [*line.reason.errors, message]
                valid = False
        if not changed and not any(entry.form.amount.errors for entry in self.lines.entries):
            self.decision.errors = [*self.decision.errors, message]
            valid = False
        return valid

    def validate_decline_reason(self, field: SelectField) -> None:
        if self.decision.data == InsurerDecision.DECLINE.value and not field.data:
            raise FormError(str(_l("Choose the reason for declining.")))


class InsurerPaymentForm(FlaskForm):
    amount = DecimalField(_l("Amount paid (yuan)"), places=2, validators=[DataRequired(_l("Enter the amount.")), NumberRange(0.01, 10_000_000)])
    reference = StringField(_l("Payment reference"), validators=[DataRequired(_l("Give the payment reference.")), Length(max=100)])


class InsurerForm(FlaskForm):
    name = StringField(_l("Insurer (full name)"), validators=[DataRequired(), Length(max=100)])
    short_name = StringField(_l("Short name"), validators=[DataRequired(), Length(max=30)])


class MemberForm(FlaskForm):
    user_id = IdSelectField(_l("Adjuster account"), choices=[])
    insurer_id = IdSelectField(_l("Insurer"), choices=[])


class PolicyForm(FlaskForm):
    number = StringField(_l("Policy number"), validators=[DataRequired(_l("Enter the policy number.")), Length(max=60)])
    insurer_id = IdSelectField(_l("Insurer"), choices=[])
    policyholder_region_id = IdSelectField(_l("Policyholder (county or township government)"), choices=[])
    term_start = DateField(_l("Term from"), validators=[DataRequired()])
    term_end = DateField(_l("Term to"), validators=[DataRequired()])
    categories = MultiCheckboxField(_l("Covered losses"), choices=[], validators=[DataRequired(_l("Tick at least one covered loss."))])
    species = StringField(_l("Covered species codes, comma-separated (empty: all)"), validators=[Optional(), Length(max=500)])
    deductible_mode = SelectField(_l("Deductible"), choices=[])
    deductible_amount = DecimalField(_l("Deductible amount (yuan)"), places=2, validators=[Optional(), NumberRange(0, 10_000_000)])
    deductible_percent = DecimalField(_l("or deductible percent"), places=2, validators=[Optional(), NumberRange(0, 100)])
    report_days = IntegerField(_l("Working days to assess"), default=10, validators=[NumberRange(1, 365)])
    payment_days = IntegerField(_l("Days to pay after accepting"), default=30, validators=[NumberRange(1, 365)])
    premium = MoneyField(
        _l("Premium (yuan)"), places=2, validators=[Optional(), NumberRange(FEN, MAX_PREMIUM, _l("Enter a premium above 0 and at most 100,000,000 yuan."))]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.categories.choices = [(c.value, c.title) for c in LossCategory]
        self.deductible_mode.choices = [
            (DeductibleMode.NONE.value, _l("None")),
            (DeductibleMode.THRESHOLD.value, _l("Threshold (below it nothing is paid)")),
            (DeductibleMode.DEDUCTIBLE.value, _l("Deductible (subtracted from every payment)")),
        ]

    def validate_term_end(self, field: DateField) -> None:
        if field.data and self.term_start.data and field.data < self.term_start.data:
            raise FormError(str(_l("The term cannot end before it starts.")))


class PremiumForm(FlaskForm):
    """The premium of a policy entered before (the loss ratio's denominator)."""

    policy_id = HiddenField()
    premium = MoneyField(
        _l("Premium (yuan)"),
        places=2,
        validators=[DataRequired(_l("Enter the premium.")), NumberRange(FEN, MAX_PREMIUM, _l("Enter a premium above 0 and at most 100,000,000 yuan."))],
    )


def limit_fields() -> list[tuple[str, object]]:
    return [(f"limit_{kind.value}", kind.title) for kind in PolicyLimit]


for _kind in PolicyLimit:
    setattr(PolicyForm, f"limit_{_kind.value}", DecimalField(_kind.label, places=2, validators=[Optional(), NumberRange(0, 100_000_000)]))
