"""Forms for the public notice, approval and payments."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FormError

from claims.approval.budget import MAX_ALLOCATION, year_choices
from claims.approval.models import ObjectionOutcome
from claims.core.forms import FEN, DateField, IdSelectField, MoneyField, MultiCheckboxField, coerce_id
from claims.core.time import local_today
from claims.core.validators import BankAccount, Mobile
from claims.intake.review_forms import RefuseForm


class NoticeForm(FlaskForm):
    claims = MultiCheckboxField(
        _l("Claims to put on notice"), coerce=coerce_id, choices=[], validators=[DataRequired(_l("Choose at least one claim for the notice."))]
    )
    start_date = DateField(_l("Notice starts on"), validators=[DataRequired(_l("From which date?"))])


class ObjectionForm(FlaskForm):
    claim_id = HiddenField()
    objector = StringField(_l("Who objected (name, village)"), validators=[DataRequired(_l("Say who objected and why.")), Length(max=100)])
    objector_mobile = StringField(_l("The objector's mobile (to tell them the outcome)"), validators=[Optional(), Mobile()])
    reason = TextAreaField(_l("The objection"), validators=[DataRequired(_l("Say who objected and why.")), Length(max=2000)])


class ObjectionReviewForm(FlaskForm):
    version = HiddenField()
    outcome = RadioField(_l("Finding"), choices=[], default=ObjectionOutcome.NOT_UPHELD.value, validators=[DataRequired(_l("Choose the finding."))])
    finding = TextAreaField(_l("Reasons of the finding"), validators=[DataRequired(_l("Give the reasons of the finding.")), Length(max=2000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcome.choices = [(o.value, o.title) for o in ObjectionOutcome]  # titles in the reader's language


class ApproveForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(_l("Remark (optional)"), validators=[Optional(), Length(max=1000)])


class RequestAdvanceForm(FlaskForm):
    """The advance on an injury or death: its amount comes from the county's settings, never from the form."""

    version = HiddenField()
    reason = TextAreaField(_l("Why the advance is needed (optional)"), validators=[Optional(), Length(max=1000)])


class ApproveAdvanceForm(FlaskForm):
    version = HiddenField()


class RefuseAdvanceForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(_l("Why the advance is refused"), validators=[DataRequired(), Length(max=1000)])


class BatchApproveForm(FlaskForm):
    claims = MultiCheckboxField(_l("Claims"), coerce=coerce_id, choices=[], validators=[DataRequired(_l("Choose at least one claim."))])


class RefuseAwardForm(RefuseForm):
    """The county's refusal after the notice: the same reasons and explanation as a refusal at intake."""


class ResultFileForm(FlaskForm):
    file = FileField(_l("The bank's result file (CSV)"), validators=[DataRequired(_l("Choose the file."))])


class LineResultForm(FlaskForm):
    payment_id = HiddenField()
    bank_reference = StringField(_l("Bank reference"), validators=[Optional(), Length(max=100)])
    reason = StringField(_l("Why it failed"), validators=[Optional(), Length(max=200)])


class ReopenBatchForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the batch must be sent to the bank again"),
        validators=[DataRequired(_l("Say why the batch must be sent to the bank again.")), Length(max=1000)],
    )


class CorrectAccountForm(FlaskForm):
    reason = TextAreaField(_l("Why the bank account is changed (the claimant is told)"), validators=[Optional(), Length(max=1000)])
    bank_name = StringField(_l("Bank"), validators=[DataRequired(_l("Enter the bank.")), Length(max=100)])
    bank_account = StringField(_l("Bank account or card number"), validators=[DataRequired(_l("Enter the account number.")), BankAccount()])


class AllocationForm(FlaskForm):
    """An allocation of the county's fund by the finance bureau, as its document says (the county is the admin's own)."""

    fiscal_year = SelectField(_l("Fiscal year"), choices=[], coerce=int, validators=[DataRequired(_l("Choose the fiscal year."))])
    amount = MoneyField(
        _l("Amount allocated (yuan)"),
        places=2,
        validators=[
            InputRequired(_l("Enter the amount allocated.")),  # not DataRequired: 0 is an amount, refused by the range below
            NumberRange(FEN, MAX_ALLOCATION, _l("Enter an amount above 0 and at most %(max)s yuan.", max=f"{MAX_ALLOCATION:,.2f}")),
        ],
    )
    document_title = StringField(
        _l("Source document (title)"), validators=[DataRequired(_l("Enter the title of the finance bureau's document.")), Length(max=200)]
    )
    document_number = StringField(_l("Document number (e.g. 南财农〔2026〕12号)"), validators=[DataRequired(_l("Enter the document number.")), Length(max=60)])
    document_date = DateField(_l("Document date"), validators=[DataRequired(_l("Enter the date of the document."))])
    note = StringField(_l("Note (e.g. supplementary allocation)"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fiscal_year.choices = [(year, str(year)) for year in year_choices()]

    def validate_document_date(self, field: DateField) -> None:
        if field.data and field.data > local_today():
            raise FormError(str(_l("The document cannot be dated after today.")))


class ReverseAllocationForm(FlaskForm):
    """Reverse one wrong entry (红字冲销); the right figure is then entered anew."""

    entry_id = IdSelectField(_l("Entry to reverse"), choices=[])
    reason = StringField(_l("Why it is reversed"), validators=[DataRequired(_l("Say why the entry is reversed.")), Length(max=200)])
