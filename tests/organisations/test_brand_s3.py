"""The organisation's logo with media in S3 (the moto server): stored in the bucket, served by
the app at its public URL (not redirected: e-mails keep the URL for years, a presigned one
lapses), removed from the bucket with the logo."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from notifications.brand import Logo
from panel.app import create_app
from panel.core.extensions import db
from tests.conftest import IsolatedClient, make_test_settings, savepoint_binding
from tests.factories import OrganisationFactory, UserFactory, login
from tests.organisations.test_brand import picture, upload


@pytest.fixture(scope="module")
def s3_app(database_url: str, tmp_path_factory: Any, s3_server: Any) -> Iterator[Flask]:
    settings = make_test_settings(
        tmp_path_factory.mktemp("brand-s3"),
        database_url,
        media_backend="s3",
        s3_bucket=s3_server.create_bucket(),
        s3_endpoint_url=s3_server.endpoint_url,
    )
    application = create_app(settings)
    application.config["WTF_CSRF_ENABLED"] = False
    application.test_client_class = IsolatedClient
    yield application
    db.state(application).engine.dispose()


@pytest.fixture
def s3_session(s3_app: Flask, app: Flask) -> Iterator[Any]:
    """A rolled-back session of the S3 app (the session's ``app`` stays Celery's default)."""
    with savepoint_binding(s3_app) as session:
        yield session
    celery = app.extensions["celery"]
    celery.set_current()
    celery.set_default()


def test_the_logo_is_stored_in_the_bucket_and_served_by_the_app(s3_app, s3_session, s3_server):
    organisation = OrganisationFactory(name="Bostäder i Molnet")
    admin = UserFactory(organisation=organisation, admin=True)
    client = s3_app.test_client()
    login(client, admin)
    bucket = s3_app.config["STOOP"].s3_bucket
    s3 = s3_server.client()

    assert upload(client, picture("PNG", (1000, 400))).status_code == 303

    s3_session.refresh(organisation)
    logo = Logo.from_settings(organisation.settings)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{organisation.id}/brand/")
    assert [item["Key"] for item in listed["Contents"]] == [logo.key]
    served = s3_app.test_client().get(logo.path(organisation.slug))
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.data == s3.get_object(Bucket=bucket, Key=logo.key)["Body"].read()

    assert client.post("/app/settings/brand/remove-logo").status_code == 303

    assert s3.list_objects_v2(Bucket=bucket, Prefix=logo.key).get("KeyCount", 0) == 0
    assert s3_app.test_client().get(logo.path(organisation.slug)).status_code == 404
