"""The CSV import page every importer shares: size check before parsing, form, report."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from flask import render_template, request
from flask_wtf import FlaskForm

from panel.core.csv_files import MAX_IMPORT_BYTES, CsvFileError, ImportReport, too_large_error

# Multipart overhead allowed on top of the file itself before a body is refused unread.
_FORM_OVERHEAD = 64 * 1024


def import_page(
    template: str,
    form_class: type[FlaskForm],
    example: str,
    run: Callable[[IO[bytes]], ImportReport],
) -> Any:
    """GET shows the form; POST runs ``run(stream)`` and shows its report or the file's error."""
    if (
        request.method == "POST"
        and (request.content_length or 0) > MAX_IMPORT_BYTES + _FORM_OVERHEAD
    ):
        # Refused before the body is parsed: nothing of a file this size is read or kept.
        error = too_large_error(request.content_length)
        return _render(template, form_class(), example, file_error=error)
    form = form_class()
    if not form.validate_on_submit():
        return _render(template, form, example, status=422 if request.method == "POST" else 200)
    try:
        report = run(form.file.data.stream)
    except CsvFileError as exc:
        return _render(template, form, example, file_error=exc)
    return _render(template, form, example, report=report)


def _render(
    template: str, form: FlaskForm, example: str, *, status: int = 200, **context: Any
) -> Any:
    error = context.get("file_error")
    if error is not None:
        status = error.status
    page = render_template(
        template,
        form=form,
        example=example,
        limit_mb=MAX_IMPORT_BYTES // (1024 * 1024),
        **context,
    )
    return page, status
