"""What is new in an e-mail reply: its text without the message it quotes, the signature and
the mobile footer, for the Swedish, Dutch and English formats of the mail clients tenants use
(Gmail, Outlook, Apple Mail and iPhone, Thunderbird, Windows Mail).

Pure functions on plain text (an HTML body is turned into text first: :mod:`notifications.
mail_html`). The rules, in the order they are met reading down the reply:

- a signature separator (``-- ``) or a mobile footer ("Sent from my iPhone", "Skickat från min
  iPhone", "Verzonden vanaf mijn iPhone", "Get Outlook for iOS"…) ends the new text;
- Outlook's separators ("-----Original Message-----", "-----Ursprungligt meddelande-----",
  "-----Oorspronkelijk bericht-----") and header blocks ("From: … Sent: … To: … Subject:",
  "Från: … Skickat: … Till: … Ämne:", "Van: … Verzonden: … Aan: … Onderwerp:") end it too:
  Outlook quotes the message below them without ``>``;
- an attribution line ("On Mon, 1 Dec 2026 at 10:00, Name <a@b> wrote:", "Den mån 1 dec. 2026
  kl 10:00 skrev Name <a@b>:", "Op ma 1 dec. 2026 om 10:00 schreef Name <a@b>:", also wrapped
  onto two or three lines) is dropped with the ``>`` lines that follow it; followed by text
  that is not quoted, it ends the new text;
- lines starting with ``>`` are dropped wherever they are, so the answers a tenant writes
  between the quoted lines stay.

What a tenant writes above the quote is kept as written, their greeting and closing included.
"""

from __future__ import annotations

import re

# Attributions: "On … wrote:" and its Swedish and Dutch forms, written by Gmail, Apple Mail,
# Thunderbird and Outlook for Mac. Matched on one line, or on two or three joined by a space.
# Every one names a date or a time: the lookahead wants a digit ("Den gamla styrelsen skrev:"
# is a tenant's own words).
_ATTRIBUTIONS = [
    re.compile(r"^On\s(?=.*\d).{4,300}\swrote:$", re.IGNORECASE),
    re.compile(r"^Den\s(?=.*\d).{4,300}\sskrev(\s.{1,300})?:$", re.IGNORECASE),
    re.compile(
        r"^Op\s(?=.*\d).{4,300}\s(schreef(\s.{1,300})?|het volgende geschreven):$",
        re.IGNORECASE,
    ),
    # Apple Mail in Swedish and Dutch, Thunderbird with ISO dates: the line starts with a date.
    re.compile(
        r"^\d{1,4}[\s./-].{3,120}\s(skrev|schreef|wrote)\s.{1,300}:$",
        re.IGNORECASE,
    ),
    re.compile(r"^\d{1,2}\s.{3,120}\sheeft\s.{1,300}\shet volgende geschreven:$", re.IGNORECASE),
]
_MAX_ATTRIBUTION = 500

_SEPARATOR = re.compile(
    r"^-{3,}\s*(original message|ursprungligt meddelande|originalmeddelande|"
    r"oorspronkelijk bericht|origineel bericht|forwarded message|vidarebefordrat meddelande|"
    r"doorgestuurd bericht)\s*-{3,}$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^(_{10,}|-{10,})$")

# Outlook's header block: a From line, then (within a few lines) at least two of the others.
_HEADER_FROM = re.compile(r"^\*?(from|från|van):\*?\s", re.IGNORECASE)
_HEADER_OTHERS = re.compile(
    r"^\*?(sent|date|skickat|skickades|datum|verzonden|verstuurd|to|till|aan|cc|"
    r"subject|ämne|onderwerp|rubriek):\*?(\s|$)",
    re.IGNORECASE,
)
_HEADER_REACH = 6

_FOOTERS = [
    re.compile(
        r"^(sent|skickat|skickades|verzonden|verstuurd)\s+(from|with|från|med|vanaf|vanuit|"
        r"met)\s.{1,60}$",
        re.IGNORECASE,
    ),
    re.compile(r"^(get|hämta|download)\s+outlook\s+(for|för|voor)\s+\S+$", re.IGNORECASE),
    re.compile(r"^outlook\s+voor\s+\S+\s+downloaden$", re.IGNORECASE),
]
_LINK = re.compile(r"\s*<(https?://|mailto:)[^>]*>")


def strip_reply(text: str) -> str:
    """The new text of a reply (see the module's rules), with its blank lines tidied."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        bare = line.strip()
        if is_signature_separator(line) or is_footer(bare):
            break
        if _SEPARATOR.match(bare) or header_block_at(lines, index):
            break
        if _RULE.match(bare) and header_block_at(lines, _next_filled(lines, index + 1)):
            break
        spans = attribution_at(lines, index)
        if spans:
            following = _next_filled(lines, index + spans)
            if following < len(lines) and not lines[following].lstrip().startswith(">"):
                break
            index += spans
            continue
        if not bare.startswith(">"):
            kept.append(line.rstrip())
        elif kept and kept[-1]:
            kept.append("")  # where a quote was, the answers around it stay apart
        index += 1
    return tidy("\n".join(kept))


def is_signature_separator(line: str) -> bool:
    """``-- `` (RFC 3676), or ``--`` as clients that trim trailing spaces leave it."""
    return line.rstrip() == "--"


def is_footer(line: str) -> bool:
    """A mobile client's footer line ("Sent from my iPhone", "Hämta Outlook för iOS")."""
    bare = _LINK.sub("", line).strip().rstrip(".")
    return any(pattern.match(bare) for pattern in _FOOTERS)


def attribution_at(lines: list[str], index: int) -> int:
    """How many lines the attribution starting at ``index`` spans (0: none starts there)."""
    joined = ""
    for spans in (1, 2, 3):
        if index + spans > len(lines):
            return 0
        part = lines[index + spans - 1].strip()
        if not part or part.startswith(">"):
            return 0
        joined = f"{joined} {part}".strip()
        if len(joined) > _MAX_ATTRIBUTION:
            return 0
        if any(pattern.match(joined) for pattern in _ATTRIBUTIONS):
            return spans
    return 0


def header_block_at(lines: list[str], index: int) -> bool:
    """True when Outlook's header block of the quoted message starts at ``index``."""
    if index >= len(lines) or not _HEADER_FROM.match(lines[index].strip()):
        return False
    reach = lines[index + 1 : index + 1 + _HEADER_REACH]
    found = {m.group(1).lower() for line in reach if (m := _HEADER_OTHERS.match(line.strip()))}
    return len(found) >= 2


def _next_filled(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def tidy(text: str) -> str:
    """No blank lines at either end, at most one blank line in a row, no trailing spaces."""
    lines = [line.rstrip().replace("\xa0", " ").rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n").strip()


def unflow(text: str, *, delsp: bool = False) -> str:
    """A ``format=flowed`` text (RFC 3676) with its soft line breaks joined: a line ending in a
    space continues on the next line of the same quote depth. ``delsp``: the space is the
    client's, not the writer's, and goes."""
    out: list[str] = []
    carry: tuple[int, str] | None = None
    for raw in text.replace("\r\n", "\n").split("\n"):
        depth = len(raw) - len(raw.lstrip(">"))
        content = raw[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if carry is not None and carry[0] == depth:
            content = carry[1] + content
        elif carry is not None:
            out.append(_quoted(*carry))
        carry = None
        if content.endswith(" ") and content.rstrip() != "--":
            carry = (depth, content[:-1] if delsp else content)
            continue
        out.append(_quoted(depth, content))
    if carry is not None:
        out.append(_quoted(*carry))
    return "\n".join(out)


def _quoted(depth: int, content: str) -> str:
    return (">" * depth + " " + content) if depth else content
