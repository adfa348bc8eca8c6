"""Two-factor sign-in with a time-based code (TOTP, RFC 6238: 6 digits, 30-second steps).

The secret lives in ``User.totp_secret``; two-factor is on once ``totp_enabled_at`` is set, which
happens only when the person has typed a first code from their app. A code is accepted for the
step before, the current one and the next (clocks drift), and never for a step at or before
``totp_last_step``: a code seen over someone's shoulder cannot be used again.

Between the password and the code, the session holds only :data:`PENDING` (the user's id, a
stamp of their password hash, "keep me logged in", where to go next and when the password was
right); nobody is logged in until the code passes.
"""

from __future__ import annotations

import io
import time
from typing import Any

import pyotp
import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathFillImage

from panel.accounts.models import User
from panel.core.db import utcnow

ISSUER = "Stoop"
STEP_SECONDS = 30
PENDING = "two_factor_pending"
PENDING_MAX_AGE = 5 * 60  # the code must follow the password within five minutes


def new_secret() -> str:
    """A fresh base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(data: str) -> str:
    """``data`` as an inline SVG QR code on a white background (scanners need the contrast)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(data)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(image_factory=SvgPathFillImage).save(out)
    svg = out.getvalue().decode()
    # Drop the XML declaration: the SVG goes inside the page.
    return svg[svg.index("<svg") :]


def matching_step(
    secret: str, code: str, last_step: int | None, now: float | None = None
) -> int | None:
    """The time step ``code`` is valid for (±1 step), unless that step was used already."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6) or not secret:
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def check_code(user: User, code: str) -> bool:
    """True when ``code`` is right for ``user``'s secret; the step is then used up."""
    step = matching_step(user.totp_secret or "", code, user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def enable(user: User, code: str) -> bool:
    """Turn two-factor on with the first code from the app; False when the code is wrong."""
    if user.totp_enabled_at is not None or not check_code(user, code):
        return False
    user.totp_enabled_at = utcnow()
    return True


def disable(user: User) -> None:
    """Turn two-factor off and forget the secret."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None


def is_on(user: Any) -> bool:
    """True when ``user`` signs in with a code."""
    return getattr(user, "totp_enabled_at", None) is not None


def required_for(user: Any) -> bool:
    """True when the user's organisation requires two-factor and the user has not set it up."""
    organisation = getattr(user, "organisation", None)
    if organisation is None or is_on(user):
        return False
    return bool(organisation.setting("require_two_factor", False))
