"""The tenant side of touchpoints: ``/t/<slug>`` (also framed by ``/embed.js``), its QR codes
and flyer, and ``/embed.js`` itself.

A public URL names a touchpoint by slug; the one look-up by slug crosses organisations, then the
request is scoped to the touchpoint's organisation like any other. Visits are counted in the
funnel by source (``?src=``), with no cookie and nothing about the visitor.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from flask import Blueprint, Response, g, make_response, render_template, request, url_for
from flask_babel import refresh

from panel.answers import web
from panel.answers.models import AnswerChannel
from panel.answers.service import QuestionClosed, clean_place, record_answer
from panel.core.assets import asset
from panel.core.db import utcnow
from panel.core.errors import NotFound, ValidationError
from panel.core.extensions import csrf, db, limiter
from panel.core.i18n import lazy_text as _l
from panel.core.i18n import switched_language, use_tenant_language
from panel.core.scoping import scope_session
from panel.organisations.embedding import embed_origins, frame_policy
from panel.organisations.models import Organisation
from panel.questions.forms import DEFAULT_TIMEZONE, local_day
from panel.questions.models import Question
from panel.questions.playback import player_for
from panel.questions.service import accepts_answers
from panel.sends.public import answer_limit
from touchpoints import counting, funnel, links, page_cache, service
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
    submission: str | None = None,
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
                embed="1" if embedded else None,
                lang=switched_language(),
            ),
            submission=submission or web.new_submission_key(),
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
    a kind page when there is none); framed by ``/embed.js`` with ``?embed=1``. The page is
    kept for a few seconds (:mod:`touchpoints.page_cache`); every visit is counted."""
    embedded = request.args.get("embed") == "1"
    source = funnel.source_of(request.args.get("src"))
    key = page_cache.page_key(slug, embedded, source)
    page = page_cache.kept(key)
    if page is None:
        page = _render_page(slug, source)
        page_cache.keep(key, page)
    else:
        _count_view(page, source)
    response = make_response(page_cache.with_submission(page.html, web.new_submission_key()))
    response.headers["Cache-Control"] = "no-store"
    if page.csp:
        response.headers["Content-Security-Policy"] = page.csp
    return response


def _render_page(slug: str, source: str) -> page_cache.KeptPage:
    """The page drawn from the database (the visit counted), ready to be kept."""
    touchpoint, organisation = _touchpoint(slug)
    session = db.session()
    today = service.organisation_today(organisation)
    question = service.current_question(session, touchpoint, today)
    counting.count(
        session, touchpoint.id, source, FunnelEvent.VIEW, organisation_id=organisation.id, day=today
    )
    session.commit()
    drawn = _page(touchpoint, organisation, question, submission=page_cache.SUBMISSION_SLOT)
    return page_cache.KeptPage(
        html=drawn.get_data(as_text=True),
        touchpoint_id=touchpoint.id,
        organisation_id=organisation.id,
        timezone=str(organisation.setting("timezone", DEFAULT_TIMEZONE)),
        csp=drawn.headers.get("Content-Security-Policy")
        if request.args.get("embed") == "1"
        else None,
    )


def _count_view(page: page_cache.KeptPage, source: str) -> None:
    session = db.session()
    scope_session(session, page.organisation_id)
    day = local_day(utcnow(), page.timezone) or utcnow().date()
    if counting.count(
        session,
        page.touchpoint_id,
        source,
        FunnelEvent.VIEW,
        organisation_id=page.organisation_id,
        day=day,
    ):
        session.commit()


@bp.post("/t/<slug>/started")
@csrf.exempt  # a counter, sent by the page's script with navigator.sendBeacon
@limiter.limit(answer_limit)
def started(slug: str) -> Any:
    """Count that someone began to answer (the funnel's "start"; nothing about who)."""
    touchpoint, organisation = _touchpoint(slug)
    session = db.session()
    counting.count(
        session,
        touchpoint.id,
        request.args.get("src"),
        FunnelEvent.START,
        organisation_id=organisation.id,
        day=service.organisation_today(organisation),
    )
    session.commit()
    return "", 204


def _channel(source: str, embedded: bool) -> AnswerChannel:
    if embedded or source == "embed":
        return AnswerChannel.EMBED
    return AnswerChannel.QR if source == "qr" else AnswerChannel.WEB


def _facts(slug: str) -> page_cache.Facts:
    """The touchpoint's facts (kept for a few seconds), the request scoped to its organisation."""

    def load() -> page_cache.Facts | None:
        session = db.session()
        touchpoint = service.find_by_slug(session, slug)
        if touchpoint is None:
            return None
        organisation = session.get(Organisation, touchpoint.organisation_id)
        return page_cache.Facts(
            touchpoint_id=touchpoint.id,
            organisation_id=touchpoint.organisation_id,
            place_id=touchpoint.place_id,
            is_active=touchpoint.is_active,
            timezone=str(organisation.setting("timezone", DEFAULT_TIMEZONE)),
            schedule=[(e.starts_on.isoformat(), e.question_id) for e in touchpoint.entries],
        )

    found = page_cache.facts(slug, load) if 0 < len(slug) <= 40 else None
    if found is None:
        raise NotFound(
            _l("This address does not lead to a question. Check the address on the flyer.")
        )
    scope_session(db.session(), found.organisation_id)
    return found


def _live_question(session: Any, facts: page_cache.Facts, day: Any) -> Question | None:
    """Today's question, read now (one closed a second ago takes no answer), if it is live:
    what checking an answer needs of it, as a detached Question (no owner, no clip)."""
    question_id = facts.question_on(day)
    if question_id is None:
        return None
    row = session.execute(
        _QUESTION, {"question_id": question_id, "organisation_id": facts.organisation_id}
    ).one_or_none()
    if row is None:
        return None
    question = Question(**row._asdict())
    return question if question.is_live else None


# Built once: only the columns an answer is checked against.
_QUESTION = sa.select(
    *(
        getattr(Question, name)
        for name in (
            "id",
            "organisation_id",
            "owner_id",
            "title",
            "language",
            "answer_modes",
            "choices",
            "status",
            "closes_at",
        )
    )
).where(
    Question.id == sa.bindparam("question_id"),
    Question.organisation_id == sa.bindparam("organisation_id"),
)


@bp.post("/t/<slug>")
@csrf.exempt  # anyone may answer a touchpoint: there is no session to forge a request for
@limiter.limit(answer_limit)
def answer(slug: str) -> Any:
    """Store an answer to the touchpoint's question of today, then thank the tenant.

    The common case reads only the question from the database (the touchpoint's facts are
    kept with its page) and writes the answer in one statement; a refusal draws the page
    again from the database, with what was typed and why."""
    facts = _facts(slug)
    session = db.session()
    form = request.form
    today = local_day(utcnow(), facts.timezone) or utcnow().date()
    question = _live_question(session, facts, today)
    if web.is_bot(form) or question is None:
        return _refused(slug, form, bot=web.is_bot(form))
    language = use_tenant_language(fallback=question.language, default=question.language)
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
            touchpoint_id=facts.touchpoint_id,
            place_id=facts.place_id or clean_place(session, given.place_id),
            source=source,
            submission_key=web.submission_key(form),
        )
    except QuestionClosed:
        session.rollback()
        return _refused(slug, form)
    except ValidationError as exc:
        session.rollback()
        if web.wants_json():
            raise
        return _refused(slug, form, errors=web.error_messages(exc.details))
    if recorded.created:
        counting.count(
            session,
            facts.touchpoint_id,
            source,
            FunnelEvent.ANSWER,
            organisation_id=facts.organisation_id,
            day=today,
        )
    session.commit()
    return web.after_answer(recorded.answer, recorded.created)


def _refused(
    slug: str, form: Any, *, bot: bool = False, errors: dict[str, list[str]] | None = None
) -> Any:
    """The page again, drawn from the database: the form with what was typed and what to
    change (422), the question closed or gone (409), or a plain thank-you for a robot."""
    touchpoint, organisation = _touchpoint(slug)
    question = _today(touchpoint, organisation)
    _speak(question, organisation)
    if bot:
        # Say nothing a robot could learn from; store nothing.
        return render_template("answers/thanks_anonymous.html", organisation=organisation)
    if question is None or not accepts_answers(question) or not errors:
        return _page(touchpoint, organisation, question, status=409)
    return _page(
        touchpoint,
        organisation,
        question,
        values=web.kept_values(form),
        errors=errors,
        status=422,
    )


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
