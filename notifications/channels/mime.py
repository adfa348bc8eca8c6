"""Writing an e-mail as the bytes SMTP carries: CRLF line endings, no line over 78 characters.

The standard library's ``email`` package builds a message in 1 to 5 ms (its header registry parses
and re-folds every header); delivering ten thousand e-mails spent more time there than on SMTP.
Our messages have one fixed shape — a text part and an optional HTML alternative in UTF-8, a
handful of headers — so this module writes that shape directly in ~0.05 ms: bodies in
quoted-printable (``binascii.b2a_qp``, in C), non-ASCII header text as RFC 2047 encoded words,
long ASCII headers folded at spaces. Anything outside that shape (an address that is not ASCII,
which needs SMTPUTF8) is left to the standard library by the caller.

The tests parse what this writes with the standard library's parser and compare it with what
went in, for long HTML, non-ASCII names and a 200-character subject.
"""

from __future__ import annotations

import base64
import binascii
import functools
import secrets
from collections.abc import Iterable

CRLF = "\r\n"
MAX_LINE = 78
# 45 bytes of UTF-8 make 60 base64 characters: with "=?utf-8?b?" and "?=" a word of 72 (≤ 75).
WORD_BYTES = 45


def is_ascii(value: str) -> bool:
    """True when ``value`` needs no encoding in a header."""
    return value.isascii()


def encoded_words(value: str) -> str:
    """``value`` as RFC 2047 base64 encoded words, folded one word per line; no character's
    UTF-8 bytes are split across two words (RFC 2047 section 5)."""
    words, chunk = [], b""
    for char in value:
        data = char.encode("utf-8")
        if len(chunk) + len(data) > WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += data
    words.append(chunk)
    return (CRLF + " ").join(f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words)


def fold_ascii(name: str, value: str) -> str:
    """An ASCII header value folded at spaces so lines stay within 78 characters where the
    words allow (a single word longer than a line stays whole, well below SMTP's 998)."""
    lines: list[str] = []
    line = ""
    width = len(name) + 2
    for word in value.split(" "):
        if line and width + len(line) + 1 + len(word) > MAX_LINE:
            lines.append(line)
            line, width = word, 1
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return (CRLF + " ").join(lines)


@functools.lru_cache(maxsize=1024)  # a bulk send repeats its subject and sender
def header_text(name: str, value: str) -> str:
    """Unstructured header text (Subject, a display name) ready to write after ``name: ``."""
    if is_ascii(value):
        return fold_ascii(name, value)
    return encoded_words(value)


@functools.lru_cache(maxsize=256)
def mailbox(display_name: str, address: str) -> str:
    """``"Name" <address>`` for an ASCII address, the name encoded when it is not ASCII."""
    if not display_name:
        return address
    if is_ascii(display_name):
        escaped = display_name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}" <{address}>'
    return f"{encoded_words(display_name)} <{address}>"


def quoted_printable(text: str) -> str:
    """``text`` in UTF-8 quoted-printable with CRLF line endings (lines ≤ 76 characters)."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", CRLF)
    return binascii.b2a_qp(normalised.encode("utf-8"), istext=True).decode("ascii")


def text_part(subtype: str, text: str) -> str:
    """One ``text/<subtype>`` part: its headers, a blank line and its body."""
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
        f"{quoted_printable(text)}"
    )


def write_message(headers: Iterable[tuple[str, str]], text: str, html: str | None) -> bytes:
    """The whole message: ``headers`` (already encoded, in order), MIME-Version, and the text
    part alone or with its HTML alternative. Ends with CRLF, as SMTP's DATA needs."""
    head = "".join(f"{name}: {value}{CRLF}" for name, value in headers)
    head += f"MIME-Version: 1.0{CRLF}"
    if html is None:
        body = text_part("plain", text)
        return (head + body + CRLF).encode("ascii")
    boundary = f"=_stoop_{secrets.token_hex(12)}"  # "=_" never occurs in quoted-printable
    body = (
        f'Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}{CRLF}'
        f"--{boundary}{CRLF}{text_part('plain', text)}{CRLF}"
        f"--{boundary}{CRLF}{text_part('html', html)}{CRLF}"
        f"--{boundary}--{CRLF}"
    )
    return (head + body).encode("ascii")
