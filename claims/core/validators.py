"""Field validators shared by forms: Chinese resident ID (GB 11643), mobile numbers, bank cards."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError
from wtforms import Field, Form
from wtforms.validators import ValidationError as FormError

from claims.core.inputs import ascii_digits

MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


def clean_digits(value: str | None) -> str:
    """The number as banks and registries read it: full-width digits folded to ASCII (NFKC), spaces and
    separators removed. Digits of other scripts stay as they are, so the patterns below ([0-9]) refuse them."""
    return ascii_digits(value)


def resident_id_problem(value: str) -> str | None:
    """Why an 18-digit resident ID is invalid, or None (check digit, birth date, format)."""
    number = clean_digits(value)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return str(_l("A resident ID number has 18 characters: 17 digits and a final digit or X."))
    if number[-1] != ric.calc_check_digit(number):
        return str(_l("The check digit (the last character) of this ID number is wrong. Please check the number."))
    try:
        ric.get_birth_date(number)
    except ValidationError:
        return str(_l("This ID number contains an impossible birth date or region. Please check the number."))
    if not _region_code_known(number[:6]):
        return str(_l("This ID number contains an impossible birth date or region. Please check the number."))
    return None


def _region_code_known(code: str) -> bool:
    """Whether the address code ever named a county.

    Not `ric.validate`: it also wants the code in use in the birth year, but the code is the one in use
    when the number was assigned (GB 11643-1999 4.3), often years after birth. 南县 has been 430921 since
    1994, and villagers born in the 1980s who got their number after that carry it: rejecting them would
    keep genuine claimants from filing.
    """
    return any("county" in props for _, props in numdb.get("cn/loc").info(code))


class ResidentId:
    def __call__(self, form: Form, field: Field) -> None:
        if field.data:
            problem = resident_id_problem(field.data)
            if problem:
                raise FormError(problem)
            field.data = clean_digits(field.data)


class Mobile:
    def __call__(self, form: Form, field: Field) -> None:
        if field.data:
            number = clean_digits(field.data)
            if not MOBILE_RE.fullmatch(number):
                raise FormError(str(_l("A mobile number has 11 digits and starts with 1.")))
            field.data = number


class BankAccount:
    """Bank card numbers are 12-19 digits; most debit cards carry a Luhn check digit, but not all
    (some rural credit cooperative passbooks do not), so a failed Luhn check is not an error here."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data:
            number = clean_digits(field.data)
            if not re.fullmatch(r"[0-9]{12,19}", number):
                raise FormError(str(_l("A bank account number has 12 to 19 digits.")))
            field.data = number


class PlainText:
    """No text that a spreadsheet would run as a formula (the bank export is opened in one)."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and str(field.data).lstrip()[:1] in ("=", "+", "-", "@"):
            raise FormError(str(_l("This may not start with = + - or @.")))
