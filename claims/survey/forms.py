"""Forms for assigning surveyors, recording the field survey on a phone, and the claimant's confirmation."""

from __future__ import annotations

from datetime import datetime
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
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FormError

from claims.core.forms import DateTimeLocalField, DecimalField, IntegerField, MoneyField, MultiCheckboxField, QuantityField, SubForm, coerce_id
from claims.core.inputs import bounded_int
from claims.core.time import local_to_utc, to_local, utcnow
from claims.intake.forms import MAX_QUANTITY, SUBMISSION_KEY, parse_float, photo_uploads
from claims.intake.photos import PhotoRejected, process_photo
from claims.intake.services import PhotoUpload, photo_limits
from claims.survey.models import AnimalCondition, ConfirmationMethod, Evidence, GrowthStage, PreventionMeasure, SurveyOutcome
from claims.survey.services import ConfirmationInput, InvoiceInput, SurveyInput, VerifiedLineInput
from claims.workflow.reasons import RefusalReason

GROWTH_STAGES = {"": "—", **{stage.value: stage.label for stage in GrowthStage}}
INVOICE_SLOTS = 3  # invoice rows the phone form shows per injured person (the service takes any number; posts up to MAX_INVOICES)
MAX_INVOICES = 10
NO_MEASURE = "none"  # the prevention checklist's answer "none of these in place" (stored as [])
DAYS = NumberRange(0, 3650, _l("Between 0 and 3,650 days."))
YUAN = NumberRange(0, 10_000_000, _l("Between 0 and 10,000,000 yuan."))
YES_NO_NA = [("na", _l("Not applicable")), ("yes", _l("Yes")), ("no", _l("No"))]


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "na")


def _chosen(storage: Any) -> bool:
    """A file was chosen (without reading it: the stream is read once, by _upload)."""
    return storage is not None and bool(getattr(storage, "filename", None))


def _upload(storage: Any) -> PhotoUpload | None:
    return PhotoUpload(data=storage.read(), filename=storage.filename[:100]) if _chosen(storage) else None


class InvoiceList(FieldList):
    """A FieldList that remembers how many rows were posted with something in them: FieldList drops rows beyond
    max_entries without a word, and the form refuses them instead (see VerifiedLineForm.validate_invoices)."""

    posted = 0

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        super().process(formdata, data if data is not None else unset_value, extra_filters)
        if formdata:
            prefix = self.name + "-"
            rows = {key[len(prefix) :].split("-", 1)[0] for key in formdata if key.startswith(prefix) and any(_filled(v) for v in formdata.getlist(key))}
            self.posted = len(rows)


def _filled(value: Any) -> bool:
    return _chosen(value) if hasattr(value, "filename") else bool(str(value).strip())


class InvoiceForm(SubForm):
    """One medical invoice: its amount and its photo, together or not at all."""

    amount = MoneyField(_l("Invoice amount (yuan)"), places=2, validators=[Optional(), NumberRange(0.01, 10_000_000, _l("Between 0.01 and 10,000,000 yuan."))])
    photo = FileField(_l("Photo of the invoice"))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.amount.data is None and not self.amount.errors and _chosen(self.photo.data):  # Optional() stops validate_amount
            self.amount.errors = [*self.amount.errors, str(_l("Enter the amount of this invoice."))]
            return False
        return ok

    def validate_photo(self, field: FileField) -> None:
        if self.amount.data is not None and not _chosen(field.data):
            raise FormError(str(_l("Take or attach the photo of this invoice (again after an error: a page cannot keep a file).")))
        if _chosen(field.data):
            # the image is checked here, so that a bad one comes back with the form instead of refusing the survey
            self._upload = _upload(field.data)
            try:
                process_photo(self._upload.data, photo_limits())  # type: ignore[union-attr]
            except PhotoRejected as exc:
                raise FormError(str(_l("This invoice photo was refused: %(problem)s", problem=exc.message))) from None

    def to_input(self) -> InvoiceInput | None:
        upload = getattr(self, "_upload", None)
        if self.amount.data is None or upload is None:
            return None
        return InvoiceInput(Decimal(self.amount.data), upload)


class AssignForm(FlaskForm):
    version = HiddenField()
    surveyors = MultiCheckboxField(_l("Surveyors"), coerce=coerce_id, choices=[], validators=[DataRequired(_l("Choose the surveyors."))])


class VerifiedLineForm(SubForm):
    loss_line_id = HiddenField()
    quantity = QuantityField(_l("Verified quantity"), places=None, validators=[Optional()])
    loss_rate = IntegerField(_l("Loss rate (%)"), validators=[Optional(), NumberRange(0, 100, _l("Between 0 and 100."))])
    growth_stage = SelectField(_l("Growth stage"), choices=list(GROWTH_STAGES.items()), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
    # animals
    condition = SelectField(
        _l("Condition of the animals"), choices=lambda: [("", "—"), *((c.value, c.title) for c in AnimalCondition)], validators=[Optional()]
    )
    # the grades the schedule in force lists for the item (set by the view); survey.steps.grade_problem checks the choice
    grade = SelectField(_l("Price grade (as the schedule lists it)"), choices=[("", "—")], validate_choice=False, validators=[Optional(), Length(max=60)])
    # an injured person
    hospital_days = IntegerField(_l("Days in hospital (verified)"), validators=[Optional(), DAYS])
    lost_work_days = IntegerField(_l("Lost-work days claimed"), validators=[Optional(), DAYS])
    nursing_days = IntegerField(_l("Nursing days claimed"), validators=[Optional(), DAYS])
    disability_grade = IntegerField(_l("Disability grade (1-10)"), validators=[Optional(), NumberRange(1, 10, _l("Disability grades are 1 to 10."))])
    disability_amount = MoneyField(_l("Or: assessed disability amount (yuan)"), places=2, validators=[Optional(), YUAN])
    nutrition_costs = MoneyField(_l("Nutrition costs (yuan)"), places=2, validators=[Optional(), YUAN])
    invoices = InvoiceList(FormField(InvoiceForm), min_entries=INVOICE_SLOTS, max_entries=MAX_INVOICES)

    def validate_invoices(self, field: InvoiceList) -> None:
        if field.posted > MAX_INVOICES:
            raise FormError(str(_l("At most %(n)d invoices per person.", n=MAX_INVOICES)))

    def validate_quantity(self, field: DecimalField) -> None:
        if field.data is not None and (field.data < 0 or field.data > max(MAX_QUANTITY.values())):
            raise FormError(str(_l("The verified quantity must be between 0 and %(limit)s.", limit=max(MAX_QUANTITY.values()))))

    def validate_disability_amount(self, field: DecimalField) -> None:
        if field.data is not None and self.disability_grade.data is not None:
            raise FormError(str(_l("Give the disability grade or the assessed amount, not both.")))

    def validate_condition(self, field: SelectField) -> None:
        if field.data and field.data not in AnimalCondition._value2member_map_:
            raise FormError(str(_l("Choose killed, injured or missing.")))

    def to_input(self) -> VerifiedLineInput:
        def money(field: DecimalField) -> Decimal | None:
            return Decimal(field.data) if field.data is not None else None

        return VerifiedLineInput(
            loss_line_id=int(self.loss_line_id.data),
            quantity=money(self.quantity),
            loss_rate=self.loss_rate.data,
            growth_stage=(self.growth_stage.data or "").strip() or None,
            note=(self.note.data or "").strip() or None,
            condition=self.condition.data or None,
            grade=(self.grade.data or "").strip() or None,
            hospital_days=self.hospital_days.data,
            lost_work_days=self.lost_work_days.data,
            nursing_days=self.nursing_days.data,
            disability_grade=self.disability_grade.data,
            disability_amount=money(self.disability_amount),
            nutrition_costs=money(self.nutrition_costs),
            invoices=[i for entry in self.invoices.entries if (i := entry.form.to_input()) is not None],
        )


class SurveyForm(FlaskForm):
    version = HiddenField()
    submission_key = HiddenField()  # one per form: a draft sent again from the phone records one survey
    visited_at = DateTimeLocalField(_l("Time of the visit"), format="%Y-%m-%dT%H:%M", validators=[DataRequired(_l("When did you visit the site?"))])
    gps_lat = HiddenField()
    gps_lon = HiddenField()
    gps_accuracy = HiddenField()
    surveyors_present = StringField(_l("Surveyors present"), validators=[DataRequired(_l("Name the surveyors present.")), Length(max=200)])
    claimant_present = BooleanField(_l("The claimant was present"))
    witnesses = StringField(_l("Witnesses present (names)"), validators=[Optional(), Length(max=200)])
    evidence = MultiCheckboxField(_l("Evidence of the animal"), choices=[])
    in_designated_area = SelectField(_l("Land or herd in the designated production area?"), choices=YES_NO_NA)
    in_protection_zone = SelectField(_l("Site inside a designated protection zone (nature reserve etc.)?"), choices=YES_NO_NA, default="na")
    prevention_in_place = MultiCheckboxField(_l("Prevention measures in place"), choices=[])
    prevention_measures = TextAreaField(_l("Prevention measures: remarks"), validators=[Optional(), Length(max=1000)])
    exclusions = MultiCheckboxField(_l("Exclusions that apply"), choices=[])
    outcome = RadioField(_l("Outcome"), choices=[], validators=[DataRequired(_l("Choose the outcome."))])
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(VerifiedLineForm), min_entries=0, max_entries=20)
    photos = MultipleFileField(_l("Survey photos"))
    photo_meta = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evidence.choices = [(e.value, e.title) for e in Evidence]
        self.prevention_in_place.choices = [*((m.value, m.title) for m in PreventionMeasure), (NO_MEASURE, _l("None of these in place"))]
        self.property_lines = False  # the view says whether the claim has a property line: the checklist must be answered
        self.incident_at: datetime | None = None  # the view gives the claim's incident time (UTC): no visit before its day
        self.exclusions.choices = [(r.value, r.title) for r in RefusalReason]
        self.outcome.choices = [
            (SurveyOutcome.ELIGIBLE.value, _l("Eligible: on to confirmation and valuation")),
            (SurveyOutcome.NOT_COMPENSATED.value, _l("Not compensable")),
        ]

    def validate_visited_at(self, field: DateTimeLocalField) -> None:
        if field.data and local_to_utc(field.data) > utcnow():
            raise FormError(str(_l("The visit cannot be in the future.")))
        # By day, not by the minute: the claimant's time of the incident is often an estimate.
        if field.data and self.incident_at is not None and field.data.date() < to_local(self.incident_at).date():
            raise FormError(str(_l("The visit cannot be before the day of the incident (%(day)s).", day=to_local(self.incident_at).date().isoformat())))

    def validate_explanation(self, field: TextAreaField) -> None:
        if self.outcome.data == SurveyOutcome.NOT_COMPENSATED.value and not (field.data or "").strip():
            raise FormError(str(_l("Explain why the claim cannot be compensated.")))

    def validate_exclusions(self, field: MultiCheckboxField) -> None:
        if self.outcome.data == SurveyOutcome.NOT_COMPENSATED.value and not field.data:
            raise FormError(str(_l("Tick at least one reason.")))

    def validate_prevention_in_place(self, field: MultiCheckboxField) -> None:
        chosen = set(field.data or [])
        if NO_MEASURE in chosen and len(chosen) > 1:
            raise FormError(str(_l("Tick the measures in place or “none of these in place”, not both.")))
        if self.property_lines and not chosen:
            raise FormError(str(_l("Tick the prevention measures in place, or “none of these in place”.")))

    def prevention(self) -> list[str] | None:
        """The measures in place, each once ([] when none are; None when the checklist was not answered)."""
        chosen = list(dict.fromkeys(self.prevention_in_place.data or []))
        return [m for m in chosen if m != NO_MEASURE] if chosen else None

    def to_input(self) -> SurveyInput:
        return SurveyInput(
            visited_at=local_to_utc(self.visited_at.data),
            surveyors_present=self.surveyors_present.data.strip(),
            claimant_present=bool(self.claimant_present.data),
            outcome=SurveyOutcome(self.outcome.data),
            witnesses=(self.witnesses.data or "").strip() or None,
            evidence=list(self.evidence.data or []),
            in_designated_area=_yes_no(self.in_designated_area.data),
            in_protection_zone=_yes_no(self.in_protection_zone.data),
            prevention_in_place=self.prevention(),
            prevention_measures=(self.prevention_measures.data or "").strip() or None,
            exclusions=list(self.exclusions.data or []),
            explanation=(self.explanation.data or "").strip() or None,
            gps_lat=parse_float(self.gps_lat.data, -90, 90),
            gps_lon=parse_float(self.gps_lon.data, -180, 180),
            gps_accuracy_m=parse_float(self.gps_accuracy.data, 0, 1e6),
            lines=[entry.form.to_input() for entry in self.lines.entries if bounded_int(entry.form.loss_line_id.data) is not None],
            submission_key=self.key(),
        )

    def key(self) -> str | None:
        """The form's key when it is one a page of ours made; else none (the survey is recorded without one)."""
        value = self.submission_key.data or ""
        return value if SUBMISSION_KEY.fullmatch(value) else None

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
        scan = _upload(self.paper_scan.data)
        return ConfirmationInput(
            confirmed=self.decision.data == "confirm",
            method=method,
            statement=(self.statement.data or "").strip() or None,
            paper_scan=scan,
            code=(self.code.data or "").strip() or None,
            attested=bool(self.attested.data),
        )
