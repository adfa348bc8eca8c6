"""A report's charts, drawn on the server as hand-written SVG (no script, no inline style).

Each function returns a :class:`Chart`: the SVG (a standalone document with ``role="img"``, a
``<title>`` and a ``<desc>``; colours and sizes as presentation attributes, so it looks the same
inlined in a page under the strict security policy, in a PDF, and rasterised for e-mail by
:func:`chart_png`) and the same numbers as a table (:meth:`Chart.html` puts both in a
``<figure>``, the table visually hidden for screen readers). The breakdown is an HTML table, not
a drawing: :func:`heat_level` gives each place's colour step, and the page writes the share
beside the colour so colour is never the only signal.

Why ``rsvg-convert`` for PNG (measured on this machine): Debian's librsvg2-bin adds one 5.5 MB
program beside the librsvg library already installed (GdkPixbuf loads SVG with it), and turns
the trend chart into a 1120 px PNG (~47 KB) in ~44 ms (median of 20 runs, process start
included). cairosvg would add a PyPI package and cairocffi on top of the system cairo for the
same rasteriser family; a subprocess with a timeout also keeps a bad SVG out of the worker.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

from panel.reports.figures import ChannelCount, SendRate, TrendPoint

# Design tokens of stoop.css, as the colours a standalone SVG carries itself.
BRAND = "#1f5f5b"
BRAND_SOFT = "#9cc5bf"
ACCENT = "#f2a541"
INK = "#1b2326"
MUTED = "#5f6b6e"
LINE = "#d9e0e1"
TRACK = "#eef2f1"
DASH = "\u2013"  # shown where there is no figure
FONT = "Inter, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif"

WIDTH = 560
BARS_WIDTH = 360  # bars sit two abreast in a page: drawn narrower, their text stays legible
# About as many characters of 13 px text as fit across a bar chart (DejaVu Sans averages ~7 px);
# a longer label ends in "…" (the table beside the chart keeps it whole).
BAR_LABEL_CHARS = 46
_ids = itertools.count(1)


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG and its numbers as a table (``headers`` and ``rows`` of text)."""

    title: str
    desc: str
    svg: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def table(self, css_class: str = "") -> Markup:
        """The numbers as an HTML table."""
        head = "".join(f'<th scope="col">{escape(h)}</th>' for h in self.headers)
        body = "".join(
            "<tr>"
            + "".join(
                f'<th scope="row">{escape(c)}</th>'
                if i == 0
                else f'<td class="num">{escape(c)}</td>'
                for i, c in enumerate(row)
            )
            + "</tr>"
            for row in self.rows
        )
        return Markup(  # noqa: S704 - every value in it is escaped
            f'<table class="table chart-table {escape(css_class)}"><caption>{escape(self.title)}'
            f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def html(self) -> Markup:
        """The chart in a ``<figure>``: the drawing, and the table for screen readers."""
        return Markup(  # noqa: S704 - the SVG is built here, its text escaped
            # A table keeps its width however narrow its box: the box around it is hidden.
            f'<figure class="chart">{self.svg}<div class="visually-hidden">{self.table()}</div>'
            f'<figcaption class="visually-hidden">{escape(self.desc)}</figcaption></figure>'
        )

    def __html__(self) -> str:
        return str(self.html())


def _number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return DASH
    pattern = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    return format_decimal(round(value, digits), format=pattern, locale=_locale())


def _fitted(label: str) -> str:
    """``label`` cut to what fits across a bar chart, ending in "…" when cut."""
    return (
        label
        if len(label) <= BAR_LABEL_CHARS
        else label[: BAR_LABEL_CHARS - 1].rstrip(" \u00b7,;:\u2013\u2014-") + "…"
    )


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: int = 13,
    anchor: str = "start",
    fill: str = INK,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}" font-weight="{weight}">{escape(content)}</text>'
    )


def _svg(
    title: str, desc: str, height: float, body: str, width: int = WIDTH, wide: bool = False
) -> str:
    """A standalone SVG; ``wide`` ones keep a legible size on a phone and scroll sideways."""
    key = next(_ids)
    css = "chart-svg wide" if wide else "chart-svg"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" role="img" '
        f'viewBox="0 0 {width} {height:.0f}" width="{width}" height="{height:.0f}" '
        f'aria-labelledby="chart-{key}-title chart-{key}-desc" font-family="{FONT}">'
        f'<title id="chart-{key}-title">{escape(title)}</title>'
        f'<desc id="chart-{key}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def bars(
    title: str,
    desc: str,
    items: Sequence[tuple[str, float | None, str]],
    *,
    maximum: float | None = None,
    headers: tuple[str, str] = ("", ""),
    table_rows: tuple[tuple[str, ...], ...] | None = None,
) -> Chart:
    """Horizontal bars, one per ``(label, value, value as text)``, the label above its bar (so
    long labels fit on a phone). ``maximum`` fixes the scale (e.g. 100 for percentages)."""
    top = maximum or max((v or 0 for _label, v, _shown in items), default=0) or 1
    row, bar_h, value_w = 42, 14, 64
    parts = []
    for i, (label, value, shown) in enumerate(items):
        y = 8 + i * row
        parts.append(_text(0, y + 13, _fitted(label), size=13, fill=INK))
        length = max((BARS_WIDTH - value_w) * (value or 0) / top, 0)
        parts.append(
            f'<rect x="0" y="{y + 20}" width="{BARS_WIDTH - value_w:.1f}" height="{bar_h}" '
            f'rx="3" fill="{TRACK}"/>'
        )
        if value:
            parts.append(
                f'<rect x="0" y="{y + 20}" width="{max(length, 2):.1f}" height="{bar_h}" '
                f'rx="3" fill="{BRAND}"/>'
            )
        parts.append(_text(BARS_WIDTH - value_w + 8, y + 32, shown, size=13, weight="bold"))
    height = 8 + max(len(items), 1) * row
    rows = table_rows or tuple((label, shown) for label, _value, shown in items)
    svg = _svg(title, desc, height, "".join(parts), width=BARS_WIDTH)
    return Chart(title, desc, svg, headers, rows)


def channel_chart(channels: Sequence[ChannelCount], names: dict[str, str]) -> Chart:
    """Answers per channel."""
    total = sum(c.answers for c in channels)
    items = [
        (names.get(c.channel, c.channel), float(c.answers), str(c.answers))
        for c in sorted(channels, key=lambda c: -c.answers)
    ]
    parts = ", ".join(f"{label} {shown}" for label, _v, shown in items)
    return bars(
        _("Answers per channel"),
        _("%(total)s answers in all: %(parts)s.", total=total, parts=parts or DASH),
        items,
        headers=(_("Channel"), _("Answers")),
    )


def send_rate_chart(sends: Sequence[SendRate]) -> Chart:
    """Answer rate of each send (answered / delivered), on a scale of 100 %."""
    items = []
    rows: list[tuple[str, str]] = []
    for send in sends:
        when = (
            f" · {format_date(send.sent_at.date(), 'medium', locale=_locale())}"
            if send.sent_at
            else ""
        )
        label = f"{send.question_title} → {send.audience}{when}"
        shown = f"{_number(send.rate)} %" if send.rate is not None else DASH
        full = (
            f"{shown} ({send.answered}/{send.delivered})"
            if send.rate is not None
            else _("none delivered")
        )
        items.append((label, send.rate, shown))
        rows.append((label, full))
    desc = "; ".join(f"{label}: {full}" for label, full in rows)
    chart = bars(
        _("Answer rate per send"),
        _("Answered of delivered, per send. %(rates)s", rates=desc or DASH),
        items,
        maximum=100.0,
        headers=(_("Send"), _("Answered of delivered")),
        table_rows=tuple(rows),
    )
    return chart


def distribution_chart(distribution: Sequence[int], target: int, title: str) -> Chart:
    """Ten vertical bars, the count of each score 1-10; scores at or above ``target`` in the
    brand colour, the others lighter, and a line where the target starts."""
    counts = list(distribution)[:10] + [0] * max(0, 10 - len(distribution))
    total = sum(counts)
    top = max(counts) or 1
    height, base, left = 200, 170, 8
    slot = (WIDTH - 2 * left) / 10
    parts = [f'<line x1="{left}" y1="{base}" x2="{WIDTH - left}" y2="{base}" stroke="{LINE}"/>']
    for i, count in enumerate(counts):
        score = i + 1
        x = left + i * slot + slot * 0.15
        h = (base - 44) * count / top
        colour = BRAND if score >= target else BRAND_SOFT
        if count:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{slot * 0.7:.1f}" '
                f'height="{h:.1f}" rx="2" fill="{colour}"/>'
            )
        parts.append(_text(x + slot * 0.35, base - h - 6, str(count), size=14, anchor="middle"))
        parts.append(
            _text(x + slot * 0.35, base + 18, str(score), size=14, anchor="middle", fill=MUTED)
        )
    tx = left + (target - 1) * slot
    parts.append(
        f'<line x1="{tx:.1f}" y1="4" x2="{tx:.1f}" y2="{base}" stroke="{ACCENT}" '
        f'stroke-width="2" stroke-dasharray="4 3"/>'
    )
    parts.append(_text(tx + 5, 14, _("target %(score)s+", score=target), size=13, fill=MUTED))
    at_target = sum(counts[target - 1 :])
    share = 100 * at_target / total if total else None
    desc = _(
        "Scores 1 to 10 of %(total)s answers: %(counts)s. %(share)s %% at %(target)s or above.",
        total=total,
        counts=", ".join(f"{i + 1}: {c}" for i, c in enumerate(counts)),
        share=_number(share),
        target=target,
    )
    full_title = _("Scores: %(title)s", title=title)
    rows = tuple((str(i + 1), str(c)) for i, c in enumerate(counts))
    return Chart(
        full_title,
        desc,
        _svg(full_title, desc, height, "".join(parts), wide=True),
        (_("Score"), _("Answers")),
        rows,
    )


def _locale() -> str:
    try:
        from flask_babel import get_locale

        return str(get_locale() or "en")
    except (RuntimeError, AttributeError):
        return "en"


def period_label(starts_on: dt.date, period: str, locale: str | None = None) -> str:
    """A short name of a week (``v. 12``-style, by its Monday) or a month (``jan. 2026``)."""
    locale = locale or _locale()
    if period == "week":
        return _("wk %(week)s", week=starts_on.isocalendar().week)
    return format_date(starts_on, "MMM yyyy", locale=locale)


def trend_chart(points: Sequence[TrendPoint], period: str) -> Chart:
    """Answers per period as bars (left scale) and the mean score as a line (0-10, right)."""
    labels = [period_label(p.starts_on, period) for p in points]
    height, base, left, right = 230, 190, 36, 36
    n = max(len(points), 1)
    slot = (WIDTH - left - right) / n
    top = max((p.answers for p in points), default=0) or 1
    plot = base - 30
    parts = [f'<line x1="{left}" y1="{base}" x2="{WIDTH - right}" y2="{base}" stroke="{LINE}"/>']
    for mark in (0, 5, 10):
        y = base - plot * mark / 10
        parts.append(_text(WIDTH - right + 6, y + 4, str(mark), size=13, fill=MUTED))
        if mark:
            parts.append(
                f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
                f'stroke="{TRACK}"/>'
            )
    parts.append(_text(0, 12, _("answers"), size=13, fill=MUTED))
    parts.append(_text(WIDTH, 12, _("mean"), size=13, fill=MUTED, anchor="end"))
    every = max(1, -(-n // 8))  # at most 8 labels under the axis
    line = []
    for i, (point, label) in enumerate(zip(points, labels, strict=True)):
        cx = left + i * slot + slot / 2
        h = plot * point.answers / top
        width = min(slot * 0.6, 40)
        if point.answers:
            parts.append(
                f'<rect x="{cx - width / 2:.1f}" y="{base - h:.1f}" width="{width:.1f}" '
                f'height="{h:.1f}" rx="2" fill="{BRAND_SOFT}"/>'
            )
        if n <= 16 and point.answers:
            # Inside the bar at its foot: the mean's labels live above.
            parts.append(_text(cx, base - 6, str(point.answers), size=13, anchor="middle"))
        if i % every == 0:
            parts.append(_text(cx, base + 18, label, size=13, anchor="middle", fill=MUTED))
        if point.mean is not None:
            line.append((cx, base - plot * point.mean / 10, point.mean))
    if len(line) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _m in line)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{BRAND}" stroke-width="2.5" '
            f'stroke-linejoin="round"/>'
        )
    for x, y, mean in line:
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#ffffff" stroke="{BRAND}" '
            f'stroke-width="2"/>'
        )
        if n <= 12:
            parts.append(_text(x, y - 9, _number(mean, 1), size=13, anchor="middle", weight="bold"))
    rows = tuple(
        (
            label,
            str(p.answers),
            _number(p.mean, 1),
            _number(p.share_at_target) + " %" if p.share_at_target is not None else DASH,
        )
        for p, label in zip(points, labels, strict=True)
    )
    desc = _(
        "Answers per %(period)s as bars and the mean score (0 to 10) as a line: %(points)s.",
        period=_("week") if period == "week" else _("month"),
        points="; ".join(f"{r[0]}: {r[1]}, {r[2]}" for r in rows) or DASH,
    )
    title = _("Answers and mean score over time")
    return Chart(
        title,
        desc,
        _svg(title, desc, height, "".join(parts), wide=True),
        (_("Period"), _("Answers"), _("Mean score"), _("At target")),
        rows,
    )


def heat_level(share: float | None, target_share: float) -> str:
    """The colour step of a place in the breakdown: ``none`` (hidden or no figure), ``low``
    (well under the target share), ``under`` (under it), ``met`` and ``high`` (10 points or
    more above it). The page always writes the share as well."""
    if share is None:
        return "none"
    if share < target_share - 15:
        return "low"
    if share < target_share:
        return "under"
    if share >= min(target_share + 10, 100):
        return "high"
    return "met"


def chart_png(svg: str, width: int = WIDTH * 2) -> bytes:
    """The SVG as a PNG (for e-mail, where many clients show no SVG), ``width`` pixels wide,
    by ``rsvg-convert`` (Debian's librsvg2-bin). Raises RuntimeError if it is missing."""
    program = shutil.which("rsvg-convert")
    if program is None:
        raise RuntimeError("rsvg-convert is not installed (Debian package librsvg2-bin)")
    done = subprocess.run(  # noqa: S603 - a fixed program, the SVG on stdin
        [
            program,
            "--format=png",
            f"--width={width}",
            "--keep-aspect-ratio",
            "--background-color=white",
        ],
        input=svg.encode("utf-8"),
        capture_output=True,
        timeout=20,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        raise RuntimeError(f"rsvg-convert failed: {done.stderr.decode(errors='replace')[:300]}")
    return done.stdout
