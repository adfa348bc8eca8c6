"""The themes pages of a scope: ``/app/questions/<id>/themes`` here, and the same pages for a
touchpoint (``touchpoints/themes.py``), built by :func:`add_scope_routes`.

Everyone on the staff may read the themes; communicators and admins shape them: find them
(again), rename, merge, split, move an answer, and create, put on and take off codes. Every form
posts, then goes back to the page it came from (post/redirect/get); a refusal shows that page
again with a 4xx status and the reason. Another organisation's question, theme, answer or code
is not found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from panel.accounts.models import Role
from panel.core.errors import Conflict, Forbidden, ValidationError
from panel.core.extensions import db
from panel.core.i18n import LANGUAGE_NAMES
from panel.core.i18n import lazy_text as _l
from panel.questions.service import get_question
from panel.themes import clustering, codes, page, service
from panel.themes.scopes import Scope, of_question

bp = Blueprint("themes", __name__)

SHAPERS = (Role.ADMIN, Role.COMMUNICATOR)


@dataclass(frozen=True)
class ScopePage:
    """A scope as its pages show it: what it is called and where its pages are."""

    scope: Scope
    title: str
    section: str  # the list the scope is in ("Questions"), and its address
    section_url: str
    back_url: str  # the question's or touchpoint's own page
    endpoint: str  # the blueprint of its themes pages
    variable: str  # the name of its id in their addresses

    def url(self, action: str = "index", **values: Any) -> str:
        return url_for(f"{self.endpoint}.{action}", **{self.variable: self.scope.id}, **values)


Resolver = Callable[[Session, int], ScopePage]


def can_shape(user: Any) -> bool:
    """Communicators and admins find, name, merge, split and move themes, and tag answers."""
    return getattr(user, "role", None) in SHAPERS


def _require_shaper() -> None:
    if not can_shape(current_user):
        raise Forbidden(_l("Only communicators and admins can change themes and codes."))


def _view_args() -> dict[str, Any]:
    """What the page was showing, from a form's hidden fields or the address."""
    source = request.form if request.method == "POST" else request.args
    shown: dict[str, Any] = {}
    for name in ("theme", "code", "unplaced", "page"):
        value = (source.get(name) or "").strip()
        if value:
            shown[name] = value
    return shown


def _render(where: ScopePage, *, error: str | None = None, status: int = 200) -> Any:
    session = db.session()
    settings = current_app.config["STOOP"]
    shown = _view_args()
    try:
        number = max(int(shown.get("page", 1)), 1)
    except ValueError:
        number = 1
    listing = None
    if "theme" in shown:
        theme = service.get_theme(session, where.scope, shown["theme"])
        listing = page.theme_answers(session, where.scope, theme, current_user, number)
    elif "code" in shown:
        code = codes.get_code(session, shown["code"])
        listing = page.code_answers(session, where.scope, code, current_user, number)
    elif "unplaced" in shown:
        listing = page.unplaced_answers(session, where.scope, current_user, number)
    paging = {k: v for k, v in shown.items() if k != "page"}
    previous_url = next_url = None
    if listing is not None and listing.page > 1:
        previous_url = where.url(**paging, page=listing.page - 1)
    if listing is not None and listing.more:
        next_url = where.url(**paging, page=listing.page + 1)
    body = render_template(
        "themes/index.html",
        where=where,
        previous_url=previous_url,
        next_url=next_url,
        min_answers=clustering.MIN_ANSWERS,
        overview=page.overview(session, where.scope, current_user, settings),
        listing=listing,
        can_shape=can_shape(current_user),
        error=error,
        language_names=LANGUAGE_NAMES,
        shown=shown,
    )
    return body, status


def _back(where: ScopePage) -> Any:
    shown = {k: v for k, v in _view_args().items() if k in ("theme", "code", "unplaced", "page")}
    target = where.url()
    if shown:
        target += "?" + urlencode(shown)
    return redirect(target, 303)


def _act(where: ScopePage, action: Callable[[Session], str]) -> Any:
    """Run one change for a communicator: commit and go back, or show why not."""
    _require_shaper()
    session = db.session()
    try:
        message = action(session)
        session.commit()
    except (ValidationError, Conflict) as exc:
        session.rollback()
        return _render(where, error=exc.message, status=exc.status)
    except sa.exc.IntegrityError:
        # Two communicators changed the same themes at the same moment: the other one's stands.
        session.rollback()
        busy = Conflict(_l("These themes were changed by someone else just now. Try again."))
        return _render(where, error=busy.message, status=busy.status)
    flash(message, "success")
    return _back(where)


def add_scope_routes(bp: Blueprint, prefix: str, variable: str, resolve: Resolver) -> None:
    """The themes pages and actions of one kind of scope, on ``bp`` under ``prefix``."""
    base = f"{prefix}/<int:{variable}>/themes"

    def scope_page(values: dict[str, Any]) -> ScopePage:
        return resolve(db.session(), values[variable])

    def index(**values: Any) -> Any:
        return _render(scope_page(values))

    def find(**values: Any) -> Any:
        where = scope_page(values)

        def run(session: Session) -> str:
            found = service.find_themes(session, where.scope)
            text = ngettext(
                "%(num)s theme found in %(answers)s answers.",
                "%(num)s themes found in %(answers)s answers.",
                found.themes,
                answers=found.answers,
            )
            if found.kept_by_hand:
                text += " " + ngettext(
                    "%(num)s answer you placed by hand stayed where it was.",
                    "%(num)s answers you placed by hand stayed where they were.",
                    found.kept_by_hand,
                )
            return text

        return _act(where, run)

    def rename(**values: Any) -> Any:
        where = scope_page(values)

        def run(session: Session) -> str:
            theme = service.rename(
                session, where.scope, request.form.get("theme_id"), request.form.get("label", "")
            )
            return _("Renamed to “%(name)s”.", name=theme.label)

        return _act(where, run)

    def merge(**values: Any) -> Any:
        where = scope_page(values)

        def run(session: Session) -> str:
            into = service.merge(
                session, where.scope, request.form.get("theme_id"), request.form.get("into_id")
            )
            return _("Merged into “%(name)s”.", name=into.label or _("Unnamed theme"))

        return _act(where, run)

    def split(**values: Any) -> Any:
        where = scope_page(values)

        def run(session: Session) -> str:
            service.split(session, where.scope, request.form.get("theme_id"))
            return _("Split in two. Name the new theme, or move answers between the two.")

        return _act(where, run)

    def move(**values: Any) -> Any:
        where = scope_page(values)

        def run(session: Session) -> str:
            placement = service.move(
                session, where.scope, request.form.get("answer_id"), request.form.get("theme_id")
            )
            theme = service.get_theme(session, where.scope, placement.theme_id)
            return _("Moved to “%(name)s”.", name=theme.label or _("Unnamed theme"))

        return _act(where, run)

    def create_code(**values: Any) -> Any:
        where = scope_page(values)

        def run(session: Session) -> str:
            code = codes.create_code(session, request.form.get("name", ""))
            answer_id = request.form.get("answer_id")
            if answer_id:
                answer = service.get_answer(session, where.scope, answer_id)
                codes.tag(session, answer, code, current_user.id)
                return _("Code “%(name)s” created and put on the answer.", name=code.name)
            return _("Code “%(name)s” created.", name=code.name)

        return _act(where, run)

    def tag(**values: Any) -> Any:
        where = scope_page(values)

        def run(session: Session) -> str:
            answer = service.get_answer(session, where.scope, request.form.get("answer_id"))
            if not (request.form.get("code_id") or "").strip():
                raise ValidationError(_l("Choose a code to put on the answer."))
            code = codes.get_code(session, request.form.get("code_id"))
            codes.tag(session, answer, code, current_user.id)
            return _("Tagged “%(name)s”.", name=code.name)

        return _act(where, run)

    def untag(**values: Any) -> Any:
        where = scope_page(values)

        def run(session: Session) -> str:
            answer = service.get_answer(session, where.scope, request.form.get("answer_id"))
            code = codes.get_code(session, request.form.get("code_id"))
            codes.untag(session, answer, code)
            return _("“%(name)s” taken off the answer.", name=code.name)

        return _act(where, run)

    for name, view, methods in (
        ("index", index, ["GET"]),
        ("find", find, ["POST"]),
        ("rename", rename, ["POST"]),
        ("merge", merge, ["POST"]),
        ("split", split, ["POST"]),
        ("move", move, ["POST"]),
        ("create_code", create_code, ["POST"]),
        ("tag", tag, ["POST"]),
        ("untag", untag, ["POST"]),
    ):
        view.__name__ = f"{bp.name}_{name}"
        view.__doc__ = view.__doc__ or f"Themes of a {variable[:-3]}: {name.replace('_', ' ')}."
        rule = base if name == "index" else f"{base}/{name.replace('_', '-')}"
        bp.add_url_rule(rule, name, login_required(view), methods=methods)


def question_page(session: Session, question_id: int) -> ScopePage:
    question = get_question(session, question_id)
    return ScopePage(
        scope=of_question(question.id),
        title=question.title,
        section=_("Questions"),
        section_url=url_for("questions.index"),
        back_url=url_for("questions.show", question_id=question.id),
        endpoint="themes",
        variable="question_id",
    )


add_scope_routes(bp, "/app/questions", "question_id", question_page)
