"""WebVTT captions: reading, checking, writing; transcripts as a first draft; transcribers."""

from __future__ import annotations

import pytest

from media.captions import (
    CaptionsError,
    Cue,
    captions_from_transcript,
    cues_from_json,
    format_timestamp,
    parse_timestamp,
    parse_vtt,
    to_vtt,
)
from media.transcribe import (
    Segment,
)

VTT = """WEBVTT

intro
00:00.000 --> 00:01.500 align:start
Hej och välkommen!

NOTE a comment for the editor

00:00:01.500 --> 00:00:04.000
Vad tycker du om
den nya tvättstugan?
"""


def test_parse_and_write_round_trip() -> None:
    cues = parse_vtt(VTT)

    assert cues == [
        Cue(0.0, 1.5, "Hej och välkommen!"),
        Cue(1.5, 4.0, "Vad tycker du om\nden nya tvättstugan?"),
    ]
    assert parse_vtt(to_vtt(cues)) == cues
    assert to_vtt(cues).startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n")


def test_timestamps() -> None:
    assert parse_timestamp("01:02.500") == 62.5
    assert parse_timestamp("1:00:00.001") == 3600.001
    assert format_timestamp(62.5) == "00:01:02.500"
    with pytest.raises(ValueError):
        parse_timestamp("1:2.5")


@pytest.mark.parametrize(
    ("vtt", "message"),
    [
        ("00:00.000 --> 00:01.000\nHej", 'must start with the line "WEBVTT"'),
        ("WEBVTT\n\n00:00.000 -> 00:01.000\nHej", "Caption 1 has no timing line"),
        ("WEBVTT\n\n00:00.000 --> 00:1.000\nHej", 'Caption 1: "00:1.000" is not a time'),
        ("WEBVTT\n\n00:02.000 --> 00:01.000\nHej", "Caption 1 (at 00:00:02.000) ends before"),
        (
            "WEBVTT\n\n00:00.000 --> 00:02.000\nA\n\n00:01.000 --> 00:03.000\nB",
            "Caption 2 (at 00:00:01.000) starts before caption 1 ends",
        ),
        ("WEBVTT\n\n00:00.000 --> 00:01.000\n", "Caption 1 (at 00:00:00.000) has no text"),
    ],
)
def test_bad_captions_say_which_cue_and_why(vtt: str, message: str) -> None:
    with pytest.raises(CaptionsError) as bad:
        parse_vtt(vtt)

    assert message in bad.value.message


def test_cues_from_the_editor() -> None:
    assert cues_from_json([{"start": 0, "end": 1.25, "text": " Hej "}]) == [Cue(0, 1.25, "Hej")]
    with pytest.raises(CaptionsError, match="Caption 1 needs a start"):
        cues_from_json([{"start": "soon", "end": 1}])
    with pytest.raises(CaptionsError, match="must be a list"):
        cues_from_json({"start": 0})


def test_a_transcript_becomes_draft_captions() -> None:
    segments = [
        Segment(0.0, 2.4, " Hello and welcome. "),
        Segment(2.0, 5.0, "What do you think of the new laundry room?"),
        Segment(5.0, 5.1, "   "),
    ]

    cues = captions_from_transcript(segments)

    assert cues == [
        Cue(0.0, 2.0, "Hello and welcome."),
        Cue(2.0, 5.0, "What do you think of the new laundry room?"),
    ]
    assert parse_vtt(to_vtt(cues)) == cues
