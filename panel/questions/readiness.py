"""What stands between a draft and publishing it, as the question page shows it.

The page's checklist and its Publish button come from :func:`publish_checklist`, so the page
never ticks off a video that is still being processed or that failed. The service's
``publish_question`` enforces the same rules; this module only says them in advance.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from media.models import MediaStatus
from panel.core.db import utcnow
from panel.questions.models import Question
from panel.questions.playback import Player, caption_cues

DONE, TODO, WAITING, FAILED, WARNING = "done", "todo", "waiting", "failed", "warning"


@dataclass(frozen=True)
class Check:
    """One line of the checklist. A warning does not stop publishing; anything else not done
    does."""

    key: str
    state: str
    label: str
    hint: str = ""

    @property
    def blocks(self) -> bool:
        return self.state not in (DONE, WARNING)


def publish_checklist(question: Question, player: Player | None) -> list[Check]:
    """The checks of a draft, in the order a person works through them."""
    checks = [
        Check("title", DONE if question.title.strip() else TODO, _("A title")),
        _something_to_ask(question, player),
        Check(
            "modes",
            DONE if question.answer_modes else TODO,
            _("At least one way to answer"),
        ),
    ]
    if player is not None and player.is_ready and not player.is_audio:
        checks.append(_captions(player))
    if question.closes_at is not None and question.closes_at <= utcnow():
        checks.append(
            Check(
                "closes_at",
                TODO,
                _("A closing date in the future"),
                _("The closing date has passed: change or clear it."),
            )
        )
    return checks


def can_publish(checks: list[Check]) -> bool:
    """True when nothing in the checklist stops publishing."""
    return not any(check.blocks for check in checks)


def _something_to_ask(question: Question, player: Player | None) -> Check:
    if player is None:
        if question.prompt.strip():
            return Check("content", DONE, _("A written question"))
        return Check(
            "content",
            TODO,
            _("A video or a written question"),
            _("Record a video, or write the question out."),
        )
    status = player.media.status
    if status == MediaStatus.READY:
        return Check("content", DONE, _("A ready video"))
    if status == MediaStatus.FAILED:
        return Check(
            "content",
            FAILED,
            _("A video that can be played"),
            _("This video could not be used. Try another file, or continue without a video."),
        )
    return Check(
        "content",
        WAITING,
        _("A ready video"),
        _("The video is still being processed. You can publish once it is ready."),
    )


def _captions(player: Player) -> Check:
    count = len(caption_cues(player.captions_vtt))
    if count:
        label = ngettext("Captions (%(num)s line)", "Captions (%(num)s lines)", count)
        return Check("captions", DONE, label)
    return Check(
        "captions",
        WARNING,
        _("Captions"),
        _(
            "No captions yet. Tenants who cannot hear the video, or who watch it without "
            "sound, need them. You can publish without, but add them soon."
        ),
    )
