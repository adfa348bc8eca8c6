"""The brand and sender section of the settings page: admins set the sender's name, address and
colour and upload a logo, which is redrawn as a small PNG, stored in media storage and served
at a content-hashed public URL that tenant pages and e-mails show. Files that are no picture
are refused with a message, and nothing is stored."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from media.storage import current_storage
from notifications.brand import Logo
from notifications.senders import sender_identity, sender_settings
from panel.questions.models import QuestionStatus
from tests.factories import OrganisationFactory, UserFactory, make_panel
from tests.questions.conftest import make_question

IMG = re.compile(r'<img[^>]*src="(/o/[^"]+/logo-([0-9a-f]{16})\.png)"[^>]*>')


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def picture(kind: str = "PNG", size: tuple[int, int] = (1000, 400), **save: Any) -> bytes:
    """A real picture of ``size``: a coloured block with a transparent margin (PNG, WebP)."""
    mode = "RGB" if kind == "JPEG" else "RGBA"
    image = Image.new(mode, size, (255, 255, 255, 0) if mode == "RGBA" else "white")
    image.paste((122, 31, 61), (size[0] // 10, size[1] // 10, size[0] * 9 // 10, size[1] * 9 // 10))
    out = io.BytesIO()
    image.save(out, format=kind, **save)
    return out.getvalue()


def noise_png(size_bytes: int) -> bytes:
    """A valid PNG of random pixels, at least ``size_bytes`` long (noise does not compress)."""
    side = int((size_bytes / 3) ** 0.5) + 20
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    assert len(out.getvalue()) >= size_bytes
    return out.getvalue()


def brand_form(logo: tuple[bytes, str] | None = None, **values: str) -> dict[str, Any]:
    form: dict[str, Any] = {
        "email_from_name": "",
        "email_from_address": "",
        "brand_colour": "#7a1f3d",
        **values,
    }
    if logo is not None:
        form["logo"] = (io.BytesIO(logo[0]), logo[1])
    return form


def upload(client: Any, data: bytes, filename: str = "logo.png", **values: str) -> Any:
    return client.post(
        "/app/settings/brand",
        data=brand_form((data, filename), **values),
        content_type="multipart/form-data",
    )


def stored_logo(db_session: Any, organisation: Any) -> Logo | None:
    db_session.refresh(organisation)
    return Logo.from_settings(organisation.settings)


def brand_files(organisation: Any) -> list[str]:
    return current_storage().list(f"{organisation.id}/brand/")


@pytest.fixture(autouse=True)
def no_logo_files_left(organisation: Any) -> Iterator[None]:
    """The media folder outlives the rolled-back rows, and ids come round again: start and
    end without logo files of this organisation's id."""
    for key in brand_files(organisation):
        current_storage().delete(key)
    yield
    for key in brand_files(organisation):
        current_storage().delete(key)


@pytest.mark.parametrize(
    ("kind", "filename", "size", "expected"),
    [
        ("PNG", "logga.png", (1000, 400), (300, 120)),
        ("JPEG", "Logga Ängsbacken.JPG", (800, 600), (160, 120)),
        ("JPEG", "foto.jpeg", (4000, 3000), (160, 120)),  # decoded at a fraction of its size
        ("WEBP", "logo.webp", (2400, 200), (480, 40)),
        ("PNG", "small.png", (90, 30), (90, 30)),  # never enlarged
    ],
)
def test_an_uploaded_picture_is_stored_as_a_small_png_at_a_hashed_url(
    admin_client, db_session, organisation, kind, filename, size, expected
):
    response = upload(admin_client, picture(kind, size), filename)

    assert response.status_code == 303, text(response)[:2000]
    assert response.headers["Location"].endswith("/app/settings#brand")
    logo = stored_logo(db_session, organisation)
    assert logo is not None and (logo.width, logo.height) == expected
    assert brand_files(organisation) == [logo.key]
    page = text(admin_client.get("/app/settings"))
    assert "Saved the brand and sender." in page
    [(url, digest)] = set(IMG.findall(page))
    assert digest == logo.digest and url == f"/o/{organisation.slug}/logo-{digest}.png"

    served = admin_client.get(url)
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "PNG" and image.size == expected
    assert served.data == current_storage().read(logo.key)


def test_the_logo_url_needs_no_login_and_answers_a_revalidation_with_304(
    admin_client, app, db_session, organisation
):
    upload(admin_client, picture())
    logo = stored_logo(db_session, organisation)
    anonymous = app.test_client()
    url = logo.path(organisation.slug)

    first = anonymous.get(url)
    again = anonymous.get(url, headers={"If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    assert again.status_code == 304 and again.data == b""
    assert anonymous.head(url).status_code == 200


def test_a_wrong_hash_an_unknown_organisation_or_no_logo_is_a_404(
    admin_client, app, db_session, organisation
):
    anonymous = app.test_client()
    assert anonymous.get(f"/o/{organisation.slug}/logo-0123456789abcdef.png").status_code == 404
    upload(admin_client, picture())
    logo = stored_logo(db_session, organisation)
    other = OrganisationFactory(name="Hyresbostäder i Norrköping")

    assert anonymous.get(f"/o/{organisation.slug}/logo-0123456789abcdef.png").status_code == 404
    assert anonymous.get(f"/o/{organisation.slug}/logo-{logo.digest[:8]}.png").status_code == 404
    assert anonymous.get(f"/o/{other.slug}/logo-{logo.digest}.png").status_code == 404
    assert anonymous.get(f"/o/finns-inte/logo-{logo.digest}.png").status_code == 404


REFUSED = [
    pytest.param(
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script><rect width='10' height='10'/></svg>",
        "logo.svg",
        422,
        "SVG logos are not accepted",
        id="svg",
    ),
    pytest.param(
        b"<svg xmlns='http://www.w3.org/2000/svg'><rect width='1' height='1'/></svg>",
        "logo.png",
        422,
        "SVG logos are not accepted",
        id="svg-named-png",
    ),
    pytest.param(
        "Det här är ingen bild, bara text.\n".encode(),
        "logo.png",
        422,
        "not a PNG, JPEG or WebP picture",
        id="text-named-png",
    ),
    pytest.param(b"GIF89a\x01\x00\x01\x00", "logo.gif", 422, "not a PNG, JPEG", id="gif"),
    pytest.param(b"", "logo.png", 422, "The file is empty", id="empty"),
    pytest.param(
        picture()[:200], "logo.png", 422, "could not be read; the file may be damaged", id="cut"
    ),
    pytest.param(None, "huge.png", 413, "larger than 2 MB", id="3-mb"),
]


@pytest.mark.parametrize(("data", "filename", "status", "message"), REFUSED)
def test_what_is_no_usable_picture_is_refused_and_nothing_is_stored(
    admin_client, db_session, organisation, data, filename, status, message
):
    data = noise_png(3 * 1024 * 1024) if data is None else data

    response = upload(admin_client, data, filename, email_from_name="Ändrat namn")

    assert response.status_code == status
    page = text(response)
    assert message in page
    assert 'id="logo-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Ändrat namn"' in page  # what was typed is still there
    assert stored_logo(db_session, organisation) is None
    assert brand_files(organisation) == []
    assert sender_settings(db_session, organisation.id) is None  # nor the rest of the form


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_a_cut_off_picture_is_refused_even_after_weasyprint_allowed_them(
    admin_client, db_session, organisation, kind
):
    """WeasyPrint (the flyers) sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process when
    imported; an upload still may not be half a picture."""
    import weasyprint  # noqa: F401 - imported for its side effect on Pillow
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    noisy = Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3))
    out = io.BytesIO()
    noisy.save(out, format=kind)
    whole = out.getvalue()

    response = upload(admin_client, whole[: len(whole) * 2 // 3], f"logo.{kind.lower()}")

    assert response.status_code == 422, kind
    assert "could not be read" in text(response)
    assert stored_logo(db_session, organisation) is None
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as WeasyPrint wants it


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    admin_client, db_session, organisation
):
    response = upload(admin_client, b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024))

    assert response.status_code == 413
    assert "too large" in text(response)
    assert stored_logo(db_session, organisation) is None
    assert brand_files(organisation) == []


def test_a_picture_that_declares_too_many_pixels_is_refused(admin_client, db_session, organisation):
    # 10,000 by 10,000 of one colour: a few kilobytes that would decode to 400 MB.
    bomb = picture("PNG", (10_000, 10_000), optimize=True)
    assert len(bomb) < 2 * 1024 * 1024

    response = upload(admin_client, bomb)

    assert response.status_code == 422
    assert "too large to process" in text(response)
    assert stored_logo(db_session, organisation) is None


def test_a_refused_logo_keeps_the_one_there_was(admin_client, db_session, organisation):
    upload(admin_client, picture())
    before = stored_logo(db_session, organisation)

    assert upload(admin_client, b"nonsense", "logo.png").status_code == 422

    assert stored_logo(db_session, organisation) == before
    assert brand_files(organisation) == [before.key]


def test_a_new_logo_replaces_the_old_file_and_url(admin_client, app, db_session, organisation):
    upload(admin_client, picture("PNG", (600, 200)))
    old = stored_logo(db_session, organisation)

    upload(admin_client, picture("JPEG", (300, 300)), "new.jpg")

    new = stored_logo(db_session, organisation)
    assert new.digest != old.digest
    assert brand_files(organisation) == [new.key]
    anonymous = app.test_client()
    assert anonymous.get(old.path(organisation.slug)).status_code == 404
    assert anonymous.get(new.path(organisation.slug)).status_code == 200


def test_remove_logo(admin_client, app, db_session, organisation):
    upload(admin_client, picture())
    logo = stored_logo(db_session, organisation)
    assert "Remove logo" in text(admin_client.get("/app/settings"))

    response = admin_client.post("/app/settings/brand/remove-logo")

    assert response.status_code == 303
    assert stored_logo(db_session, organisation) is None
    assert brand_files(organisation) == []
    assert app.test_client().get(logo.path(organisation.slug)).status_code == 404
    page = text(admin_client.get("/app/settings"))
    assert "Removed the logo." in page and "Remove logo" not in page
    # Removing when there is none is harmless.
    assert admin_client.post("/app/settings/brand/remove-logo").status_code == 303


def test_saving_without_a_file_keeps_the_logo_and_sets_the_sender(
    admin_client, app, db_session, organisation
):
    upload(admin_client, picture())
    logo = stored_logo(db_session, organisation)

    response = admin_client.post(
        "/app/settings/brand",
        data=brand_form(
            email_from_name="Bostäder Väst hyresgästservice",
            email_from_address="Hyresgaster@Bostader-Vast.se",
            brand_colour="#A8432E",
        ),
    )

    assert response.status_code == 303
    assert stored_logo(db_session, organisation) == logo
    identity = sender_identity(db_session, organisation.id, app.config["STOOP"])
    assert identity.name == "Bostäder Väst hyresgästservice"
    assert identity.email_address == "Hyresgaster@bostader-vast.se"
    assert identity.colour == "#a8432e"
    assert identity.logo_url == app.config["STOOP"].base_url + logo.path(organisation.slug)
    assert (identity.logo_width, identity.logo_height) == (140, 56)
    page = text(admin_client.get("/app/settings"))
    assert 'value="Bostäder Väst hyresgästservice"' in page and 'value="#a8432e"' in page


def test_the_reply_domain_and_twilio_service_are_kept(admin_client, db_session, organisation):
    from notifications.senders import configure_sender

    configure_sender(
        db_session,
        organisation.id,
        reply_domain="svar.bostader-vast.se",
        twilio_messaging_service_sid="MG" + "0" * 32,
    )
    db_session.commit()

    admin_client.post("/app/settings/brand", data=brand_form(email_from_name="Bostäder Väst"))

    row = sender_settings(db_session, organisation.id)
    db_session.refresh(row)
    assert row.email_from_name == "Bostäder Väst"
    assert row.reply_domain == "svar.bostader-vast.se"
    assert row.twilio_messaging_service_sid == "MG" + "0" * 32


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email_from_address", "inte en adress", "is not a valid e-mail address"),
        ("brand_colour", "röd", "A colour is written like #1f5f5b."),
        ("brand_colour", "#12345", "A colour is written like #1f5f5b."),
        ("email_from_name", "Rad ett\r\nBcc: x@example.org", "one line of at most 120"),
    ],
)
def test_a_bad_sender_value_is_shown_beside_its_field_and_nothing_is_saved(
    admin_client, db_session, organisation, field, value, message
):
    response = upload(admin_client, picture(), **{field: value})

    assert response.status_code == 422
    page = text(response)
    assert f'id="{field}-error"' in page and message in page
    assert sender_settings(db_session, organisation.id) is None
    assert stored_logo(db_session, organisation) is None
    assert brand_files(organisation) == []


def test_only_admins_change_the_brand(staff_client, admin, db_session, organisation):
    assert staff_client.get("/app/settings").status_code == 403
    assert upload(staff_client, picture()).status_code == 403
    assert staff_client.post("/app/settings/brand/remove-logo").status_code == 403
    assert stored_logo(db_session, organisation) is None
    assert brand_files(organisation) == []
    assert sender_settings(db_session, organisation.id) is None


def test_tenant_pages_show_the_logo_instead_of_the_name(
    admin_client, app, db_session, organisation, scoped
):
    from touchpoints.service import create_touchpoint

    panel = make_panel(organisation)
    owner = UserFactory(organisation=organisation, name="Anna Öberg")
    question = make_question(owner, title="Hur trivs du?", status=QuestionStatus.LIVE)
    touchpoint = create_touchpoint(
        scoped, {"name": "Flygblad", "kind": "qr"}, [(question.id, dt.date(2020, 1, 1))]
    )
    scoped.commit()
    tenant = app.test_client()
    pages = (f"/join/{panel.slug}", f"/t/{touchpoint.slug}")
    for url in pages:
        assert not IMG.search(text(tenant.get(url))), url

    upload(admin_client, picture("PNG", (1000, 400)))
    logo = stored_logo(db_session, organisation)

    for url in pages:
        page = text(tenant.get(url))
        [tag] = [m.group(0) for m in IMG.finditer(page)]
        assert f'src="{logo.path(organisation.slug)}"' in tag, url
        assert f'alt="{organisation.name}"' in tag
        assert 'width="100" height="40"' in tag  # fitted to the header's 200 by 40
