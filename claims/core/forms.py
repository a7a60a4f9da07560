"""Form pieces shared by several domains."""

from __future__ import annotations

from typing import Any

from flask_wtf.i18n import translations
from wtforms import DecimalField, Form, SelectMultipleField, widgets
from wtforms.validators import ValidationError

from claims.core.formatting import plain


class SubForm(Form):
    """A form repeated inside a FlaskForm (a loss line): WTForms' own messages in the user's language too.

    A plain wtforms.Form answers "Not a valid decimal value." in English whatever the locale; FlaskForm's
    subforms do not inherit its translations, so they take the same ones here.
    """

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return translations


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (easier on a phone than a multiple select)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "required" on every checkbox would make the browser demand that all of them be ticked.
        self.render_kw = {**(self.render_kw or {}), "required": False}

    def pre_validate(self, form: Any) -> None:
        values = {str(v) for v, *_ in self.iter_choices()}
        for value in self.data or []:
            if str(value) not in values:
                raise ValidationError(self.gettext("'%(value)s' is not a valid choice for this field.") % {"value": value})


class QuantityField(DecimalField):
    """A DecimalField that shows a stored value as a person writes it: "20", never "2E+1" (formatting.plain).

    Only the rendering differs from DecimalField: what the user typed is shown back as typed.
    """

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return plain(self.data)
