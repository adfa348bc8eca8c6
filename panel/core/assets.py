"""Static files under content-hashed names, read once at start and served from memory.

Every file of the app's static folder and of each blueprint's gets a name with the first ten
hex digits of its SHA-256 in it: ``stoop.css`` is linked as ``stoop.3f2a9c1b0d.css``. Templates
keep calling ``url_for('static', filename='stoop.css')``: a URL-defaults callback swaps in the
hashed name, so a page always links the files it was made with. Hashed URLs are cached for a
year (``immutable``: a phone never asks again); the plain name still works, with a five-minute
cache and a validator, for anything that kept an old link. Text files go out compressed at the
highest brotli or gzip level, compressed once per process on first request (the
per-request compression of pages uses a cheaper level; a stylesheet can afford the best).

ES modules import each other by relative path (``import { x } from "./uploader.js"``). Those
specifiers are rewritten to the hashed names too, and a module's hash is taken of its rewritten
text, so a change to ``uploader.js`` renames every module that imports it: no page can ever
mix a new module with a stale one from the cache.

Why our own: Flask-Static-Digest needs a build step that writes digested copies into the
static folder and its own ``static_url_for``, and knows only the app's static folder;
WhiteNoise serves files well but leaves the hashing to Django's storage. Neither rewrites
module imports. Files are read at start only: a changed file is seen after a restart (the
development server has no reloader either).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import brotli
from flask import Flask, Response, abort, current_app, request

EXTENSION_KEY = "stoop_assets"
DIGEST_LENGTH = 10
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
# A name with a digest of ours in it: stem, dot, ten hex digits, suffix.
HASHED = re.compile(rf"^(?P<stem>.+)\.[0-9a-f]{{{DIGEST_LENGTH}}}(?P<suffix>\.[^./]+)$")
# A relative module specifier in an import or export statement, or in a dynamic import().
IMPORT = re.compile(
    r"""(?P<head>\b(?:from|import)\s*\(?\s*)(?P<q>["'])(?P<spec>\.{1,2}/[^"'\s]+)(?P=q)"""
)
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css"}
COMPRESSIBLE = frozenset({"text/css", "text/javascript", "image/svg+xml"})
MIN_COMPRESS_SIZE = 500
_compressing = threading.Lock()


@dataclass(frozen=True)
class Asset:
    """One static file: its bytes (imports rewritten), type, digest and hashed name."""

    name: str
    hashed_name: str
    body: bytes
    mimetype: str
    digest: str
    encoded: dict[str, bytes] = field(default_factory=dict, compare=False)

    def encoding_for(self, accepted: Any) -> str | None:
        """``br`` or ``gzip`` when the browser takes it and the file is worth compressing."""
        if self.mimetype not in COMPRESSIBLE or len(self.body) < MIN_COMPRESS_SIZE:
            return None
        return next((e for e in ("br", "gzip") if accepted[e]), None)

    def body_in(self, encoding: str) -> bytes:
        """The file compressed with ``encoding``, at the best level, made once."""
        found = self.encoded.get(encoding)
        if found is None:
            with _compressing:
                found = self.encoded.get(encoding)
                if found is None:
                    found = (
                        brotli.compress(self.body, quality=11)
                        if encoding == "br"
                        else gzip.compress(self.body, compresslevel=9, mtime=0)
                    )
                    self.encoded[encoding] = found
        return found


@dataclass
class AssetTable:
    """The files of one static folder, by their plain and by their hashed names."""

    by_name: dict[str, Asset] = field(default_factory=dict)
    by_hashed_name: dict[str, Asset] = field(default_factory=dict)

    def add(self, asset: Asset) -> None:
        self.by_name[asset.name] = asset
        self.by_hashed_name[asset.hashed_name] = asset


def hashed_name(name: str, digest: str) -> str:
    """``js/recorder.js`` with ``digest`` → ``js/recorder.<digest>.js``."""
    folder, _, base = name.rpartition("/")
    stem, dot, suffix = base.rpartition(".")
    hashed = f"{stem}.{digest}.{suffix}" if dot and stem else f"{base}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


def _mimetype(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _files(folder: Path) -> dict[str, bytes]:
    """Every visible file under ``folder`` by its name relative to it, with ``/`` separators."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            found[relative.as_posix()] = path.read_bytes()
    return found


def _resolve(importer: str, specifier: str) -> str | None:
    """The static name a relative specifier points at, seen from module ``importer``."""
    parts = importer.split("/")[:-1]
    for piece in specifier.split("/"):
        if piece == "..":
            if not parts:
                return None
            parts.pop()
        elif piece not in (".", ""):
            parts.append(piece)
    return "/".join(parts)


def build_table(folder: Path) -> AssetTable:
    """Read and hash the files of ``folder``, modules after the modules they import."""
    builder = _Builder(_files(folder))
    for name in builder.raw:
        builder.build(name, ())
    return builder.table


class _Builder:
    """Hashes files depth first, so a module's imports have their names before it does."""

    def __init__(self, raw: dict[str, bytes]) -> None:
        self.raw = raw
        self.table = AssetTable()

    def build(self, name: str, chain: tuple[str, ...]) -> Asset:
        if name in self.table.by_name:
            return self.table.by_name[name]
        mimetype = _mimetype(name)
        body = self.raw[name]
        if mimetype == "text/javascript":
            body = self._rewrite_imports(name, body, (*chain, name))
        digest = hashlib.sha256(body).hexdigest()[:DIGEST_LENGTH]
        found = Asset(name, hashed_name(name, digest), body, mimetype, digest)
        self.table.add(found)
        return found

    def _rewrite_imports(self, name: str, body: bytes, chain: tuple[str, ...]) -> bytes:
        def swap(match: re.Match[str]) -> str:
            spec = match["spec"]
            target = _resolve(name, spec)
            # A cycle keeps its plain specifier: still right, only cached for a shorter time.
            if target is None or target not in self.raw or target in chain:
                return match[0]
            new_base = self.build(target, chain).hashed_name.rsplit("/", 1)[-1]
            new_spec = spec.rsplit("/", 1)[0] + "/" + new_base
            return f"{match['head']}{match['q']}{new_spec}{match['q']}"

        return IMPORT.sub(swap, body.decode("utf-8")).encode("utf-8")


def _static_folders(app: Flask) -> Iterable[tuple[str, Path]]:
    """(endpoint, folder) of the app's static route and of every blueprint's."""
    if app.static_folder and app.has_static_folder:
        yield "static", Path(app.static_folder)
    for name, blueprint in app.blueprints.items():
        if blueprint.has_static_folder and blueprint.static_folder:
            yield f"{name}.static", Path(blueprint.static_folder)


def tables(app: Flask | None = None) -> dict[str, AssetTable]:
    """The asset tables of ``app`` (the current app by default), by static endpoint."""
    return (app or current_app).extensions[EXTENSION_KEY]


def asset(endpoint: str, name: str) -> Asset:
    """A static file as read at start: ``asset("touchpoints_public.static", "embed.js")``."""
    return tables()[endpoint].by_name[name]


def serve(table: AssetTable, filename: str) -> Response:
    """A static file from memory: a year's cache under its hashed name, five minutes under its
    plain name (or a hashed name of an older version, served as the current file)."""
    found = table.by_hashed_name.get(filename)
    cache = IMMUTABLE
    if found is None:
        cache = SHORT
        found = table.by_name.get(filename)
        older = HASHED.match(filename)
        if found is None and older:
            found = table.by_name.get(older["stem"] + older["suffix"])
    if found is None:
        abort(404)
    encoding = found.encoding_for(request.accept_encodings)
    body = found.body_in(encoding) if encoding else found.body
    response = Response(body, mimetype=found.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = cache
    # Weak: the gzip and the plain bytes are the same file, and the compression keeps it as it is.
    response.set_etag(found.digest, weak=True)
    return response.make_conditional(request)


def init_assets(app: Flask) -> None:
    """Hash every static folder of ``app`` (after the blueprints are registered), serve the
    files from memory, and make ``url_for`` give the hashed names. Called again, it reads the
    folders again."""
    first = EXTENSION_KEY not in app.extensions
    app.extensions[EXTENSION_KEY] = {
        endpoint: build_table(folder) for endpoint, folder in _static_folders(app)
    }
    if not first:
        return
    for endpoint in app.extensions[EXTENSION_KEY]:
        app.view_functions[endpoint] = _view(endpoint)

    @app.url_defaults
    def _hashed_static_names(endpoint: str, values: dict[str, Any]) -> None:
        table = app.extensions[EXTENSION_KEY].get(endpoint)
        if table is None:
            return
        known = table.by_name.get(values.get("filename", ""))
        if known is not None:
            values["filename"] = known.hashed_name


def _view(endpoint: str) -> Any:
    def static_file(filename: str) -> Response:
        return serve(tables()[endpoint], filename)

    return static_file
