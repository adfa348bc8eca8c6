"""QR codes of a touchpoint's address, as SVG (print) and PNG (everything else).

The SVG gets a white background: a transparent one rasterises to nothing a scanner can read
(measured: /work/shared/notes/providers-pdf-qr.md). Error correction M survives a crease or a
smudge on a stairwell flyer and keeps a short URL at version 3-4.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage


def _code(data: str, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4
    )
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str) -> bytes:
    """``data`` as an SVG QR code on white, sized in mm (scales without loss)."""
    image = _code(data, box_size=10).make_image(image_factory=SvgPathFillImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def qr_png(data: str, box_size: int = 10) -> bytes:
    """``data`` as a black-on-white PNG QR code (``box_size`` pixels a module)."""
    image = _code(data, box_size=box_size).make_image(image_factory=PilImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
