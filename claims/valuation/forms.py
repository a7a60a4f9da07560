"""Forms: computing, adjusting and submitting a claim's valuation; importing schedules and reference data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FormError

from claims.core.forms import DecimalField
from claims.core.inputs import form_version

MAX_FILE_BYTES = 512 * 1024


class ComputeForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(_l("Why compute it again?"), validators=[Optional(), Length(max=1000)])


class AdjustForm(FlaskForm):
    version = HiddenField()
    line_id = HiddenField(validators=[DataRequired()])
    amount = DecimalField(
        _l("Adjusted amount (yuan)"),
        places=2,
        validators=[DataRequired(_l("Give the amount.")), NumberRange(0, 100_000_000, _l("Between 0 and 100,000,000 yuan."))],
    )
    reason = TextAreaField(_l("Reason for the adjustment"), validators=[DataRequired(_l("Please give a reason.")), Length(max=1000)])


class ValueForm(FlaskForm):
    version = HiddenField()


class CountersignForm(FlaskForm):
    """A second officer countersigns the adjustments above the engine's figure."""

    version = HiddenField()


class FileForm(FlaskForm):
    """An uploaded schedule or reference-data file: UTF-8 text, at most 512 KB."""

    file = FileField(_l("File (YAML or JSON)"), validators=[FileRequired(_l("Choose a file."))])

    def validate_file(self, field: FileField) -> None:
        data = field.data.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise FormError(str(_l("The file is larger than 512 KB.")))
        try:
            self.text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormError(str(_l("The file is not UTF-8 text."))) from exc

    text: str = ""


class RetireForm(FlaskForm):
    reason = TextAreaField(_l("Why retire it?"), validators=[DataRequired(_l("Please give a reason.")), Length(max=1000)])


def version_of(form: FlaskForm) -> int | None:
    return form_version(form.version.data)  # type: ignore[attr-defined]
