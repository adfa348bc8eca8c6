"""The report's charts: valid SVG with a title, a description and the numbers as a table, the
numbers right; the PNG for e-mail; and the report body rendered from plain figures alone (as
the share page and the PDF render it)."""

from __future__ import annotations

import datetime as dt
import shutil
import xml.etree.ElementTree as ET

import pytest
from flask import Flask, render_template

from panel.reports import charts
from panel.reports.body import SECTION_KEYS, ReportBody, ShownItem
from panel.reports.figures import (
    ChannelCount,
    Compared,
    IndexFigures,
    PlaceRow,
    ReportFigures,
    ReportFilter,
    ScoreFigures,
    SendRate,
    TrendPoint,
)

SVG = "{http://www.w3.org/2000/svg}"


def sample_figures() -> ReportFigures:
    place = dict(parent_id=None, has_action=False)
    return ReportFigures(
        filter=ReportFilter(1, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 11, 30)),
        score_target=8,
        target_share=80.0,
        min_group=5,
        answers=Compared(120, 100),
        channels=(ChannelCount("sms", 70), ChannelCount("web", 50)),
        sends=(SendRate(1, "Hur nöjd?", "Alla hyresgäster", None, 200, 90),),
        trend=(
            TrendPoint(dt.date(2026, 9, 1), 30, 7.5, 70.0),
            TrendPoint(dt.date(2026, 10, 1), 40, 7.9, 75.0),
            TrendPoint(dt.date(2026, 11, 1), 50, 8.2, 82.0),
        ),
        scores=(
            ScoreFigures(
                7,
                "Hur nöjd är du?",
                120,
                Compared(7.9, 7.4),
                Compared(76.0, 70.0),
                (1, 2, 3, 4, 5, 6, 7, 40, 30, 22),
            ),
        ),
        indices=(
            IndexFigures(
                3, "Serviceindex", 120, Compared(7.9, 7.4), Compared(76.0, 70.0), 7.0, 85.0, False
            ),
        ),
        places=(
            PlaceRow(
                10,
                "area",
                "Norra",
                "Norra",
                depth=0,
                answers=100,
                mean=7.9,
                share_at_target=81.0,
                hidden=False,
                below_target=False,
                **place,
            ),
            PlaceRow(
                11,
                "stairwell",
                "Uppg. A",
                "Norra › Hus 1 › A",
                depth=2,
                answers=40,
                mean=6.1,
                share_at_target=42.0,
                hidden=False,
                below_target=True,
                **place,
            ),
            PlaceRow(
                12,
                "stairwell",
                "Uppg. B",
                "Norra › Hus 1 › B",
                depth=2,
                answers=3,
                mean=None,
                share_at_target=None,
                hidden=True,
                below_target=False,
                **place,
            ),
        ),
    )


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own SVG
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text
    assert "<script" not in svg and "style=" not in svg
    return root


def test_charts_are_accessible_svg_with_the_numbers(app: Flask) -> None:
    figures = sample_figures()
    with app.test_request_context():
        channel = charts.channel_chart(figures.channels, {"sms": "SMS", "web": "Webb"})
        root = parse(channel.svg)
        assert channel.rows == (("SMS", "70"), ("Webb", "50"))
        assert "120" in root.find(f"{SVG}desc").text
        # The longest bar is the largest value.
        widths = [
            float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("fill") == charts.BRAND
        ]
        assert widths[0] > widths[1] and widths[0] / widths[1] == pytest.approx(70 / 50, rel=0.01)

        sends = charts.send_rate_chart(figures.sends)
        parse(sends.svg)
        assert sends.rows[0][1] == "45 % (90/200)"

        dist = charts.distribution_chart(figures.scores[0].distribution, 8, "Hur nöjd är du?")
        root = parse(dist.svg)
        assert [r[1] for r in dist.rows] == ["1", "2", "3", "4", "5", "6", "7", "40", "30", "22"]
        assert "77 %" in root.find(f"{SVG}desc").text  # (40 + 30 + 22) / 120

        trend = charts.trend_chart(figures.trend, "month")
        parse(trend.svg)
        assert [r[1:3] for r in trend.rows] == [("30", "7.5"), ("40", "7.9"), ("50", "8.2")]
        html = str(trend.html())
        assert (
            '<div class="visually-hidden"><table class="table chart-table' in html
            and "<figure" in html
        )

    assert charts.heat_level(None, 80) == "none"
    assert charts.heat_level(42, 80) == "low"
    assert charts.heat_level(79.9, 80) == "under"
    assert charts.heat_level(80, 80) == "met"
    assert charts.heat_level(95, 80) == "high"


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="librsvg2-bin not installed")
def test_png_fallback(app: Flask) -> None:
    with app.test_request_context():
        chart = charts.trend_chart(sample_figures().trend, "week")
    png = charts.chart_png(chart.svg, width=600)
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == 600


def test_body_renders_from_plain_values_without_names(app: Flask) -> None:
    figures = sample_figures()
    texts = {key: f"Text om {key}." for key in SECTION_KEYS}
    quote = ShownItem(1, 5, "quote", "Bra service!", "Norra › Hus 1", dt.date(2026, 10, 2), None, 9)
    with app.test_request_context():
        body = ReportBody(
            title="Höst",
            texts=texts,
            figures=figures,
            personal=False,
            channel_chart=charts.channel_chart(figures.channels, {}),
            send_chart=charts.send_rate_chart(figures.sends),
            trend_chart=charts.trend_chart(figures.trend, "month"),
            score_charts={7: charts.distribution_chart((1,) * 10, 8, "x")},
            themes=[],
            theme_answers=0,
            items=[quote],
        )
        html = render_template("reports/_body.html", body=body)
    for key in SECTION_KEYS:
        assert f"Text om {key}." in html
        assert f'id="section-{key}"' in html
    assert html.index("section-intro") < html.index("section-trend") < html.index("section-closing")
    assert "fewer than 5 answers" in html and "below target" in html
    assert "Serviceindex" in html and "Below its target" in html
    assert "Bra service!" in html
    assert "<form" not in html and "/app/actions" not in html  # read-only: no edit, no links
