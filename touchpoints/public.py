"""The tenant side of touchpoints: ``/t/<slug>`` (also framed by ``/embed.js``), its QR codes
and flyer, and ``/embed.js`` itself.

A public URL names a touchpoint by slug; the one look-up by slug crosses organisations, then the
request is scoped to the touchpoint's organisation like any other. Visits are counted in the
funnel by source (``?src=``), with no cookie and nothing about the visitor.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, make_response, render_template, request
from flask_babel import refresh

from panel.core.assets import asset
from panel.core.errors import NotFound
from panel.core.extensions import db, limiter
from panel.core.i18n import lazy_text as _l
from panel.core.i18n import use_tenant_language
from panel.core.scoping import scope_session
from panel.organisations.models import Organisation
from panel.questions.models import Question
from panel.questions.playback import player_for
from touchpoints import funnel, links, service
from touchpoints.embedding import embed_origins, frame_policy
from touchpoints.flyer import poster_data_uri, render_flyer
from touchpoints.models import FunnelEvent, Touchpoint
from touchpoints.qr import qr_png, qr_svg

bp = Blueprint(
    "touchpoints_public",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/touchpoints/static",
)
ASSET_CACHE = "public, max-age=300"


def _touchpoint(slug: str) -> tuple[Touchpoint, Organisation]:
    """The touchpoint ``slug`` names, with the request scoped to its organisation; 404 when
    there is none."""
    session = db.session()
    touchpoint = service.find_by_slug(session, slug)
    if touchpoint is None:
        raise NotFound(
            _l("This address does not lead to a question. Check the address on the flyer.")
        )
    scope_session(session, touchpoint.organisation_id)
    organisation = session.get(Organisation, touchpoint.organisation_id)
    return touchpoint, organisation


def _speak(question: Question | None, organisation: Organisation) -> str:
    """The tenant's language (:func:`~panel.core.i18n.use_tenant_language`): the switch, the
    browser's, else the question's, else the organisation's."""
    fallback = question.language if question else None
    return use_tenant_language(fallback=fallback, default=organisation.default_language)


def _print_in_question_language(question: Question | None, organisation: Organisation) -> str:
    """A flyer is printed by staff for a stairwell: it speaks its question's language, never
    the language of the browser that downloaded it."""
    g.locale = question.language if question else organisation.default_language
    refresh()
    return str(g.locale)


@bp.get("/t/<slug>")
def touchpoint_page(slug: str) -> Any:
    """The question the touchpoint shows today, as a tenant sees it (or a kind page when none
    is); framed by ``/embed.js`` with ``?embed=1``."""
    touchpoint, organisation = _touchpoint(slug)
    session = db.session()
    question = service.current_question(
        session, touchpoint, service.organisation_today(organisation)
    )
    embedded = request.args.get("embed") == "1"
    funnel.record(session, touchpoint.id, request.args.get("src"), FunnelEvent.VIEW)
    session.commit()
    language = _speak(question, organisation)
    response = make_response(
        render_template(
            "touchpoints/public.html",
            touchpoint=touchpoint,
            organisation=organisation,
            question=question,
            player=player_for(question.media) if question else None,
            embedded=embedded,
            language=language,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    if embedded:
        response.headers["Content-Security-Policy"] = frame_policy(embed_origins(organisation))
    return response


def _asset(body: bytes, content_type: str, filename: str | None = None) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = ASSET_CACHE
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.get("/t/<slug>/qr.svg")
def qr_svg_file(slug: str) -> Response:
    """The QR code of ``<base>/t/<slug>?src=qr``, as SVG on white."""
    touchpoint, _organisation = _touchpoint(slug)
    return _asset(qr_svg(links.public_url(touchpoint, "qr")), "image/svg+xml")


@bp.get("/t/<slug>/qr.png")
def qr_png_file(slug: str) -> Response:
    """The QR code of ``<base>/t/<slug>?src=qr``, as PNG."""
    touchpoint, _organisation = _touchpoint(slug)
    return _asset(qr_png(links.public_url(touchpoint, "qr")), "image/png")


# A flyer costs ~0.1 s of CPU to lay out: enough for anyone printing, too little to be a lever.
@bp.get("/t/<slug>/flyer.pdf")
@limiter.limit("20 per minute")
def flyer(slug: str) -> Response:
    """A printable A4 flyer of the question shown today, in its language."""
    touchpoint, organisation = _touchpoint(slug)
    session = db.session()
    question = service.current_question(
        session, touchpoint, service.organisation_today(organisation)
    )
    language = _print_in_question_language(question, organisation)
    pdf = render_flyer(
        qr_data=links.public_url(touchpoint, "qr"),
        question=question,
        organisation=organisation,
        poster=poster_data_uri(question.media) if question else None,
        short_url=links.short_url(touchpoint),
        language=language,
    )
    return _asset(pdf, "application/pdf", f"{touchpoint.slug}.pdf")


@bp.get("/embed.js")
def embed_js() -> Response:
    """The embed script: a button or an inline card that frames a touchpoint."""
    script = asset("touchpoints_public.static", "embed.js")  # read once, at start
    response = _asset(script.body, "text/javascript; charset=utf-8")
    # Any site may load the script; what it frames is guarded by frame-ancestors.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
