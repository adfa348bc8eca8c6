"""The request boundary: text no part of Stoop can store is refused here, once, for every route.

A NUL character (``\\x00``) is valid in a URL, a form, a JSON string or a header, but
PostgreSQL cannot store it and answers with an error (a 500 if it got that far). A lone
surrogate (``"\\ud800"`` in JSON) is not text at all and cannot be encoded for the database.
Rather than every view, form and service guarding against them, this hook looks at every part
of a request a view can read (path, query string, headers, cookies, form fields and file
names, JSON) before any view runs, and refuses the request with a message a person
understands:

* the API and other JSON clients get a 400 ``{"error": {"code": "invalid_characters"}}``
  naming where the character was;
* a form posted from one of our pages, or a search made on one, goes back to that page (303)
  without what carried the character, and the page shows the message, so the person can try
  again; any other page request gets the 400 error page, saying why.

Bodies of uploads (a CSV file, a video) are not text to store and are left to their readers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from flask import Flask, flash, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from panel.core.errors import error_response, wants_json

# Surrogates are only valid in pairs, in UTF-16; in a str they are broken text.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Form fields of larger bodies are left unread here: only uploads are that large, and their
# pages refuse an oversized body before parsing it (see panel.core.import_page).
MAX_FORM_CHECK_BYTES = 1024 * 1024


def init_boundary(app: Flask) -> None:
    """Refuse requests carrying NUL characters or broken text; call early in create_app, so
    the check runs before the hooks that read the request (API tokens, logins)."""
    app.before_request(refuse_unstorable_text)


def refuse_unstorable_text() -> Response | tuple[Any, int] | None:
    """The before-request hook: None for a clean request, else the refusal."""
    where = first_unstorable(request)
    if where is None:
        return None
    return _refusal(*where)


def first_unstorable(req: Any) -> tuple[str, str] | None:
    """(part, name) of the first value of ``req`` that holds unstorable text, or None."""
    for part, name, value in _texts(req):
        if isinstance(value, str) and UNSTORABLE.search(value):
            return part, name
    return None


def _texts(req: Any) -> Iterator[tuple[str, str, Any]]:
    yield "path", "path", req.path
    yield from _pairs("query", req.args.items(multi=True))
    yield from _pairs("header", req.headers.items())
    yield from _pairs("cookie", req.cookies.items(multi=True))
    if (
        req.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        and (req.content_length or 0) <= MAX_FORM_CHECK_BYTES
    ):
        yield from _pairs("form", req.form.items(multi=True))
        for name, upload in req.files.items(multi=True):
            yield "form", name, name
            yield "form", name, upload.filename or ""
    if req.is_json:
        yield from _json("json", "", req.get_json(silent=True))


def _pairs(part: str, items: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, str, Any]]:
    for name, value in items:
        yield part, _shown(name), name
        yield part, _shown(name), value


def _json(part: str, path: str, value: Any) -> Iterator[tuple[str, str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            name = f"{path}.{_shown(key)}" if path else _shown(key)
            yield part, name, key
            yield from _json(part, name, inner)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _json(part, f"{path}.{index}" if path else str(index), inner)
    else:
        yield part, path or "body", value


def _shown(name: str) -> str:
    """A name fit to be shown back: the unstorable characters replaced."""
    return UNSTORABLE.sub("\ufffd", str(name))[:100]


def _refusal(part: str, name: str) -> Response | tuple[Any, int]:
    message = _message(part, name)
    if wants_json():
        # Shaped like the API's other field errors: {where: {field: [message]}}.
        details = {"path": [message]} if part == "path" else {part: {name: [message]}}
        return error_response(400, "invalid_characters", message, details)
    if part in ("query", "form") and (back := _page_to_show_again()):
        # The page (the form, the search) shows again, saying what was wrong.
        flash(message, "error")
        return redirect(back, 303)
    return render_template("error.html", status=400, message=message), 400


def _message(part: str, name: str) -> str:
    if part == "form" or part == "json":
        return _(
            "The field “%(field)s” contains a character that cannot be stored (a NUL "
            "character or broken text). Remove it and send the form again.",
            field=name,
        )
    if part in ("path", "query"):
        return _(
            "The address contains a character that cannot be used (a NUL character or "
            "broken text). Check the link and try again."
        )
    if part == "cookie":
        return _(
            "The cookie “%(name)s” contains a NUL character, which cannot be used. Clear this "
            "site's cookies and try again.",
            name=name,
        )
    return _(
        "The request header “%(name)s” contains a NUL character, which cannot be used.",
        name=name,
    )


def _page_to_show_again() -> str | None:
    """The page the person sent this from, to show again (without the query parameters that
    carried the character); None when they did not come from one of our pages.

    A form posted goes back to the page it was on; a search (a GET form) to the same list. A
    request from nowhere (a typed or pasted address, a script) has no page to go back to.
    """
    referrer = request.referrer
    if not referrer:
        return None
    here, there = urlsplit(request.host_url), urlsplit(referrer)
    if there.netloc != here.netloc or UNSTORABLE.search(unquote(referrer)):
        return None
    if request.method != "GET":
        return referrer
    if there.path != request.path:
        return None
    clean = [
        (key, value)
        for key, value in request.args.items(multi=True)
        if not UNSTORABLE.search(key) and not UNSTORABLE.search(value)
    ]
    return request.path + (f"?{urlencode(clean)}" if clean else "")
