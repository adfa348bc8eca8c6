"""Reading an inbound e-mail: the new text of replies from Gmail, Outlook, Apple Mail, iPhone,
Thunderbird and Windows Mail in Swedish, Dutch and English (the messages in ``mail/`` are as
those clients send them: multipart/alternative, quoted-printable and base64, windows-1252 and
UTF-8, format=flowed, HTML only), without the quote, the signature and the mobile footer;
and who sent it, to which reply address, and whether a machine wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications.mail_html import html_to_text
from notifications.mail_quotes import is_footer, strip_reply, unflow
from notifications.mail_reading import (
    MailUnreadable,
    attachment_files,
    parse,
    read_mail,
    reply_token,
)

MAIL = Path(__file__).parent / "mail"
TOKEN = "k3Vq9ZpX2rLmN8aTy4BcW7dEfGhJ0s1u"

SV = """Hej Anna!

Tack för att ni hörde av er så snabbt. Hissen fungerar igen sedan i går eftermiddag, men den \
stannar fortfarande med ett ryck på fjärde våningen. Min granne på femte våningen har märkt \
samma sak, och barnvagnen fastnade nästan i dörren i morse.

Belysningen i källargången är också trasig sedan flera veckor. Det är mörkt när man går till \
tvättstugan på kvällen, och dörren till cykelrummet går inte i lås längre.

Kan ni skicka någon som tittar på både hissen och belysningen? Jag är hemma på förmiddagarna \
hela nästa vecka.

Med vänliga hälsningar
Zeynep"""

SV_ASA = """Hej!

Jag bor på femte våningen i samma trapphus som Zeynep och vill bara säga att hissen rycker \
till även för oss. I morse stannade den en bit under våningsplanet, så man fick kliva upp ett \
steg.

Tack för att ni tar tag i det – det känns tryggare att veta att någon lyssnar.

Hälsningar
Åsa Öberg"""

NL = """Beste Anna,

Bedankt voor uw snelle reactie. De lift doet het sinds gisteren weer, maar hij stopt nog \
steeds met een schok op de vierde verdieping. Mijn buurvrouw op de vijfde heeft hetzelfde \
gemerkt.

De verlichting in de kelder is ook al weken kapot. Het is 's avonds donker als je naar de \
wasruimte loopt, en de deur van de fietsenstalling valt niet meer in het slot.

Kunt u iemand sturen om naar de lift én de verlichting te kijken? Ik ben volgende week elke \
ochtend thuis.

Met vriendelijke groet,
Zoë van Dijk"""

EN = """Hi Anna,

Thanks for getting back to me so quickly. The lift has been working again since yesterday \
afternoon, but it still stops with a jolt on the fourth floor. My neighbour on the fifth \
floor has noticed the same thing.

The lights in the basement corridor have been broken for weeks as well. It is dark when you \
walk to the laundry room in the evening, and the door to the bike store no longer locks.

Could you send someone to look at both the lift and the lights? I am at home every morning \
next week.

Best wishes,
Zeynep"""

SHORT = {
    "sv": "Hej!\n\nHissen står still igen sedan i morse, nu mellan våning två och tre. Jag har "
    "ringt felanmälan men ingen svarar.\n\nZeynep",
    "en": "Hi,\n\nThe lift has stopped again since this morning, now between the second and "
    "third floor. I called the repair line but nobody answers.\n\nZeynep",
    "nl": "Hoi,\n\nDe lift staat sinds vanochtend weer stil, nu tussen de tweede en derde "
    "verdieping. Ik heb de storingslijn gebeld maar er wordt niet opgenomen.\n\nZoë",
}

# Each fixture and the new text in it: the tenant's words, greeting and closing included.
EXPECTED = {
    "gmail_sv.eml": SV,  # a signature after "-- ", an attribution wrapped onto two lines
    "gmail_nl.eml": NL,
    "gmail_en.eml": EN,  # base64, the attribution wrapped
    "outlook_sv.eml": SV_ASA,  # windows-1252; a rule, then "Från: … Skickat: … Till: … Ämne:"
    "outlook_nl.eml": NL,  # windows-1252; "-----Oorspronkelijk bericht-----"
    "outlook_en.eml": EN,  # "-----Original Message-----"
    "apple_mail_sv.eml": SV,  # "1 dec. 2026 kl. 10:00 skrev …:"
    "apple_mail_nl.eml": NL,  # "Op … heeft … het volgende geschreven:"
    "apple_mail_en.eml": EN,
    "iphone_sv.eml": SV,  # "Skickat från min iPhone"
    "iphone_nl.eml": NL,  # "Verzonden vanaf mijn iPhone"
    "iphone_en.eml": EN,  # "Sent from my iPhone"
    "thunderbird_sv.eml": SV_ASA.replace("Åsa Öberg", "Åsa"),  # below the quote, flowed
    "thunderbird_en_html_only.eml": EN,  # moz-cite-prefix, blockquote type=cite, moz-signature
    "outlook_web_nl_html_only.eml": NL,  # base64 HTML: #appendonsend, #divRplyFwdMsg
    "windows_mail_sv.eml": SV,  # "Skickades från E-post för Windows"
    "outlook_ios_sv.eml": SHORT["sv"],  # "Hämta Outlook för iOS"
    "outlook_ios_en.eml": SHORT["en"],  # "Get Outlook for iOS"
    "outlook_ios_nl.eml": SHORT["nl"],  # "Outlook voor iOS downloaden"
}


def fixture(name: str, token: str = TOKEN) -> bytes:
    """A fixture's bytes, with a thread's token in its reply address."""
    return (MAIL / name).read_bytes().replace(b"{token}", token.encode())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_new_text_of_a_reply_is_what_the_tenant_wrote(name):
    mail = read_mail(fixture(name))

    assert mail.text == EXPECTED[name]
    assert mail.reply_address() == (f"reply+{TOKEN}@stoop.localhost", TOKEN)
    assert not mail.automatic


BOTH_PARTS = [
    f"{client}_{language}.eml"
    for client in ("gmail", "outlook", "apple_mail", "iphone")
    for language in ("sv", "nl", "en")
]


@pytest.mark.parametrize("name", BOTH_PARTS)
def test_the_html_part_says_the_same(name):
    """Where a client sends both, its HTML (quote marked up its own way) gives the same text."""
    message = parse(fixture(name))
    html = message.get_body(preferencelist=("html",))

    assert html is not None
    assert strip_reply(html_to_text(html.get_content())) == EXPECTED[name]


def test_every_fixture_is_checked():
    names = {path.name for path in MAIL.glob("*.eml")}
    automatic = {"auto_reply_outlook_sv.eml", "auto_reply_nl_subject.eml", "vacation_gmail_en.eml"}
    assert names == set(EXPECTED) | automatic


def test_names_and_addresses_are_decoded():
    outlook = read_mail(fixture("outlook_sv.eml"))  # windows-1252 (ISO-8859-1 headers)
    gmail = read_mail(fixture("gmail_sv.eml"))

    assert (outlook.sender_name, outlook.sender) == ("Åsa Öberg", "asa.oberg@example.se")
    assert (gmail.sender_name, gmail.sender) == ("Zeynep Yılmaz", "zeynep.yilmaz@example.se")
    assert gmail.subject == (
        "Re: Ett svar på ditt svar: Hur trivs du i trapphuset på Ängsbacksvägen?"
    )
    assert gmail.message_id == (
        "CAHx3Kp9vZ2mL0q8Yw4u+Jt6fQe1aXk7nB5cR3dS2gT9hW0yUoA@mail.gmail.com"
    )
    assert gmail.in_reply_to == "stoop.reply.4f2a9c1e7b@stoop.localhost"
    assert gmail.references == ("stoop.reply.4f2a9c1e7b@stoop.localhost",)
    assert "Den mån 1 dec. 2026 kl 10:00 skrev" in gmail.full_text  # the whole text is there


@pytest.mark.parametrize(
    "name", ["auto_reply_outlook_sv.eml", "auto_reply_nl_subject.eml", "vacation_gmail_en.eml"]
)
def test_out_of_office_replies_are_automatic(name):
    assert read_mail(fixture(name)).automatic


HEADERS = "From: Zeynep <zeynep.yilmaz@example.se>\nTo: reply+{token}@stoop.localhost\n"


def message(extra: str = "", subject: str = "Re: Hissen", body: str = "Tack!") -> bytes:
    text = HEADERS.format(token=TOKEN) + f"Subject: {subject}\n" + extra + "\n" + body + "\n"
    return text.encode()


@pytest.mark.parametrize(
    "extra",
    [
        "Auto-Submitted: auto-replied\n",
        "Auto-Submitted: auto-generated\n",
        "X-Autoreply: yes\n",
        "X-Autorespond: Ja\n",
        "Precedence: bulk\n",
        "Precedence: auto_reply\n",
        "Precedence: junk\n",
        "Return-Path: <>\n",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n',
    ],
)
def test_machines_are_known_by_their_headers(extra):
    assert read_mail(message(extra)).automatic


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Re: Hissen",
        "Automatic reply: A reply to your answer",
        "Autosvar: Ett svar på ditt svar",
        "Automatiskt svar: Ett svar på ditt svar",
        "Frånvaro: Ett svar på ditt svar",
        "Frånvaromeddelande",
        "Afwezig: Een reactie op je antwoord",
        "Automatisch antwoord: Een reactie op je antwoord",
    ],
)
def test_machines_are_known_by_their_subjects(subject):
    assert read_mail(message(subject=subject)).automatic


@pytest.mark.parametrize(
    "extra", ["Auto-Submitted: no\n", "Precedence: list\n", "Return-Path: <z@example.se>\n"]
)
def test_people_are_not_machines(extra):
    assert not read_mail(message(extra, subject="Re: Ingen frånvarande hiss")).automatic


def test_the_provider_id_is_the_message_id_else_a_hash_of_the_bytes():
    with_id = message("Message-ID: <abc.123@example.se>\n")
    without = message()

    assert read_mail(with_id).provider_id(with_id) == "abc.123@example.se"
    first = read_mail(without).provider_id(without)
    assert first == read_mail(without).provider_id(without)  # a redelivery: the same id
    assert first.startswith("sha256:") and len(first) == 7 + 64
    other = message(body="Tack igen!")
    assert read_mail(other).provider_id(other) != first
    long_id = message(f"Message-ID: <{'x' * 200}@example.se>\n")
    assert len(read_mail(long_id).provider_id(long_id)) <= 120


def test_the_reply_address_is_found_in_the_envelope_headers_too():
    raw = (
        "From: zeynep.yilmaz@example.se\nTo: Undisclosed recipients:;\n"
        f"Delivered-To: reply+{TOKEN}@Svar.Angsbacken.SE\nSubject: x\n\nHej\n"
    ).encode()

    assert read_mail(raw).reply_address() == (f"reply+{TOKEN}@svar.angsbacken.se", TOKEN)
    assert reply_token(["info@angsbacken.se", "reply+short@x.se"]) is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"   \r\n\r\n", "empty"),
        (b"\x00\x01\x02 garbage \xff\xfe", "No e-mail headers"),
        (b"Hello, this is not an e-mail at all.\nJust text.\n", "No e-mail headers"),
        (b"Subject: no sender\n\nHej\n", "no From address"),
        (b"From: nobody\nSubject: x\n\nHej\n", "no From address"),
    ],
)
def test_what_is_no_e_mail_is_refused_with_the_reason(raw, reason):
    with pytest.raises(MailUnreadable, match=reason):
        read_mail(raw)


def test_attachments_are_listed_and_read_with_their_bytes():
    boundary = "b1"
    raw = (
        f"From: zeynep.yilmaz@example.se\nTo: reply+{TOKEN}@x.se\nSubject: Film\n"
        f'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"\n\n'
        f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\nHär är filmen.\n"
        f"--{boundary}\nContent-Type: video/mp4\nContent-Disposition: attachment; "
        "filename*=utf-8''hiss%20f%C3%B6rsta.mp4\nContent-Transfer-Encoding: base64\n\n"
        "AAAAGGZ0eXBtcDQy\n"
        f'--{boundary}\nContent-Type: image/jpeg; name="trapp.jpg"\n'
        "Content-Transfer-Encoding: base64\n\n/9j/4AAQ\n"
        f"--{boundary}--\n"
    ).encode()

    mail = read_mail(raw)
    assert mail.text == "Här är filmen."
    assert [a.as_payload() for a in mail.attachments] == [
        {"filename": "hiss första.mp4", "content_type": "video/mp4", "size": 12},
        {"filename": "trapp.jpg", "content_type": "image/jpeg", "size": 6},
    ]
    [(video, data), _picture] = attachment_files(raw)
    assert video.filename == "hiss första.mp4" and data == b"\x00\x00\x00\x18ftypmp42"


# --- the text rules, one by one --------------------------------------------------------------


def test_lines_quoted_between_answers_go_and_the_answers_stay():
    text = (
        "On Mon, 1 Dec 2026 at 10:00, Anna Berg <anna@angsbacken.se> wrote:\n"
        "> Fungerar hissen nu?\n"
        "Nej, inte alls.\n"
        ">\n"
        "> Är belysningen lagad?\n"
        "Ja, i går.\n"
    )
    assert strip_reply(text) == "Nej, inte alls.\n\nJa, i går."


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, 1 Dec 2026 at 10:00, Anna Berg <anna@angsbacken.se> wrote:",
        "On Mon, 1 Dec 2026 at 10:00, Anna Berg <\nanna@angsbacken.se> wrote:",
        "On Mon, 1 Dec 2026 at 10:00,\nAnna Berg <anna@angsbacken.se>\nwrote:",
        "Den mån 1 dec. 2026 kl 10:00 skrev Anna Berg <anna@angsbacken.se>:",
        "Den mån 1 dec. 2026 kl 10:00 skrev Anna Berg <\nanna@angsbacken.se>:",
        "Den 2026-12-01 kl. 10:00, skrev Anna Berg:",
        "1 dec. 2026 kl. 10:00 skrev Anna Berg <anna@angsbacken.se>:",
        "Op ma 1 dec. 2026 om 10:00 schreef Anna Berg <anna@angsbacken.se>:",
        "Op 1 dec. 2026 om 10:00 heeft Anna Berg <anna@angsbacken.se> het volgende geschreven:",
        "Op 01-12-2026 om 10:00 schreef Anna Berg:",
    ],
)
def test_attributions_in_three_languages_go_with_their_quote(attribution):
    text = f"Tack, det blev bra.\n\n{attribution}\n\n> Hej Zeynep,\n> vi lagar hissen.\n"
    assert strip_reply(text) == "Tack, det blev bra."


def test_an_attribution_followed_by_unquoted_text_ends_the_reply():
    text = "Tack!\n\nOn Mon, 1 Dec 2026 at 10:00, Anna wrote:\nHej Zeynep, vi lagar hissen.\n"
    assert strip_reply(text) == "Tack!"


def test_words_that_only_look_like_an_attribution_stay():
    text = "Den gamla styrelsen skrev:\n\nVi lagar allt.\n\nOn the notice board someone wrote:"
    assert strip_reply(text) == text


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "-----Ursprungligt meddelande-----",
        "-----Oorspronkelijk bericht-----",
        "---------- Forwarded message ---------",
    ],
)
def test_outlook_separators_end_the_reply(separator):
    assert strip_reply(f"Tack!\n\n{separator}\nHej Zeynep\n") == "Tack!"


@pytest.mark.parametrize(
    "block",
    [
        "From: Anna Berg <anna@angsbacken.se>\nSent: Monday, 1 December 2026 10:00\n"
        "To: Zeynep\nSubject: Hissen",
        "Från: Anna Berg <anna@angsbacken.se>\nSkickat: den 1 december 2026 10:00\n"
        "Till: Zeynep\nÄmne: Hissen",
        "Van: Anna Berg <anna@angsbacken.se>\nVerzonden: maandag 1 december 2026 10:00\n"
        "Aan: Zoë\nOnderwerp: De lift",
        "From: Anna Berg <anna@angsbacken.se>\nDate: Monday, 1 December 2026 at 10:00\n"
        "To: Zeynep\nSubject: Hissen",
    ],
)
def test_outlook_header_blocks_end_the_reply(block):
    assert strip_reply(f"Tack!\n\n________________________________\n{block}\n\nHej\n") == "Tack!"
    assert strip_reply(f"Tack!\n\n{block}\n\nHej\n") == "Tack!"


def test_a_from_line_alone_is_the_tenants_own():
    text = "From: the third floor, it smells of smoke.\nPlease check."
    assert strip_reply(text) == text


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Sent from my iPad",
        "Skickat från min iPhone",
        "Verzonden vanaf mijn iPhone",
        "Verstuurd vanaf mijn iPhone",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Get Outlook for Android",
        "Hämta Outlook för iOS",
        "Outlook voor iOS downloaden",
        "Skickades från E-post för Windows",
        "Sent from Mail for Windows",
    ],
)
def test_mobile_footers_end_the_reply(footer):
    assert is_footer(footer)
    assert strip_reply(f"Tack!\n\n{footer}\n\nmore") == "Tack!"


def test_a_signature_after_dash_dash_space_goes():
    assert strip_reply("Tack!\n\n-- \nZeynep Yılmaz\n070-123 45 67") == "Tack!"
    assert strip_reply("Tack!\n--\nZeynep") == "Tack!"  # a client that trims the space
    assert strip_reply("Tack -- hissen går nu.") == "Tack -- hissen går nu."


def test_flowed_text_is_joined_where_its_lines_were_wrapped():
    flowed = "Hissen fungerar \nigen nu.\n> Citat som \n> fortsätter.\n-- \nZeynep"
    assert unflow(flowed) == "Hissen fungerar igen nu.\n> Citat som fortsätter.\n-- \nZeynep"
    assert unflow("Hissen fungerar \nigen.", delsp=True) == "Hissen fungerarigen."


def test_html_quotes_of_each_client_are_left_out():
    gmail = (
        '<div dir="ltr">Tack!</div><br><div class="gmail_quote"><div class="gmail_attr">'
        'Den mån skrev Anna:</div><blockquote class="gmail_quote">Hej</blockquote></div>'
    )
    apple = (
        '<div>Tack!</div><div><br><blockquote type="cite"><div>On … wrote:</div>Hej'
        "</blockquote></div>"
    )
    thunderbird = (
        '<p>Tack!</p><div class="moz-cite-prefix">On 01/12/2026, Anna wrote:<br></div>'
        '<blockquote type="cite">Hej</blockquote><div class="moz-signature">-- <br>Zeynep</div>'
    )
    outlook = (
        '<div>Tack!</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg">'
        "<b>From:</b> Anna</div><div>Hej</div>"
    )
    for html in (gmail, apple, thunderbird, outlook):
        assert html_to_text(html) == "Tack!"


def test_html_keeps_paragraphs_lists_and_entities():
    html = (
        "<html><head><title>t</title><style>p {}</style></head><body>"
        "<p>Hissen &amp; belysningen:</p><ul><li>hissen</li><li>lampan</li></ul>"
        "<p>Mvh<br>Zeynep</p><script>alert(1)</script></body></html>"
    )
    assert html_to_text(html) == "Hissen & belysningen:\n\n- hissen\n- lampan\n\nMvh\nZeynep"


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_text_sent_without_its_charset_is_still_read(encoding):
    raw = b"From: z@example.se\nSubject: x\n\n" + "Den går igen, tack för hjälpen!".encode(encoding)

    assert read_mail(raw).text == "Den går igen, tack för hjälpen!"


def test_an_unknown_charset_is_read_as_utf_8():
    raw = (
        b"From: z@example.se\nSubject: x\nContent-Type: text/plain; charset=x-no-such\n\n"
        + "Hissen går.".encode()
    )

    assert read_mail(raw).text == "Hissen går."
