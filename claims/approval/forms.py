"""Forms for the public notice, approval and payments."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from claims.approval.models import ObjectionOutcome
from claims.core.forms import DateField, MultiCheckboxField, coerce_id
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
