"""The highlight reel as one MP4: ffmpeg commands for each piece (pure argument building) and
the render of one :class:`~panel.reports.models.ReelRender` row.

Every piece is encoded alike — 1280x720, 30 fps, H.264 yuv420p, AAC 48 kHz stereo — so the
pieces are joined without encoding again (the concat demuxer, ``-c copy``):

- a title card: the brand colour with the title in white (DejaVu Sans from fonts-dejavu-core,
  one ``drawtext`` per wrapped line), 3 s of silence;
- a video clip: cut to its in/out points, scaled and padded to 1280x720;
- a sound clip: the same card with the question and the place, under the sound;
- every clip's captions burned in (``subtitles``, libass: a reel is shown on a projector or a
  phone, in players that never show a text track), its sound evened out with ``loudnorm``
  (one pass, EBU R128 at -16 LUFS).

The joined MP4 also carries the captions as a ``mov_text`` track (off by default): searchable
text, and what the tests check, since burned text cannot be read back without OCR.
"""

from __future__ import annotations

import logging
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from media.captions import Cue
from media.probe import describe
from media.storage import Storage
from media.transcode import COMMON, FfmpegError, run_ffmpeg
from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.reports.models import ReelRender, Report
from panel.reports.reel import Card, Clip, Piece, Plan
from panel.reports.reel_service import current_plan

log = logging.getLogger(__name__)

WIDTH, HEIGHT, FPS = 1280, 720, 30
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
VIDEO = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
         "-r", str(FPS)]  # fmt: skip
AUDIO = ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"]
LOUDNORM = "loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000,aformat=channel_layouts=stereo"
SILENCE = "anullsrc=channel_layout=stereo:sample_rate=48000"
CAPTION_STYLE = (
    "FontName=DejaVu Sans,FontSize=20,PrimaryColour=&H00FFFFFF,OutlineColour=&H80000000,"
    "BackColour=&H80000000,BorderStyle=3,Outline=1,Shadow=0,MarginV=24"
)
PIECE_TIMEOUT_FACTOR = 20  # seconds of work allowed per second of reel, at least a minute

# Render states; "withdrawn": its file was deleted when a clip's consent was revoked;
# "replaced": its file was deleted when a newer render of the report was done.
QUEUED, RENDERING, DONE, FAILED = "queued", "rendering", "done", "failed"
WITHDRAWN, REPLACED = "withdrawn", "replaced"


def render_key(render: ReelRender) -> str:
    """Where a render's MP4 lives in media storage."""
    return f"reels/{render.organisation_id}/{render.report_id}/{render.id}.mp4"


# --- ffmpeg commands --------------------------------------------------------------------------


def colour_hex(colour: str) -> str:
    """``#1f5f5b`` → ``0x1f5f5b`` (ffmpeg's colour syntax); anything else: Stoop's green."""
    value = colour.lstrip("#")
    ok = len(value) == 6 and all(c in "0123456789abcdefABCDEF" for c in value)
    return "0x" + (value if ok else "1f5f5b")


def text_filters(folder: Path, name: str, lines: Sequence[tuple[str, int, str]]) -> list[str]:
    """``drawtext`` filters for centred lines: (text, font size, font file) each, stacked in
    the middle of the frame. The words go in files (no escaping of quotes or colons)."""
    wrapped: list[tuple[str, int, str]] = []
    for text, size, font in lines:
        width = max(12, int(WIDTH * 0.85 / (size * 0.55)))
        wrapped += [(line, size, font) for line in textwrap.wrap(text, width)[:4]]
    height = sum(int(size * 1.35) for _text, size, _font in wrapped)
    top = (HEIGHT - height) // 2
    filters = []
    for number, (line, size, font) in enumerate(wrapped):
        path = folder / f"{name}-{number}.txt"
        path.write_text(line, encoding="utf-8")
        filters.append(
            f"drawtext=fontfile={font}:textfile={path}:expansion=none:fontcolor=white:fontsize={size}"
            f":x=(w-text_w)/2:y={top}"
        )
        top += int(size * 1.35)
    return filters


def card_args(card: Card, dst: Path, *, colour: str, folder: Path) -> list[str]:
    """A title card: the colour, the title in white, silence; ``card.duration`` seconds."""
    size = 64 if card.role == "report" else 52
    draw = text_filters(folder, dst.stem, [(card.title, size, FONT_BOLD)])
    return [
        *COMMON,
        "-f", "lavfi", "-i", f"color=c={colour_hex(colour)}:s={WIDTH}x{HEIGHT}:r={FPS}",
        "-f", "lavfi", "-i", SILENCE,
        "-filter_complex", f"[0:v]{','.join([*draw, 'format=yuv420p']) }[v]",
        "-map", "[v]", "-map", "1:a",
        "-t", f"{card.duration:.3f}",
        *VIDEO, *AUDIO,
        str(dst),
    ]  # fmt: skip


def clip_args(
    clip: Clip,
    src: Path,
    dst: Path,
    *,
    colour: str,
    folder: Path,
    subtitles: Path | None,
    has_audio: bool,
) -> list[str]:
    """A clip cut to its in/out points, at the reel's size and rate, captions burned in,
    loudness evened out; a sound clip over a card with its question and place."""
    cut = ["-ss", f"{clip.starts_at:.3f}", "-t", f"{clip.duration:.3f}", "-i", str(src)]
    burn = [f"subtitles=filename={subtitles}:force_style='{CAPTION_STYLE}'"] if subtitles else []
    if clip.kind == "video":
        inputs = [*cut]
        picture = [
            f"scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=decrease",
            f"pad={WIDTH}:{HEIGHT}:(ow-iw)/2:(oh-ih)/2:color=black",
            "setsar=1",
            f"fps={FPS}",
        ]
        video = f"[0:v]{','.join([*picture, *burn, 'format=yuv420p'])}[v]"
        sound_input = 0
    else:
        lines = [(clip.question, 44, FONT_BOLD)] + ([(clip.place, 30, FONT)] if clip.place else [])
        draw = text_filters(folder, dst.stem, lines)
        inputs = [
            "-f", "lavfi", "-i", f"color=c={colour_hex(colour)}:s={WIDTH}x{HEIGHT}:r={FPS}",
            *cut,
        ]  # fmt: skip
        video = f"[0:v]{','.join([*draw, *burn, 'format=yuv420p'])}[v]"
        sound_input = 1
    if has_audio:
        sound = f"[{sound_input}:a]{LOUDNORM}[a]"
    else:  # a video without sound still needs a track: the pieces are joined as they are
        inputs += ["-f", "lavfi", "-i", SILENCE]
        sound = f"[{sound_input + 1}:a]anull[a]"
    return [
        *COMMON,
        *inputs,
        "-filter_complex", f"{video};{sound}",
        "-map", "[v]", "-map", "[a]",
        "-t", f"{clip.duration:.3f}",
        *VIDEO, *AUDIO,
        str(dst),
    ]  # fmt: skip


def concat_args(listing: Path, dst: Path, captions: Path | None) -> list[str]:
    """Join the pieces without encoding again; the captions as a mov_text track (not shown
    by default: they are burned in already)."""
    text = ["-i", str(captions)] if captions else []
    text_map = ["-map", "1:s", "-c:s", "mov_text", "-disposition:s:0", "0"] if captions else []
    return [
        *COMMON,
        "-f", "concat", "-safe", "0", "-i", str(listing),
        *text,
        "-map", "0:v", "-map", "0:a",
        *text_map,
        "-c:v", "copy", "-c:a", "copy",
        "-movflags", "+faststart",
        str(dst),
    ]  # fmt: skip


def to_srt(cues: Sequence[Cue]) -> str:
    """Cues as SubRip (what ffmpeg's ``subtitles`` filter and mov_text read)."""

    def stamp(seconds: float) -> str:
        millis = round(max(0.0, seconds) * 1000)
        hours, rest = divmod(millis, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d},{rest % 1000:03d}"

    blocks = [
        f"{n}\n{stamp(c.start)} --> {stamp(c.end)}\n{c.text}\n" for n, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def reel_cues(plan: Plan) -> list[Cue]:
    """Every clip's captions on the whole reel's clock (what the mov_text track holds)."""
    cues: list[Cue] = []
    offset = 0.0
    for piece in plan.pieces:
        if isinstance(piece, Clip):
            cues += [
                Cue(round(c.start + offset, 3), round(c.end + offset, 3), c.text)
                for c in piece.shifted_cues()
            ]
        offset += piece.duration
    return cues


def piece_args(
    piece: Piece, number: int, folder: Path, plan: Plan, fetch: Callable[[Clip], Path]
) -> list[str]:
    """The ffmpeg command of one piece (``fetch`` brings a clip's rendition to disk)."""
    dst = folder / f"piece-{number:03d}.mp4"
    if isinstance(piece, Card):
        return card_args(piece, dst, colour=plan.colour, folder=folder)
    subtitles = None
    cues = piece.shifted_cues()
    if cues:
        subtitles = folder / f"piece-{number:03d}.srt"
        subtitles.write_text(to_srt(cues), encoding="utf-8")
    return clip_args(
        piece,
        fetch(piece),
        dst,
        colour=plan.colour,
        folder=folder,
        subtitles=subtitles,
        has_audio=has_audio(fetch(piece)),
    )


def has_audio(path: Path) -> bool:
    """True when the file has a sound track."""
    return describe(path).has_audio


def probe_duration(path: Path) -> float | None:
    """The length of a made file (what a player shows), or None."""
    return round(describe(path).duration, 3) or None


# --- one render ---------------------------------------------------------------------------------


def claim(session: Session, render_id: int) -> bool:
    """queued → rendering, in one conditional UPDATE (committed): True when this worker has it.
    A render delivered twice is done once."""
    claimed = session.execute(
        sa.update(ReelRender)
        .where(ReelRender.id == render_id, ReelRender.state == QUEUED)
        .values(state=RENDERING, started_at=utcnow(), progress=0)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return bool(claimed)


def render(session: Session, render_id: int, *, storage: Storage) -> str:
    """Render one claimed reel to storage; returns its final state. The plan is computed now,
    so a clip whose consent was revoked while the render waited is not in it; a clip whose
    consent is revoked while it renders makes the file go before anyone can fetch it."""
    row = session.scalar(sa.select(ReelRender).where(ReelRender.id == render_id))
    report = session.scalar(sa.select(Report).where(Report.id == row.report_id)) if row else None
    if row is None or report is None:
        return FAILED
    plan = current_plan(session, report)
    if not plan.clips:
        return _fail(session, row, "The report has no clips that may be shown.")
    row.plan_hash, row.clips = plan.hash, len(plan.clips)
    session.commit()
    try:
        with tempfile.TemporaryDirectory(prefix="stoop-reel-") as name:
            output = _encode(session, row, plan, Path(name), storage)
            if not _still_allowed(session, plan):
                return _fail(session, row, "A clip's consent was withdrawn while it rendered.")
            key = render_key(row)
            row.size = storage.put(key, output, content_type="video/mp4")
            row.duration = probe_duration(output)
    except FfmpegError as exc:
        log.warning("reel render %s failed: %s", render_id, exc)
        return _fail(session, row, "ffmpeg could not make the reel: " + str(exc)[:500])
    row.storage_key, row.state, row.progress, row.finished_at = key, DONE, 100, utcnow()
    _replace_older(session, row, storage)
    session.commit()
    return DONE


def _encode(session: Session, row: ReelRender, plan: Plan, folder: Path, storage: Storage) -> Path:
    sources: dict[str, Path] = {}

    def fetch(clip: Clip) -> Path:
        if clip.source_key not in sources:
            path = folder / f"source-{len(sources)}{Path(clip.source_key).suffix}"
            storage.download(clip.source_key, path)
            sources[clip.source_key] = path
        return sources[clip.source_key]

    steps = len(plan.pieces) + 1
    listing = folder / "pieces.txt"
    names = []
    for number, piece in enumerate(plan.pieces):
        argv = piece_args(piece, number, folder, plan, fetch)
        run_ffmpeg(argv, timeout=max(60.0, piece.duration * PIECE_TIMEOUT_FACTOR))
        names.append(f"file '{argv[-1]}'")
        row.progress = int((number + 1) / steps * 100)
        session.commit()
    listing.write_text("\n".join(names) + "\n", encoding="utf-8")
    cues = reel_cues(plan)
    captions = folder / "reel.srt" if cues else None
    if captions:
        captions.write_text(to_srt(cues), encoding="utf-8")
    output = folder / "reel.mp4"
    run_ffmpeg(concat_args(listing, output, captions), timeout=max(60.0, plan.duration * 2))
    return output


def _still_allowed(session: Session, plan: Plan) -> bool:
    ids = {clip.answer_id for clip in plan.clips}
    allowed = session.scalars(
        sa.select(Answer.id).where(Answer.id.in_(ids), Answer.consent_show_clip.is_(True))
    ).all()
    return set(allowed) == ids


def _fail(session: Session, row: ReelRender, error: str) -> str:
    row.state, row.error, row.finished_at = FAILED, error, utcnow()
    session.commit()
    return FAILED


def _replace_older(session: Session, row: ReelRender, storage: Storage) -> None:
    """Older renders of the report lose their files: one MP4 per report is kept."""
    older = session.scalars(
        sa.select(ReelRender).where(
            ReelRender.report_id == row.report_id,
            ReelRender.id != row.id,
            ReelRender.storage_key.is_not(None),
        )
    ).all()
    for render in older:
        discard_file(storage, render, REPLACED)


def discard_file(storage: Storage, render: ReelRender, state: str) -> None:
    """Delete a render's MP4 from storage and say why it is gone."""
    if render.storage_key:
        storage.delete(render.storage_key)
    render.storage_key, render.state = None, state
