"""The demo organisation's brand: a brick-red colour and a logo drawn here (a rounded square
with its initials beside its name), so the demo's e-mails and tenant pages show both; and its
phone number, which tenants text and call (the touchpoints' demo answers it).

The logo goes through the same door as an upload (:func:`media.images.logo_picture`), so the
demo shows what an administrator's logo becomes.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy.orm import Session

from media.images import logo_picture
from media.storage import current_storage
from notifications.senders import add_sender_number, find_sender_number
from panel.organisations import brand
from panel.organisations.models import Organisation

DEMO_COLOUR = "#a8432e"
# The number tenants text and call, "+46 8 123 456 70" (a Stockholm number).
DEMO_PHONE_NUMBER = "+46812345670"
INK = "#1b2326"
SCALE = 2  # drawn at twice the stored size, then scaled down: smooth edges


def seed_demo_brand(session: Session, organisation: Organisation) -> None:
    """Give the demo organisation its colour and logo."""
    brand.save_sender(session, organisation, name="", address="", colour=DEMO_COLOUR)
    picture = logo_picture(demo_logo_png(organisation.name, DEMO_COLOUR))
    brand.store_logo(current_storage(), organisation, picture)
    session.flush()


def seed_demo_phone_number(session: Session, organisation: Organisation) -> None:
    """The demo's number, taking SMS and calls (unless something else already has it)."""
    if find_sender_number(session, DEMO_PHONE_NUMBER) is None:
        add_sender_number(session, organisation.id, DEMO_PHONE_NUMBER, sms=True, voice=True)


def demo_logo_png(name: str, colour: str) -> bytes:
    """A PNG with a transparent background: a rounded square in ``colour`` with the initials
    of ``name`` in white, and ``name`` beside it."""
    initials = "".join(word[0] for word in name.split()[:2]).upper() or "S"
    height = 120 * SCALE
    square = height
    label_font = _font(46 * SCALE)
    initials_font = _font(52 * SCALE)
    label_width = int(ImageDraw.Draw(Image.new("L", (1, 1))).textlength(name, font=label_font))
    width = square + 28 * SCALE + label_width + 8 * SCALE
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, square - 1, square - 1), radius=26 * SCALE, fill=colour)
    draw.text((square / 2, square / 2), initials, font=initials_font, fill="#ffffff", anchor="mm")
    draw.text((square + 28 * SCALE, height / 2), name, font=label_font, fill=INK, anchor="lm")
    image = image.resize((width // SCALE, height // SCALE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A bold sans-serif where the system has one (DejaVu on Debian), else Pillow's own."""
    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)
