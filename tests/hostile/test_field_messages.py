"""A value typed but not read keeps its own message: an impossible date or a number that is no number is never
answered with the field's "please fill in" question, as if nothing had been typed (claims/core/forms.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from claims.approval.forms import NoticeForm
from claims.survey.forms import SurveyForm
from claims.valuation.forms import AdjustForm


@pytest.mark.parametrize(
    ("form_class", "field", "value", "required"),
    [
        (SurveyForm, "visited_at", "2026-02-30T10:00", "什么时候到的现场？"),
        (NoticeForm, "start_date", "2026-02-30", "从哪天开始？"),
        (AdjustForm, "amount", "1e309", "请填写金额。"),
        (AdjustForm, "amount", "NaN", "请填写金额。"),
        (AdjustForm, "amount", "99999999999999999999", "请填写金额。"),
    ],
)
def test_a_value_typed_but_not_read_is_not_called_missing(app: Flask, form_class, field: str, value: str, required: str) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/", method="POST", data=MultiDict({field: value})):
        form = form_class(meta={"csrf": False})
        form.validate()
        errors = getattr(form, field).errors
        assert errors and required not in errors, errors  # the question asked of an empty field is not the answer
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in str(e)) for e in errors), errors  # said in Chinese
    with app.test_request_context("/", method="POST", data=MultiDict({field: ""})):
        form = form_class(meta={"csrf": False})
        form.validate()
        assert required in getattr(form, field).errors  # empty: still asked for
