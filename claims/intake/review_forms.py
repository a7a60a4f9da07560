"""The clerk's intake decisions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from claims.core.forms import MultiCheckboxField
from claims.workflow.reasons import CorrectionItem, RefusalReason


class ReturnForm(FlaskForm):
    version = HiddenField()
    items = MultiCheckboxField(_l("What needs correcting"), choices=[], validators=[DataRequired(_l("Tick at least one item that needs correcting."))])
    note = TextAreaField(_l("Note to the claimant"), validators=[Length(max=1000)])  # not Optional(): it would skip validate_note

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.items.choices = [(c.value, c.title) for c in CorrectionItem]

    def validate_note(self, field: TextAreaField) -> None:
        # "Other (see the note)" is all the claimant reads of it: the note must say what.
        if CorrectionItem.OTHER.value in (self.items.data or []) and not (field.data or "").strip():
            raise ValidationError(str(_l("Say in the note what else needs correcting.")))


class RefuseForm(FlaskForm):
    version = HiddenField()
    reasons = MultiCheckboxField(_l("Reasons"), choices=[], validators=[DataRequired(_l("Choose at least one reason."))])
    explanation = TextAreaField(_l("Explanation (shown to the claimant)"), validators=[DataRequired(_l("Please give a reason.")), Length(max=2000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reasons.choices = [(r.value, r.title) for r in RefusalReason]


class LapseForm(FlaskForm):
    """Not accepted for want of correction: the reason is fixed, the clerk may add what they did (called, visited)."""

    version = HiddenField()
    explanation = TextAreaField(_l("Explanation (shown to the claimant)"), validators=[Optional(), Length(max=2000)])


class AcceptForm(FlaskForm):
    version = HiddenField()
