"""The wall poster of an area's plan: A3 and A4 pages of the right size, in the organisation's
language, each action with what, where, who and by when, the done ones ticked (dark pixels in
the tick column) and struck, and the figures they answer to (from the report's figures over
the area: answers, mean, share at target, the stairwells below target)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.actions.conftest import days
from tests.factories import login


def pdf_of(client, tmp_path: Path, area_id: int, size: str) -> Path:
    response = client.get(f"/app/actions/poster.pdf?area={area_id}&size={size}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    path = tmp_path / f"poster-{size}.pdf"
    path.write_bytes(response.data)
    return path


def page_size_mm(path: Path) -> tuple[int, int]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    line = next(x for x in info.stdout.splitlines() if x.startswith("Page size:"))
    width, height = (float(v) for v in line.split()[2:5:2])
    return round(width * 25.4 / 72), round(height * 25.4 / 72)


def dark_pixels_in_tick_column(path: Path, tmp_path: Path) -> int:
    """Dark pixels in the left 10 % of the page below its top third (the tick boxes)."""
    out = tmp_path / path.stem
    subprocess.run(
        ["pdftoppm", "-r", "30", "-gray", "-singlefile", str(path), str(out)], check=True
    )
    data = (out.with_suffix(".pgm")).read_bytes()
    header, width, height, _maxval = data.split(maxsplit=3)[:4], *data.split(maxsplit=3)[1:3], 0
    width, height = int(header[1]), int(header[2])
    pixels = data[-(width * height) :]
    return sum(
        1
        for y in range(height // 3, height)
        for x in range(0, width // 8)
        if pixels[y * width + x] < 80
    )


def test_the_poster_of_an_area_in_a3_and_a4(
    client, tmp_path, communicator, staff, tree, report, answered, make_item
):
    open_item = make_item(
        title="Byta belysning i trapphuset Björkvägen 3B",
        place_id=tree["stairwell"].id,
        responsible_id=staff.id,
        report_id=report.id,
        due_on=days(5),
    )
    login(client, communicator)
    before = pdf_of(client, tmp_path, tree["area"].id, "A3")
    assert page_size_mm(before) == (297, 420)
    ticks_before = dark_pixels_in_tick_column(before, tmp_path)

    make_item(
        title="Städning av källargången",
        place_id=tree["building"].id,
        responsible_id=staff.id,
        report_id=report.id,
        due_on=days(-3),
        status="done",
    )
    a3 = pdf_of(client, tmp_path, tree["area"].id, "A3")
    assert dark_pixels_in_tick_column(a3, tmp_path) > ticks_before + 5  # the tick
    words = " ".join(
        subprocess.run(
            ["pdftotext", str(a3), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    for expected in (
        "Ängsbacken",
        open_item.title,
        "Björkvägen 3 / Trapphus B",
        "Städning av källargången",
        "Anna Berg",
        "18",  # answers over the area
        "Trapphus B",  # the stairwell below target
    ):
        assert expected in words, expected
    a4 = pdf_of(client, tmp_path, tree["area"].id, "A4")
    assert page_size_mm(a4) == (210, 297)


def test_the_poster_refuses_what_it_cannot_print(client, communicator, tree, stranger):
    login(client, communicator)
    assert client.get(f"/app/actions/poster.pdf?area={stranger['place'].id}").status_code == 404
    assert client.get("/app/actions/poster.pdf").status_code == 422
    response = client.get(f"/app/actions/poster.pdf?area={tree['area'].id}&size=A0")
    assert response.status_code == 422
