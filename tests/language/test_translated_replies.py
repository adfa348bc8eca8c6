"""A reply translated into the tenant's language before it is sent: the staff member sees both
texts (their own words and the machine's translation, which they may correct), and only then
sends; the SMTP server or the Twilio double gets exactly the translation, the reply keeps the
staff member's words beside it, and the timeline shows both. Bad input is refused with the
text kept; another organisation's thread is not found; without a model nothing is sent."""

from __future__ import annotations

import re
from html import unescape

import sqlalchemy as sa

from panel.threads.models import Comment, Thread
from tests.factories import OrganisationFactory, UserFactory, login
from tests.language.conftest import reference_one
from tests.language.test_thread_page import text_of

WRITTEN = "Thank you, we will send a technician tomorrow morning."


def comments(session, thread: Thread) -> list[Comment]:
    session.expire_all()
    query = sa.select(Comment).where(Comment.thread_id == thread.id).order_by(Comment.id)
    return list(session.scalars(query.execution_options(all_organisations=True)))


def textarea(response, name: str) -> str:
    found = re.search(
        rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', response.get_data(as_text=True), re.S
    )
    assert found, f"no textarea {name!r}"
    return unescape(found.group(1)).lstrip("\r\n")


def test_the_composer_offers_the_translation_ticked(signed_in, translating, answered):
    thread = answered(channel="email")

    html = signed_in.get(f"/app/threads/{thread.id}").get_data(as_text=True)

    assert 'data-reply-translate="ready"' in html
    assert re.search(r'name="translate" value="y" checked', html)
    assert "Translate my reply into Swedish before sending" in text_of_html(html)


def text_of_html(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_a_translated_reply_by_e_mail_is_checked_then_sent_with_the_original_kept(
    signed_in, translating, answered, smtp, tenant, db_session
):
    thread = answered(channel="email")
    swedish = reference_one(translating / "en-sv", WRITTEN)

    preview = signed_in.post(
        f"/app/threads/{thread.id}/reply", data={"body": WRITTEN, "translate": "y"}
    )

    assert preview.status_code == 200
    page = text_of(preview)
    assert "Check the translation before it is sent" in page
    assert "Your words (English)" in page and WRITTEN in page
    assert "What the tenant gets (Swedish)" in page and "Machine translation from English" in page
    assert textarea(preview, "translation") == swedish
    assert comments(db_session, thread) == [], "nothing is sent before the check"
    assert [m for m in smtp.messages if m["To"] == tenant.email] == []

    sent = signed_in.post(
        f"/app/threads/{thread.id}/reply",
        data={"body": WRITTEN, "translation": swedish, "action": "send_translated"},
    )

    assert sent.status_code == 303
    [mail] = [m for m in smtp.wait_for(2) if m["To"] == tenant.email]
    content = mail.get_body(("plain",)).get_content()
    assert swedish in content.splitlines(), "the tenant gets exactly the machine's words"
    assert WRITTEN not in content
    assert "Det här svaret är maskinöversatt." in content
    [reply] = comments(db_session, thread)
    assert reply.body == swedish and reply.language == "sv"
    assert reply.data["original"] == {
        "text": WRITTEN,
        "language": "en",
        "engine": "opus-mt en-sv (ctranslate2 int8)",
        "edited": False,
    }
    shown = text_of(signed_in.get(sent.headers["Location"]))
    assert f"Written in English {WRITTEN}" in shown
    assert f"Sent in Swedish · machine translation {swedish}" in shown
    theirs = text_of(signed_in.get(f"/me/{thread.answer.me_token}"))
    assert f"{swedish} Det här svaret är maskinöversatt." in theirs and WRITTEN not in theirs


def test_a_corrected_translation_by_sms_is_what_the_tenant_gets(
    signed_in, translating, answered, phone_line, organisation, tenant, db_session
):
    thread = answered(channel="sms")
    corrected = "Tack! Vi skickar en tekniker i morgon bitti."
    preview = signed_in.post(
        f"/app/threads/{thread.id}/reply", data={"body": WRITTEN, "translate": "y"}
    )
    assert textarea(preview, "translation") == reference_one(translating / "en-sv", WRITTEN)

    signed_in.post(
        f"/app/threads/{thread.id}/reply",
        data={"body": WRITTEN, "translation": corrected, "action": "send_translated"},
    )

    [sms] = phone_line.messages
    assert sms.to == tenant.phone
    assert sms.body.startswith(f"{organisation.name}: {corrected} ")
    [reply] = comments(db_session, thread)
    assert reply.body == corrected and reply.data["original"]["edited"] is True
    page = text_of(signed_in.get(f"/app/threads/{thread.id}"))
    assert "Sent in Swedish · machine translation · corrected by hand" in page


def test_back_to_my_words_keeps_them(signed_in, translating, answered, db_session):
    thread = answered(channel="email")

    response = signed_in.post(
        f"/app/threads/{thread.id}/reply",
        data={"body": WRITTEN, "translation": "x", "translate": "y", "action": "edit"},
    )

    assert response.status_code == 200
    assert textarea(response, "body") == WRITTEN
    assert "data-reply-form" in response.get_data(as_text=True)
    assert comments(db_session, thread) == []


def test_an_empty_or_huge_reply_is_refused_before_translating(
    signed_in, translating, answered, db_session
):
    thread = answered(channel="email")

    empty = signed_in.post(f"/app/threads/{thread.id}/reply", data={"body": " ", "translate": "y"})
    huge = signed_in.post(
        f"/app/threads/{thread.id}/reply", data={"body": "ord " * 2000, "translate": "y"}
    )

    assert empty.status_code == 422 and "Write something first." in text_of(empty)
    assert huge.status_code == 422 and "Please keep it under 5000 characters." in text_of(huge)
    assert textarea(huge, "body").startswith("ord ord")
    assert comments(db_session, thread) == []


def test_an_emptied_translation_is_refused_with_both_texts_kept(
    signed_in, translating, answered, db_session
):
    thread = answered(channel="email")

    response = signed_in.post(
        f"/app/threads/{thread.id}/reply",
        data={"body": WRITTEN, "translation": "  ", "action": "send_translated"},
    )

    assert response.status_code == 422
    assert "Check the translation before it is sent" in text_of(response)
    assert "Write something first." in text_of(response)
    assert textarea(response, "body") == WRITTEN
    assert comments(db_session, thread) == []


def test_asking_for_a_translation_without_a_model_sends_nothing(
    signed_in, translating, answered_by, arabic_tenant, phone_line, db_session
):
    thread = answered_by(arabic_tenant, "المصعد معطل منذ أسبوعين.", "ar")

    response = signed_in.post(
        f"/app/threads/{thread.id}/reply", data={"body": WRITTEN, "translate": "y"}
    )

    assert response.status_code == 422
    assert (
        "No translation model for English → Arabic is installed on this server. "
        "Send your reply as you wrote it."
    ) in text_of(response)
    assert textarea(response, "body") == WRITTEN
    assert phone_line.messages == [] and comments(db_session, thread) == []


def test_another_organisations_thread_is_not_found(client, translating, answered):
    thread = answered(channel="email")
    login(client, UserFactory(organisation=OrganisationFactory(), role="admin"))

    for data in (
        {"body": WRITTEN, "translate": "y"},
        {"body": WRITTEN, "translation": "Hej", "action": "send_translated"},
    ):
        assert client.post(f"/app/threads/{thread.id}/reply", data=data).status_code == 404
