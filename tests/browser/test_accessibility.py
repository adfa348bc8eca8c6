"""Accessibility, checked by axe-core in Chromium: the login page, every question page (each
state of a question) and the preview, on a laptop and on a phone, with no violations at all.

axe cannot judge text on a gradient; pa11y (HTML_CodeSniffer) judges it against the
background colour alone. The login page's brand panel is therefore also checked here the way
such tools see it: every text on it against the panel's own background colour.
"""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python
import pytest

from tests.browser.staff_site import log_in, seed_staff_site

pytestmark = pytest.mark.browser

AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
RUN_AXE = """
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 3)
    .map(n => n.target.join(" ")).join(", "));
}
"""
# WCAG contrast of each text in the panel against the panel's background colour.
PANEL_CONTRAST = """
() => {
  const rgba = (text) => text.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const panel = document.querySelector(".auth-aside");
  const bg = rgba(getComputedStyle(panel).backgroundColor);
  const found = [];
  if ((bg[3] ?? 1) < 1) return ["the panel has no background colour of its own"];
  for (const el of panel.querySelectorAll("*")) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const [r, g, b, a = 1] = rgba(getComputedStyle(el).color);
    const fg = [r, g, b].map((v, i) => v * a + bg[i] * (1 - a));
    const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const what = `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}"`;
    if (ratio < 4.5) found.push(`${what}: ${ratio.toFixed(2)}:1`);
  }
  return found;
}
"""


def axe_violations(page) -> list[str]:
    page.evaluate(AXE)  # evaluated over the DevTools protocol: the page's CSP does not apply
    return page.evaluate(RUN_AXE)


@pytest.fixture(scope="module")
def site(live_server):
    return seed_staff_site(live_server)


def question_pages(site) -> list[str]:
    return [url for url in site.urls if url.startswith("/app/questions")]


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_login_and_question_pages_have_no_axe_violations(live_server, site, device, request):
    page = request.getfixturevalue(device)
    page.goto("/login")
    problems = [f"/login: {v}" for v in axe_violations(page)]
    problems += [f"/login panel contrast: {v}" for v in page.evaluate(PANEL_CONTRAST)]
    log_in(page, site.email)
    pages = question_pages(site)
    assert any(url.endswith("/preview") for url in pages) and len(pages) >= 17
    for url in pages:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        problems += [f"{url}: {v}" for v in axe_violations(page)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_touchpoint_pages_have_no_axe_violations(live_server, site, device, request):
    """The staff pages of touchpoints and the settings, and the tenant page (alone and as
    the frame /embed.js opens)."""
    page = request.getfixturevalue(device)
    tenant = [f"/t/{site.touchpoint_slug}?src=qr", f"/t/{site.touchpoint_slug}?embed=1"]
    problems = []
    for url in tenant:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        problems += [f"{url}: {v}" for v in axe_violations(page)]
    log_in(page, site.email)
    staff = [u for u in site.urls if u.startswith(("/app/touchpoints", "/app/settings"))]
    assert len(staff) >= 4, staff
    for url in staff:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        problems += [f"{url}: {v}" for v in axe_violations(page)]
    assert not problems, "\n".join(problems)
