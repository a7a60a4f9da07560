"""The filing form: claimant, incident, loss lines, photos and the declaration."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FormError

from claims.core import formatting
from claims.core.formatting import UNITS
from claims.core.forms import DateField, DateTimeLocalField, DecimalField, IdSelectField, IntegerField, QuantityField, SubForm
from claims.core.inputs import ascii_digits, claim_number, loads_bounded
from claims.core.time import local_to_utc, local_today, to_local, utcnow
from claims.core.validators import BankAccount, Mobile, PlainText, ResidentId
from claims.intake.models import LossCategory
from claims.intake.services import ClaimInput, LossInput, PhotoUpload

# The form's one-time key: ours are 32 hex digits; any plain token that fits the column (40) is accepted.
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{8,40}")
# Largest plausible quantity per unit: anything above is a typing slip, not a loss.
MAX_QUANTITY = {"mu": 5000, "plant": 100000, "head": 5000, "bird": 50000, "hive": 2000, "kg": 500000, "m2": 100000, "item": 10000, "person": 50}


class LossForm(SubForm):
    category = SelectField(_l("Kind of loss"), choices=lambda: [(c.value, c.title) for c in LossCategory], validators=[Optional()])  # per form: its language
    item = StringField(_l("What was damaged (e.g. rice, goats, bee hives)"), validators=[Optional(), Length(max=100)])
    quantity = QuantityField(_l("Quantity"), places=None, validators=[Optional()])
    unit = SelectField(_l("Unit"), choices=[("", "—"), *UNITS.items()], validators=[Optional()])
    hospital_days = IntegerField(_l("Days in hospital"), validators=[Optional(), NumberRange(0, 365, _l("Between 0 and 365 days."))])
    medical_costs = DecimalField(
        _l("Medical costs (yuan)"), places=2, validators=[Optional(), NumberRange(0, 10_000_000, _l("Between 0 and 10,000,000 yuan."))]
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])

    def validate_quantity(self, field: DecimalField) -> None:
        if field.data is None:
            return
        if field.data <= 0:
            raise FormError(str(_l("The quantity must be more than 0.")))
        limit = MAX_QUANTITY.get(self.unit.data or "", 100000)
        if field.data > limit:
            shown = {"q": formatting.plain(field.data), "limit": formatting.plain(limit)}
            raise FormError(str(_l("%(q)s is not a plausible quantity here (at most %(limit)s). Please check it.", **shown)))
        if field.data.as_tuple().exponent < -3:  # type: ignore[operator]
            raise FormError(str(_l("At most three decimal places.")))

    def validate_item(self, field: StringField) -> None:
        if (self.quantity.data or self.medical_costs.data) and not (field.data or "").strip():
            raise FormError(str(_l("Say what was damaged.")))

    def is_blank(self) -> bool:
        return not ((self.item.data or "").strip() or self.quantity.data or self.medical_costs.data or self.hospital_days.data)

    def to_input(self) -> LossInput | None:
        if self.is_blank() or self.errors:
            return None
        return LossInput(
            # Blank (even "   ", which Optional() lets through without the choice check) is the default kind.
            category=LossCategory((self.category.data or "").strip() or LossCategory.CROP),
            item=(self.item.data or "").strip(),
            quantity=self.quantity.data,
            unit=(self.unit.data or "").strip() or None,
            hospital_days=self.hospital_days.data,
            medical_costs=Decimal(self.medical_costs.data) if self.medical_costs.data is not None else None,
            note=(self.note.data or "").strip() or None,
        )


class ClaimForm(FlaskForm):
    submission_key = HiddenField()
    version = HiddenField()
    claimant_name = StringField(_l("Claimant's name"), validators=[Optional(), Length(max=50), PlainText()])
    claimant_id_number = StringField(_l("Resident ID number (18 characters)"), validators=[Optional(), ResidentId()])
    claimant_mobile = StringField(_l("Mobile number"), validators=[Optional(), Mobile()])
    claimant_address = StringField(_l("Address"), validators=[Optional(), Length(max=200), PlainText()])
    bank_name = StringField(_l("Bank (e.g. 农村商业银行)"), validators=[Optional(), Length(max=100), PlainText()])
    bank_account = StringField(_l("Bank account or card number"), validators=[Optional(), BankAccount()])
    bank_change_reason = StringField(_l("If you change the bank account: why (the claimant is told)"), validators=[Optional(), Length(max=500), PlainText()])
    county_id = IdSelectField(_l("County"), choices=[], validate_choice=False)
    township_id = IdSelectField(_l("Township"), choices=[], validate_choice=False)
    village_id = IdSelectField(_l("Village"), choices=[], validate_choice=False)
    incident_at = DateTimeLocalField(_l("When did it happen?"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    discovered_on = DateField(_l("When was the damage discovered?"), validators=[Optional()])
    species_id = IdSelectField(_l("Which animal?"), choices=[], validate_choice=False)
    species_unknown = BooleanField(_l("I do not know which animal"))
    species_description = StringField(_l("Describe the animal or its traces"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("What happened?"), validators=[Optional(), Length(max=4000)])
    gps_lat = HiddenField()
    gps_lon = HiddenField()
    gps_accuracy = HiddenField()
    losses = FieldList(FormField(LossForm), min_entries=1, max_entries=20)
    photos = MultipleFileField(_l("Photos of the damage (1 to 20)"))
    photo_meta = HiddenField()
    declaration = BooleanField(_l("I declare that the information given is true and complete."))

    def __init__(self, *args: Any, regions: Any = None, species: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._regions = regions
        self.saving_only = False  # a draft saved, not submitted: a county, or a county and township, are kept alone
        self._species = list(species or [])  # held while the form lives: the claim's species is then found without a query
        self.species_id.choices = [(0, "—")] + [(s.id, f"{s.name_zh}") for s in self._species]

    # Field rules that need more than one field ------------------------------------------------
    def validate_incident_at(self, field: DateTimeLocalField) -> None:
        # A few minutes of grace for a phone whose clock runs slightly ahead.
        if field.data and local_to_utc(field.data) > utcnow() + timedelta(minutes=10):
            raise FormError(str(_l("The incident cannot be in the future.")))

    def validate_discovered_on(self, field: DateField) -> None:
        if not field.data:
            return
        if field.data > local_today():
            raise FormError(str(_l("The discovery date cannot be in the future.")))
        if self.incident_at.data and self.incident_at.data.date() > field.data:
            raise FormError(str(_l("The damage cannot have been discovered before it happened. Please check both dates.")))

    def validate_species_id(self, field: SelectField) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:  # type: ignore[union-attr]
            raise FormError(str(_l("Please choose the animal from the list.")))

    def validate_submission_key(self, field: HiddenField) -> None:
        if field.data and not SUBMISSION_KEY.fullmatch(field.data):
            field.data = uuid.uuid4().hex  # not typed by anyone: a page of ours never sends such a key

    def validate_village_id(self, field: SelectField) -> None:
        problem = self._regions.place_problem(self.county_id.data, self.township_id.data, field.data, partial=self.saving_only) if self._regions else None
        if problem:
            raise FormError(problem)

    def validate_losses(self, field: FieldList) -> None:
        if len(field.entries) > 20:
            raise FormError(str(_l("At most 20 loss lines.")))

    # Conversion ---------------------------------------------------------------------------------
    def to_input(self) -> ClaimInput:
        """Only the values that passed validation; the others stay empty in the draft."""

        def ok(name: str) -> Any:
            field = getattr(self, name)
            if field.errors:
                return None
            value = field.data
            return value.strip() or None if isinstance(value, str) else value

        place_ok = not (self.county_id.errors or self.township_id.errors or self.village_id.errors)
        incident = ok("incident_at")
        return ClaimInput(
            claimant_name=ok("claimant_name"),
            claimant_id_number=ok("claimant_id_number"),
            claimant_mobile=ok("claimant_mobile"),
            claimant_address=ok("claimant_address"),
            bank_name=ok("bank_name"),
            bank_account=ok("bank_account"),
            county_id=(self.county_id.data or None) if place_ok else None,
            township_id=(self.township_id.data or None) if place_ok else None,
            village_id=(self.village_id.data or None) if place_ok else None,
            incident_at=local_to_utc(incident) if incident else None,
            discovered_on=ok("discovered_on"),
            species_id=ok("species_id") or None,
            species_unknown=bool(self.species_unknown.data),
            species_description=ok("species_description"),
            description=ok("description"),
            gps_lat=parse_float(self.gps_lat.data, -90, 90),
            gps_lon=parse_float(self.gps_lon.data, -180, 180),
            gps_accuracy_m=parse_float(self.gps_accuracy.data, 0, 1e6),
            declaration=bool(self.declaration.data),
            losses=[line for line in (entry.form.to_input() for entry in self.losses.entries) if line is not None],
            bank_change_reason=ok("bank_change_reason"),
        )

    def uploads(self) -> list[PhotoUpload]:
        """The posted photo files with the phone's position and time recorded when each was taken."""
        return photo_uploads(self.photos.data, self.photo_meta.data)

    def load_claim(self, claim: Any) -> None:
        """Fill the form from a saved draft (GET)."""
        for name in (
            "claimant_name",
            "claimant_id_number",
            "claimant_mobile",
            "claimant_address",
            "bank_name",
            "bank_account",
            "discovered_on",
            "species_description",
            "description",
            "species_unknown",
            "declaration",
        ):
            getattr(self, name).data = getattr(claim, name)
        self.county_id.data = claim.county_id or 0
        self.township_id.data = claim.township_id or 0
        self.village_id.data = claim.village_id or 0
        self.species_id.data = claim.species_id or 0
        self.incident_at.data = to_local(claim.incident_at).replace(tzinfo=None) if claim.incident_at else None  # type: ignore[union-attr]
        self.gps_lat.data = claim.gps_lat or ""
        self.gps_lon.data = claim.gps_lon or ""
        self.gps_accuracy.data = claim.gps_accuracy_m or ""
        while len(self.losses.entries):
            self.losses.pop_entry()
        for line in claim.losses or [None]:
            entry = self.losses.append_entry()
            if line is not None:
                for name in ("item", "quantity", "unit", "hospital_days", "medical_costs", "note"):
                    getattr(entry.form, name).data = getattr(line, name)
                entry.form.category.data = line.category.value


def photo_uploads(files: Any, meta_json: str | None) -> list[PhotoUpload]:
    """Uploaded files paired with what the page's script recorded when each photo was chosen
    (matched by file name and size): the phone's position and its accuracy, and the time the phone gave
    the file ("ft"). The older key "t" held the moment the file was chosen, an upload time: ignored."""
    meta = _photo_meta(meta_json)
    out = []
    for storage in files or []:
        if not getattr(storage, "filename", None):
            continue
        data = storage.read()
        info = meta.get(f"{storage.filename}:{len(data)}") or meta.get(storage.filename) or {}
        out.append(
            PhotoUpload(
                data=data,
                filename=storage.filename[:100],
                browser_lat=parse_float(info.get("lat"), -90, 90),
                browser_lon=parse_float(info.get("lon"), -180, 180),
                browser_accuracy_m=parse_float(info.get("acc"), 0, 1e6),
                browser_time=_ms_to_utc(info.get("ft")),
                resized_on_phone=info.get("resized") is True,
            )
        )
    return out


def parse_float(value: Any, low: float, high: float) -> float | None:
    """A number from a hidden field, or None when missing, malformed or out of range."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _ms_to_utc(value: Any) -> datetime | None:
    number = parse_float(value, 0, 4e12)
    return datetime.fromtimestamp(number / 1000, tz=UTC) if number else None


def _photo_meta(raw: str | None) -> dict[str, dict[str, Any]]:
    """What the page's script recorded per photo; anything malformed or nested too deep counts as nothing."""
    if raw and len(raw) > 100_000:  # the page's script writes about 300 bytes a photo
        return {}
    try:
        items = loads_bounded(raw or "[]", limit=3)
    except ValueError:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            out[f"{item['name']}:{item.get('size', '')}"] = item
            out[item["name"]] = item
    return out


class LinkClaimForm(FlaskForm):
    """A villager links a claim filed for them: the code (texted to their mobile, or printed on the receipt) and their ID number."""

    code = StringField(
        _l("Text message code or claim code"),
        validators=[DataRequired(_l("Please enter the code.")), Length(max=20, message=_l("The code is too long."))],
        description=_l("The 6-digit code texted to your mobile, or the 8-character claim code on the receipt."),
    )
    id_number = StringField(_l("Your ID number"), validators=[DataRequired(_l("Please enter your ID number.")), ResidentId()])

    def is_sms_code(self) -> bool:
        value = "".join(ch for ch in self.code.data or "" if ch.isalnum())
        return len(value) == 6 and value.isdigit()


class SendCodeForm(FlaskForm):
    """The button that texts a code to the villager's own mobile number."""


class StatusEnquiryForm(FlaskForm):
    """The public status enquiry: a claim number and the last four characters of the claimant's ID number."""

    number = StringField(
        _l("Claim number"),
        validators=[DataRequired(_l("Please enter the claim number."))],
        description=_l("It is on the receipt and in the text messages, for example 430921-2026-000123."),
    )
    id_last4 = StringField(
        _l("Last 4 characters of the claimant's ID number"),
        validators=[DataRequired(_l("Please enter the last 4 characters of the ID number."))],
        description=_l("If the ID number ends in X, type X."),
    )

    def validate_number(self, field: StringField) -> None:
        number = claim_number(field.data)
        if not number:
            raise FormError(str(_l("A claim number has the county code, the year and a sequence, for example 430921-2026-000123.")))
        field.data = number

    def validate_id_last4(self, field: StringField) -> None:
        digits = ascii_digits(field.data)
        if not re.fullmatch(r"[0-9]{3}[0-9X]", digits):
            raise FormError(str(_l("Please enter the last 4 characters of the ID number.")))
        field.data = digits
