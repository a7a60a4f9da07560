"""Forms for assigning surveyors, recording the field survey on a phone, and the claimant's confirmation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FileField,
    FormField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FormError

from claims.core.forms import DateTimeLocalField, DecimalField, IntegerField, MultiCheckboxField, QuantityField, SubForm, coerce_id
from claims.core.inputs import bounded_int
from claims.core.time import local_to_utc, utcnow
from claims.intake.forms import MAX_QUANTITY, parse_float, photo_uploads
from claims.intake.services import PhotoUpload
from claims.survey.models import ConfirmationMethod, Evidence, GrowthStage, SurveyOutcome
from claims.survey.services import ConfirmationInput, SurveyInput, VerifiedLineInput
from claims.workflow.reasons import RefusalReason

GROWTH_STAGES = {"": "—", **{stage.value: stage.label for stage in GrowthStage}}


class AssignForm(FlaskForm):
    version = HiddenField()
    surveyors = MultiCheckboxField(_l("Surveyors"), coerce=coerce_id, choices=[], validators=[DataRequired(_l("Choose the surveyors."))])


class VerifiedLineForm(SubForm):
    loss_line_id = HiddenField()
    quantity = QuantityField(_l("Verified quantity"), places=None, validators=[Optional()])
    loss_rate = IntegerField(_l("Loss rate (%)"), validators=[Optional(), NumberRange(0, 100, _l("Between 0 and 100."))])
    growth_stage = SelectField(_l("Growth stage"), choices=list(GROWTH_STAGES.items()), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])

    def validate_quantity(self, field: DecimalField) -> None:
        if field.data is not None and (field.data < 0 or field.data > max(MAX_QUANTITY.values())):
            raise FormError(str(_l("The verified quantity must be between 0 and %(limit)s.", limit=max(MAX_QUANTITY.values()))))


class SurveyForm(FlaskForm):
    version = HiddenField()
    visited_at = DateTimeLocalField(_l("Time of the visit"), format="%Y-%m-%dT%H:%M", validators=[DataRequired(_l("When did you visit the site?"))])
    gps_lat = HiddenField()
    gps_lon = HiddenField()
    gps_accuracy = HiddenField()
    surveyors_present = StringField(_l("Surveyors present"), validators=[DataRequired(_l("Name the surveyors present.")), Length(max=200)])
    claimant_present = BooleanField(_l("The claimant was present"))
    witnesses = StringField(_l("Witnesses present (names)"), validators=[Optional(), Length(max=200)])
    evidence = MultiCheckboxField(_l("Evidence of the animal"), choices=[])
    in_designated_area = SelectField(
        _l("Land or herd in the designated production area?"),
        choices=[("na", _l("Not applicable")), ("yes", _l("Yes")), ("no", _l("No"))],
    )
    prevention_measures = TextAreaField(_l("Prevention measures taken"), validators=[Optional(), Length(max=1000)])
    exclusions = MultiCheckboxField(_l("Exclusions that apply"), choices=[])
    outcome = RadioField(_l("Outcome"), choices=[], validators=[DataRequired(_l("Choose the outcome."))])
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(VerifiedLineForm), min_entries=0, max_entries=20)
    photos = MultipleFileField(_l("Survey photos"))
    photo_meta = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evidence.choices = [(e.value, e.title) for e in Evidence]
        self.exclusions.choices = [(r.value, r.title) for r in RefusalReason]
        self.outcome.choices = [
            (SurveyOutcome.ELIGIBLE.value, _l("Eligible: on to confirmation and valuation")),
            (SurveyOutcome.NOT_COMPENSATED.value, _l("Not compensable")),
        ]

    def validate_visited_at(self, field: DateTimeLocalField) -> None:
        if field.data and local_to_utc(field.data) > utcnow():
            raise FormError(str(_l("The visit cannot be in the future.")))

    def validate_explanation(self, field: TextAreaField) -> None:
        if self.outcome.data == SurveyOutcome.NOT_COMPENSATED.value and not (field.data or "").strip():
            raise FormError(str(_l("Explain why the claim cannot be compensated.")))

    def validate_exclusions(self, field: MultiCheckboxField) -> None:
        if self.outcome.data == SurveyOutcome.NOT_COMPENSATED.value and not field.data:
            raise FormError(str(_l("Tick at least one reason.")))

    def to_input(self) -> SurveyInput:
        area = {"yes": True, "no": False}.get(self.in_designated_area.data or "na")
        return SurveyInput(
            visited_at=local_to_utc(self.visited_at.data),
            surveyors_present=self.surveyors_present.data.strip(),
            claimant_present=bool(self.claimant_present.data),
            outcome=SurveyOutcome(self.outcome.data),
            witnesses=(self.witnesses.data or "").strip() or None,
            evidence=list(self.evidence.data or []),
            in_designated_area=area,
            prevention_measures=(self.prevention_measures.data or "").strip() or None,
            exclusions=list(self.exclusions.data or []),
            explanation=(self.explanation.data or "").strip() or None,
            gps_lat=parse_float(self.gps_lat.data, -90, 90),
            gps_lon=parse_float(self.gps_lon.data, -180, 180),
            gps_accuracy_m=parse_float(self.gps_accuracy.data, 0, 1e6),
            lines=[
                VerifiedLineInput(
                    loss_line_id=int(entry.form.loss_line_id.data),
                    quantity=Decimal(entry.form.quantity.data) if entry.form.quantity.data is not None else None,
                    loss_rate=entry.form.loss_rate.data,
                    growth_stage=(entry.form.growth_stage.data or "").strip() or None,
                    note=(entry.form.note.data or "").strip() or None,
                )
                for entry in self.lines.entries
                if bounded_int(entry.form.loss_line_id.data) is not None
            ],
        )

    def uploads(self) -> list[PhotoUpload]:
        return photo_uploads(self.photos.data, self.photo_meta.data)


class ConfirmationForm(FlaskForm):
    version = HiddenField()
    decision = RadioField(
        _l("The claimant"),
        choices=[("confirm", _l("confirms the verified loss")), ("dispute", _l("disputes the verified loss"))],
        validators=[DataRequired(_l("Choose confirm or dispute."))],
    )
    code = StringField(_l("Code from the claimant's text message"), validators=[Optional(), Length(max=10)])
    attested = BooleanField(_l("I attest that the claimant signed this form"))
    agree = BooleanField(_l("I have read the verified loss above"))
    statement = TextAreaField(_l("What is disputed (or any remark)"), validators=[Optional(), Length(max=2000)])
    paper_scan = FileField(_l("Scan or photo of the signed paper form"))

    def validate_agree(self, field: BooleanField) -> None:
        if not field.data:
            raise FormError(str(_l("Tick to show the verified loss was read.")))

    def to_input(self, method: ConfirmationMethod) -> ConfirmationInput:
        scan = None
        storage = self.paper_scan.data
        if storage is not None and getattr(storage, "filename", None):
            scan = PhotoUpload(data=storage.read(), filename=storage.filename[:100])
        return ConfirmationInput(
            confirmed=self.decision.data == "confirm",
            method=method,
            statement=(self.statement.data or "").strip() or None,
            paper_scan=scan,
            code=(self.code.data or "").strip() or None,
            attested=bool(self.attested.data),
        )
