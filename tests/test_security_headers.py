"""Security headers on every page: the URL map is walked (every staff GET page with the ids of a
seeded organisation, the public pages, the login pages) and every HTML answer, error pages
included, must carry the CSP (no inline script), Referrer-Policy and X-Content-Type-Options.
In production HSTS is added and every cookie is Secure, HttpOnly and SameSite."""

from __future__ import annotations

import re

import pytest

from tests.browser.staff_site import seed_staff_site
from tests.factories import PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.once

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# An inline script (data blocks of type application/json are not scripts) or an on* handler.
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"
    r"|<[a-z][^>]*\son[a-z]+\s*=",
    re.IGNORECASE,
)
PUBLIC_TOKEN_PAGES = ("/a/", "/me/", "/r/", "/n/", "/thanks/", "/clips/", "/invite/")


def log_in(client, email: str) -> None:
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def problems(response) -> list[str]:
    """What is missing from an HTML response's headers."""
    if response.mimetype != "text/html":
        return []
    headers = response.headers
    found = []
    policy = headers.get("Content-Security-Policy", "")
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip()
    )
    script = directives.get("script-src", directives.get("default-src", ""))
    if not script or "'unsafe-inline'" in script or "*" in script.split():
        found.append(f"script-src allows inline script or is missing: {policy!r}")
    if "frame-ancestors" not in directives:
        found.append("no frame-ancestors")
    if headers.get("X-Content-Type-Options") != "nosniff":
        found.append("no X-Content-Type-Options: nosniff")
    if not headers.get("Referrer-Policy"):
        found.append("no Referrer-Policy")
    if match := INLINE_SCRIPT.search(response.get_data(as_text=True)):
        found.append(f"inline script in the page: {match.group(0)[:80]}")
    return found


@pytest.fixture(scope="module")
def site(live_server):
    return seed_staff_site(live_server)


def test_every_page_carries_the_security_headers(live_server, site):
    app = live_server.app
    client = app.test_client()
    public = ["/", "/login", "/login/forgot", "/login/code", f"/t/{site.touchpoint_slug}"]
    public += [prefix + "not-a-real-token" for prefix in PUBLIC_TOKEN_PAGES]
    public += ["/join/no-such-panel", "/login/reset/nope", "/unsubscribe/nope", "/no-such-page"]
    failures = {}
    statuses = set()
    for url in public:
        response = client.get(url)
        statuses.add(response.status_code)
        if found := problems(response):
            failures[url] = found
    log_in(client, site.email)
    assert len(site.urls) > 50
    for url in [*site.urls, "/app/no-such-page", "/app/questions/999999999"]:
        response = client.get(url)
        statuses.add(response.status_code)
        assert response.status_code < 500, url
        if found := problems(response):
            failures[url] = found
    assert not failures
    assert {200, 404}.issubset(statuses)


def test_forbidden_and_server_error_pages_carry_them_too(make_app):
    app = make_app()

    @app.get("/test-only/boom")
    def boom():
        raise RuntimeError("a bug")

    app.config.update(PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    with app.app_context():
        staff = UserFactory(organisation=OrganisationFactory())
        email = staff.email
    client.post("/login", data={"email": email, "password": PASSWORD})
    forbidden = client.get("/app/team")
    assert forbidden.status_code == 403
    assert problems(forbidden) == []
    error = client.get("/test-only/boom")
    assert error.status_code == 500 and error.mimetype == "text/html"
    assert problems(error) == []


def test_production_adds_hsts_and_secure_cookies(make_app):
    app = make_app(env="production", allow_insecure=True)
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        email = UserFactory(organisation=OrganisationFactory()).email
    client = app.test_client()
    page = client.get("/login")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    response = client.post("/login", data={"email": email, "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    names = {cookie.split("=", 1)[0] for cookie in cookies}
    assert {"session", "remember_token", "stoop_device"} <= names
    for cookie in cookies:
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
