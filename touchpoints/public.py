"""The tenant side of touchpoints: ``/t/<slug>`` (also framed by ``/embed.js``), its QR codes
and flyer, and ``/embed.js`` itself.

A public URL names a touchpoint by slug; the one look-up by slug crosses organisations, then the
request is scoped to the touchpoint's organisation like any other. Visits are counted in the
funnel by source (``?src=``), with no cookie and nothing about the visitor.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, make_response, render_template, request, url_for
from flask_babel import refresh

from panel.answers import web
from panel.answers.models import AnswerChannel
from panel.answers.service import QuestionClosed, clean_place, record_answer
from panel.core.assets import asset
from panel.core.errors import NotFound, ValidationError
from panel.core.extensions import csrf, db, limiter
from panel.core.i18n import lazy_text as _l
from panel.core.i18n import switched_language, use_tenant_language
from panel.core.scoping import scope_session
from panel.organisations.models import Organisation
from panel.questions.models import Question
from panel.questions.playback import player_for
from panel.questions.service import accepts_answers
from panel.sends.public import answer_limit
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


def _page(
    touchpoint: Touchpoint,
    organisation: Organisation,
    question: Question | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    """The touchpoint's page: today's question and the answer form (or why there is none)."""
    embedded = request.values.get("embed") == "1"
    language = _speak(question, organisation)
    accepting = question is not None and accepts_answers(question)
    source = funnel.source_of(request.values.get("src"))
    response = make_response(
        render_template(
            "touchpoints/public.html",
            touchpoint=touchpoint,
            organisation=organisation,
            question=question,
            player=player_for(question.media) if question else None,
            embedded=embedded,
            language=language,
            accepting=accepting,
            action=url_for(
                ".answer",
                slug=touchpoint.slug,
                src=source,
                embed=embedded or None,
                lang=switched_language(),
            ),
            submission=web.new_submission_key(),
            started=url_for(".started", slug=touchpoint.slug, src=source),
            places=web.place_choices(db.session()) if accepting and not touchpoint.place_id else (),
            values=values or {},
            errors=errors or {},
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    if embedded:
        response.headers["Content-Security-Policy"] = frame_policy(embed_origins(organisation))
    return response


def _today(touchpoint: Touchpoint, organisation: Organisation) -> Question | None:
    return service.current_question(
        db.session(), touchpoint, service.organisation_today(organisation)
    )


@bp.get("/t/<slug>")
def touchpoint_page(slug: str) -> Any:
    """The question the touchpoint shows today, as a tenant sees it, with the answer form (or
    a kind page when there is none); framed by ``/embed.js`` with ``?embed=1``."""
    touchpoint, organisation = _touchpoint(slug)
    session = db.session()
    question = _today(touchpoint, organisation)
    funnel.record(session, touchpoint.id, request.args.get("src"), FunnelEvent.VIEW)
    session.commit()
    return _page(touchpoint, organisation, question)


@bp.post("/t/<slug>/started")
@csrf.exempt  # a counter, sent by the page's script with navigator.sendBeacon
@limiter.limit(answer_limit)
def started(slug: str) -> Any:
    """Count that someone began to answer (the funnel's "start"; nothing about who)."""
    touchpoint, _organisation = _touchpoint(slug)
    session = db.session()
    funnel.record(session, touchpoint.id, request.args.get("src"), FunnelEvent.START)
    session.commit()
    return "", 204


def _channel(source: str, embedded: bool) -> AnswerChannel:
    if embedded or source == "embed":
        return AnswerChannel.EMBED
    return AnswerChannel.QR if source == "qr" else AnswerChannel.WEB


@bp.post("/t/<slug>")
@csrf.exempt  # anyone may answer a touchpoint: there is no session to forge a request for
@limiter.limit(answer_limit)
def answer(slug: str) -> Any:
    """Store an answer to the touchpoint's question of today, then thank the tenant."""
    touchpoint, organisation = _touchpoint(slug)
    session = db.session()
    form = request.form
    question = _today(touchpoint, organisation)
    language = _speak(question, organisation)
    if web.is_bot(form):
        # Say nothing a robot could learn from; store nothing.
        return render_template("answers/thanks_anonymous.html", organisation=organisation)
    if question is None:
        return _page(touchpoint, organisation, None, status=409)
    source = funnel.source_of(request.args.get("src"))
    embedded = request.args.get("embed") == "1"
    given = web.given_from(form)
    try:
        recorded = record_answer(
            session,
            question,
            given,
            channel=_channel(source, embedded),
            language=language,
            touchpoint_id=touchpoint.id,
            place_id=touchpoint.place_id or clean_place(session, given.place_id),
            source=source,
            submission_key=web.submission_key(form),
        )
    except QuestionClosed:
        session.rollback()
        return _page(touchpoint, organisation, question, status=409)
    except ValidationError as exc:
        session.rollback()
        if web.wants_json():
            raise
        errors = web.error_messages(exc.details)
        return _page(
            touchpoint,
            organisation,
            question,
            values=web.kept_values(form),
            errors=errors,
            status=422,
        )
    if recorded.created:
        funnel.record(session, touchpoint.id, source, FunnelEvent.ANSWER)
    session.commit()
    return web.after_answer(recorded.answer, recorded.created)


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
