"""An HTML e-mail body as plain text, without the message it quotes.

Mail clients mark what they quote, each in its own way; that part is left out here, before the
text rules of :mod:`notifications.mail_quotes` run over the rest:

- dropped with everything inside: Gmail's ``div.gmail_quote`` (and ``blockquote.gmail_quote``,
  ``div.gmail_signature``), Apple Mail's and Thunderbird's ``blockquote type="cite"``,
  Thunderbird's ``div.moz-cite-prefix`` and ``div.moz-signature``, Yahoo's
  ``div.yahoo_quoted``;
- the end of the new text: Outlook's ``div#appendonsend``, ``div#divRplyFwdMsg``,
  ``div#mail-editor-reference-message-container`` and ``hr#stopSpelling`` (Outlook quotes
  everything after them).

The standard library's tolerant HTML parser reads it (no HTML library is installed with Stoop);
tags left open are closed by the nearest end tag of the same name, as browsers mostly do.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
}  # fmt: skip
SILENT = {"head", "script", "style", "title", "template", "xml"}
BLOCKS = {
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "li", "main", "nav", "ol", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
DROPPED_CLASSES = {
    "gmail_quote", "gmail_quote_container", "gmail_signature", "moz-cite-prefix",
    "moz-signature", "yahoo_quoted",
}  # fmt: skip
ENDING_IDS = {"appendonsend", "divrplyfwdmsg", "mail-editor-reference-message-container"}
ENDING_HR_IDS = {"stopspelling"}


def _attributes(attrs: list[tuple[str, str | None]]) -> tuple[set[str], str, str]:
    values = {name.lower(): (value or "") for name, value in attrs}
    classes = {c.lower() for c in values.get("class", "").split()}
    return classes, values.get("id", "").lower(), values.get("type", "").lower()


class _Reader(HTMLParser):
    """Collects the text of the parts that are the writer's own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        # Open elements: (tag, whether it ends with a blank line: a paragraph, except
        # Outlook's, which makes a paragraph of every line).
        self.stack: list[tuple[str, bool]] = []
        self.skip_from: int | None = None  # stack depth of the element being dropped
        self.silent_from: int | None = None
        self.ended = False
        self.pre = 0
        self.tail = ""  # the last two characters written

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.ended:
            return
        classes, element_id, kind = _attributes(attrs)
        if element_id in ENDING_IDS or (tag == "hr" and element_id in ENDING_HR_IDS):
            self.ended = True
            return
        if tag in VOID:
            if tag in ("br", "hr") and self.skip_from is None and self.silent_from is None:
                self._emit("\n")
            return
        paragraph = tag == "p" and "msonormal" not in classes
        self.stack.append((tag, paragraph))
        quoted = (tag == "blockquote" and kind == "cite") or bool(classes & DROPPED_CLASSES)
        if quoted and self.skip_from is None:
            self.skip_from = len(self.stack)
        if tag in SILENT and self.silent_from is None:
            self.silent_from = len(self.stack)
        if tag == "pre":
            self.pre += 1
        if tag in BLOCKS or tag == "p":
            self._break(blank=paragraph)
        if tag == "li" and self.skip_from is None and self.silent_from is None:
            self._emit("- ")

    def handle_endtag(self, tag: str) -> None:
        if self.ended or tag in VOID or all(open_tag != tag for open_tag, _ in self.stack):
            return
        while self.stack:
            closed, paragraph = self.stack.pop()
            depth = len(self.stack) + 1
            if self.skip_from is not None and depth <= self.skip_from:
                self.skip_from = None
            if self.silent_from is not None and depth <= self.silent_from:
                self.silent_from = None
            if closed == "pre":
                self.pre = max(0, self.pre - 1)
            if closed in BLOCKS or closed == "p":
                self._break(blank=paragraph)
            if closed == tag:
                return

    def handle_data(self, data: str) -> None:
        if self.ended or self.skip_from is not None or self.silent_from is not None:
            return
        if not self.pre:
            data = re.sub(r"[ \t\r\n\f]+", " ", data)
            if not self.tail or self.tail.endswith("\n"):
                data = data.lstrip(" ")  # the source's line breaks between blocks
        self._emit(data)

    def _emit(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.tail = (self.tail + text)[-2:]

    def _break(self, *, blank: bool = False) -> None:
        """End the line (and leave a blank one after a paragraph), once however many blocks
        end here."""
        if self.skip_from is not None or self.silent_from is not None or not self.parts:
            return
        wanted = "\n\n" if blank else "\n"
        present = len(self.tail) - len(self.tail.rstrip("\n"))
        self._emit("\n" * max(0, len(wanted) - present))


def html_to_text(html: str) -> str:
    """The text of an HTML body without what it quotes (see the module), lines trimmed and at
    most one blank line in a row."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    lines = "".join(reader.parts).replace("\xa0", " ").split("\n")
    text = "\n".join(line.strip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
