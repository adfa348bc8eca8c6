"""Static files under content-hashed names: pages link the hashed name, which is cached for a
year and changes with the file; the plain name still works with a short cache; modules that
import each other by relative path import the hashed names too."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from panel.core.assets import IMMUTABLE, SHORT, build_table, init_assets

STATIC = Path(__file__).resolve().parents[2] / "panel" / "static"
HASHED_CSS = re.compile(r'<link rel="stylesheet" href="/static/stoop\.([0-9a-f]{10})\.css">')


def _stylesheet(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    found = HASHED_CSS.search(page)
    assert found, "the page links no hashed stylesheet"
    return found[0].split('"')[3]


@pytest.fixture
def own_static(make_app, tmp_path):
    """An app reading a copy of the static folder that the test may change."""
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    app = make_app()
    app.static_folder = str(folder)
    init_assets(app)
    return app, folder


def test_the_stylesheet_link_carries_a_hash_that_follows_the_content(own_static):
    app, folder = own_static
    client = app.test_client()
    before = _stylesheet(client)

    (folder / "stoop.css").write_text((STATIC / "stoop.css").read_text() + "\nb{color:red}\n")
    init_assets(app)  # what a restart does
    after = _stylesheet(client)

    assert before != after
    fresh = client.get(after)
    assert fresh.status_code == 200 and fresh.data.endswith(b"b{color:red}\n")
    assert fresh.headers["Cache-Control"] == IMMUTABLE
    # A page cached from before the change still gets a stylesheet, the current one, briefly.
    stale = client.get(before)
    assert stale.status_code == 200 and stale.data == fresh.data
    assert stale.headers["Cache-Control"] == SHORT


def test_hashed_urls_are_immutable_and_plain_ones_short_lived(client):
    hashed = client.get(_stylesheet(client))
    plain = client.get("/static/stoop.css")

    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert hashed.headers["Content-Type"] == "text/css; charset=utf-8"
    assert plain.status_code == 200 and plain.data == hashed.data
    assert plain.headers["Cache-Control"] == "public, max-age=300"
    again = client.get("/static/stoop.css", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/static/nothing.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404


def test_every_static_url_a_page_emits_is_hashed(client, app):
    with app.test_request_context():
        from flask import url_for

        urls = [
            url_for("static", filename="favicon.svg"),
            url_for("static", filename="js/recorder.js"),
            url_for("touchpoints_public.static", filename="embed.js"),
        ]
    for url in urls:
        assert re.search(r"\.[0-9a-f]{10}\.(svg|js)$", url), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE


def test_modules_import_each_other_by_hashed_name(client, app):
    with app.test_request_context():
        from flask import url_for

        recorder = url_for("static", filename="js/recorder.js")
        uploader = url_for("static", filename="js/uploader.js")
    body = client.get(recorder).get_data(as_text=True)

    assert f'from "./{uploader.rsplit("/", 1)[1]}"' in body
    assert '"./uploader.js"' not in body
    assert client.get(uploader).headers["Cache-Control"] == IMMUTABLE


def test_a_changed_import_renames_its_importers(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text('import { b } from "./b.js";\nb();\n')
    (tmp_path / "js" / "b.js").write_text("export function b() {}\n")
    (tmp_path / "js" / "c.js").write_text('import "../js/a.js";\nimport("./missing.js");\n')
    before = build_table(tmp_path)

    (tmp_path / "js" / "b.js").write_text("export function b() { return 1; }\n")
    after = build_table(tmp_path)

    for name in ("js/a.js", "js/b.js", "js/c.js"):
        assert before.by_name[name].hashed_name != after.by_name[name].hashed_name, name
    c = after.by_name["js/c.js"].body.decode()
    assert f'import "../js/{after.by_name["js/a.js"].hashed_name[3:]}"' in c
    assert 'import("./missing.js")' in c  # not ours to rename: left alone


def test_modules_that_import_each_other_keep_plain_names_in_the_cycle(tmp_path):
    (tmp_path / "a.js").write_text('import "./b.js";\n')
    (tmp_path / "b.js").write_text('import "./a.js";\n')

    table = build_table(tmp_path)

    assert set(table.by_name) == {"a.js", "b.js"}
    names = [found.hashed_name for found in table.by_name.values()]
    assert all(re.fullmatch(r"[ab]\.[0-9a-f]{10}\.js", name) for name in names)
