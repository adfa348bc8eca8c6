"""The form that sends a question to a panel. The rules live in the service."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectField
from wtforms.validators import NumberRange, Optional

from panel.sends.service import MAX_REMIND_AFTER_DAYS, MAX_REMINDERS


class SendForm(FlaskForm):
    """To whom, on which channels, when, and with how many reminders."""

    panel_id = SelectField(_l("Panel"), coerce=int)
    segment_id = SelectField(_l("Segment"), coerce=int, validate_choice=False)
    email = BooleanField(_l("E-mail"), default=True)
    sms = BooleanField(_l("SMS"), default=True)
    prefer = RadioField(
        _l("Members with both get"),
        choices=[("email", _l("the e-mail")), ("sms", _l("the SMS"))],
        default="email",
    )
    when = RadioField(
        _l("When"),
        choices=[("now", _l("Now")), ("later", _l("Later"))],
        default="now",
    )
    scheduled_at = DateTimeLocalField(_l("Send at"), validators=[Optional()])
    remind = BooleanField(_l("Remind those who have not answered"), default=True)
    remind_after_days = IntegerField(
        _l("after (days)"),
        default=3,
        validators=[Optional(), NumberRange(min=1, max=MAX_REMIND_AFTER_DAYS)],
    )
    max_reminders = IntegerField(
        _l("at most (reminders)"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=MAX_REMINDERS)],
    )

    def channels(self) -> list[str]:
        """The chosen channels, the preferred one first."""
        chosen = [c for c in ("email", "sms") if getattr(self, c).data]
        return sorted(chosen, key=lambda c: c != self.prefer.data)

    def moment(self, timezone: str) -> dt.datetime | None:
        """When to send, in UTC (None: now). The field is read in the organisation's zone."""
        if self.when.data != "later" or self.scheduled_at.data is None:
            return None
        try:
            zone = ZoneInfo(timezone)
        except (KeyError, ValueError):
            zone = ZoneInfo("Europe/Stockholm")
        return self.scheduled_at.data.replace(tzinfo=zone).astimezone(dt.UTC)
