"""The organisation's logo with media in S3 (the moto server): stored in the bucket, served by
the app at its public URL (not redirected: e-mails keep the URL for years, a presigned one
lapses), removed from the bucket with the logo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from notifications.brand import Logo
from tests.factories import OrganisationFactory, UserFactory, login
from tests.media.conftest import s3_app, s3_session  # noqa: F401 - the media tests' S3 app
from tests.organisations.test_brand import picture, upload


@pytest.fixture
def brand_app(s3_app: Flask) -> Iterator[Flask]:  # noqa: F811
    """The media tests' app in s3 mode, its forms posted here without a CSRF token."""
    s3_app.config["WTF_CSRF_ENABLED"] = False
    yield s3_app
    s3_app.config["WTF_CSRF_ENABLED"] = True


def test_the_logo_is_stored_in_the_bucket_and_served_by_the_app(
    brand_app,
    s3_session,  # noqa: F811 - the imported fixture
    s3_server,
):
    organisation = OrganisationFactory(name="Bostäder i Molnet")
    admin = UserFactory(organisation=organisation, admin=True)
    client = brand_app.test_client()
    login(client, admin)
    bucket = brand_app.config["STOOP"].s3_bucket
    s3 = s3_server.client()

    assert upload(client, picture("PNG", (1000, 400))).status_code == 303

    s3_session.refresh(organisation)
    logo = Logo.from_settings(organisation.settings)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{organisation.id}/brand/")
    assert [item["Key"] for item in listed["Contents"]] == [logo.key]
    served = brand_app.test_client().get(logo.path(organisation.slug))
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.data == s3.get_object(Bucket=bucket, Key=logo.key)["Body"].read()

    assert client.post("/app/settings/brand/remove-logo").status_code == 303

    assert s3.list_objects_v2(Bucket=bucket, Prefix=logo.key).get("KeyCount", 0) == 0
    assert brand_app.test_client().get(logo.path(organisation.slug)).status_code == 404
