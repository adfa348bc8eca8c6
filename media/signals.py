"""What the media room tells the rooms above it, without knowing them.

``transcript_changed`` is sent with ``session`` and ``media`` (a :class:`MediaFile`) inside the
transaction that changed the clip's transcript (the machine's draft, or a person's correction),
before it commits: the thread's search text, an answer's translation and its place among the
themes follow in the same commit.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
transcript_changed = signals.signal("transcript-changed")
