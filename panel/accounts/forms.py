"""The account forms (Flask-WTF, so every one carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length
from wtforms.validators import ValidationError as FieldError

from panel.accounts.models import Role
from panel.accounts.passwords import MAX_LENGTH, MIN_LENGTH, password_problem
from panel.core.i18n import LANGUAGE_NAMES, LANGUAGES


def role_choices() -> list[tuple[str, Any]]:
    """The roles as (value, label) pairs, in the order an admin reads them."""
    return [
        (Role.STAFF.value, _l("Staff")),
        (Role.COMMUNICATOR.value, _l("Communicator")),
        (Role.ADMIN.value, _l("Admin")),
    ]


def _acceptable_password(_form: FlaskForm, field: PasswordField) -> None:
    # The rule lives in passwords.password_problem; the message is said here in the user's language.
    # A view sets ``form.user_inputs`` (the person's name, e-mail, organisation) before validating.
    password = field.data or ""
    problem = password_problem(password, getattr(_form, "user_inputs", ()))
    if problem is None:
        return
    if len(password) < MIN_LENGTH:
        raise FieldError(_l("Use at least %(count)s characters.", count=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise FieldError(_l("Use at most 200 characters."))
    raise FieldError(problem)


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Choose a password.")), _acceptable_password],
        description=_l(
            "At least %(count)s characters. A few unrelated words are easy to remember "
            "and hard to guess.",
            count=MIN_LENGTH,
        ),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            InputRequired(_l("Type the password a second time.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )
    return password, confirm


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address."))])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address."))])


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields()


class AcceptInviteForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Tell your colleagues who you are.")), Length(max=120)],
    )
    password, confirm = _new_password_fields()


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(_l("Enter your colleague's e-mail address."))]
    )
    name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), choices=role_choices, default=Role.STAFF.value)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices)


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=120)])
    locale = SelectField(
        _l("Language"),
        choices=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        description=_l("The language of the app and of the e-mails Stoop sends you."),
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(_l("Enter your current password."))]
    )
    password, confirm = _new_password_fields()


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give the token a name, e.g. the system that will use it.")),
            Length(max=120, message=_l("Use at most 120 characters.")),
        ],
        description=_l("What uses this token, e.g. 'Rental system'."),
    )
    expires = SelectField(
        _l("Expires"),
        choices=[
            ("30", _l("In 30 days")),
            ("90", _l("In 90 days")),
            ("365", _l("In a year")),
            ("0", _l("Never")),
        ],
        default="90",
        description=_l("A token that expires cannot be misused for long if it leaks."),
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("6-digit code"),
        validators=[DataRequired(_l("Type the 6-digit code your authenticator app shows."))],
        description=_l("From the authenticator app on your phone. It changes every 30 seconds."),
    )


class RequireTwoFactorForm(FlaskForm):
    require = BooleanField(_l("Everyone in the organisation signs in with a code"))
