"""The question list's cards, worked out in Python once per page.

The list is the busiest page of the staff app. Drawn with a few macros per card, Jinja spent
most of the request calling them (seven hundred calls for 24 cards) and translating the same
labels again for every card. Here every label is translated once per page and every card is
plain values the template only prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from panel.core.i18n import translate as _
from panel.core.pages import ago, clock
from panel.questions.listing import ListedQuestion
from panel.questions.playback import Player


@dataclass(frozen=True)
class Badge:
    """A status pill: its words and its colour class (``ok``, ``warn``, ``danger``...)."""

    label: str
    tone: str


@dataclass(frozen=True)
class QuestionCard:
    """What one card of the list shows."""

    url: str
    title: str
    language: str
    status: Badge
    media: Badge | None
    poster: str | None
    duration: str | None
    has_video: bool
    byline: str
    modes: list[str]


def mode_labels() -> dict[str, str]:
    """Answer modes as people read them, in the current language."""
    return {
        "text": _("Written answer"),
        "score": _("Score 1–10"),  # noqa: RUF001 - the en dash of a range, as the template has it
        "choice": _("Multiple choice"),
        "video": _("Video clip"),
        "audio": _("Voice message"),
    }


def question_cards(
    questions: list[ListedQuestion], players: dict[int, Player | None]
) -> list[QuestionCard]:
    """The cards of ``questions`` (``players`` by question id, None without a video)."""
    statuses = {
        "live": Badge(_("Live"), "ok"),
        "closed": Badge(_("Closed"), ""),
        "draft": Badge(_("Draft"), "brand"),
    }
    waiting, failed = Badge(_("Processing video"), "warn"), Badge(_("Video failed"), "danger")
    modes = mode_labels()
    # One URL built by the router, the others by substitution: the same rule for every card.
    url = url_for("questions.show", question_id=1).removesuffix("1")
    cards = []
    for question in questions:
        player = players.get(question.id)
        duration = player.media.duration_seconds if player else None
        cards.append(
            QuestionCard(
                url=f"{url}{question.id}",
                title=question.title,
                language=question.language,
                status=statuses.get(question.status.value, statuses["draft"]),
                media=(waiting if player.is_waiting else failed if player.is_failed else None)
                if player
                else None,
                poster=player.urls.get("poster") if player else None,
                duration=clock(duration) if duration else None,
                has_video=player is not None,
                byline=f"{question.owner_name} · "
                + _("changed %(when)s", when=ago(question.updated_at)),
                modes=[modes.get(mode, mode) for mode in question.answer_modes],
            )
        )
    return cards
