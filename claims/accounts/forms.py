"""Account forms: login, registration, password change, and the administrator's user form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from claims.accounts.models import Role
from claims.core.forms import IdSelectField
from claims.core.validators import Mobile


class LoginForm(FlaskForm):
    login = StringField(_l("Mobile number or user name"), validators=[DataRequired(_l("Please enter your mobile number or user name.")), Length(max=50)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password."))])


class RegisterForm(FlaskForm):
    mobile = StringField(_l("Mobile number"), validators=[DataRequired(_l("Please enter your mobile number.")), Mobile()])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter your name.")), Length(max=50)])
    password = PasswordField(_l("Password (at least 8 characters)"), validators=[DataRequired(_l("Please choose a password."))])
    confirm = PasswordField(_l("Password again"), validators=[EqualTo("password", _l("The two passwords are not the same."))])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Please enter your current password."))])
    password = PasswordField(_l("New password (at least 8 characters)"), validators=[DataRequired(_l("Please choose a new password."))])
    confirm = PasswordField(_l("New password again"), validators=[EqualTo("password", _l("The two passwords are not the same."))])


class UserForm(FlaskForm):
    login = StringField(
        _l("Login (user name or mobile number)"),
        validators=[DataRequired(), Length(min=3, max=50), Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("Letters, digits and . _ @ - only."))],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    mobile = StringField(_l("Mobile number"), validators=[Optional(), Mobile()])
    role = SelectField(_l("Role"), choices=[])
    region_id = IdSelectField(_l("Region (township for clerks, county for officers and approvers)"), choices=[])
    organisation = StringField(_l("Organisation (insurers)"), validators=[Optional(), Length(max=100)])
    password = PasswordField(_l("Password"), validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [(r.value, r.title) for r in Role]
