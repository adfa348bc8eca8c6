"""The provider stand-ins themselves: the SMTP server and the S3 (moto) server on loopback."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest


def test_the_smtp_server_keeps_parsed_messages_and_envelopes(smtp_server):
    mail = EmailMessage()
    mail["From"] = "a@example.org"
    mail["To"] = "b@example.org"
    mail["Subject"] = "Hallå"
    mail.set_content("Hej")

    with smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=5) as client:
        client.send_message(mail)

    [received] = smtp_server.received
    assert received.rcpt_tos == ["b@example.org"]
    assert smtp_server.messages[0]["Subject"] == "Hallå"
    smtp_server.clear()
    assert smtp_server.messages == []


def test_the_smtp_server_refuses_a_wrong_login(smtp_server):
    with (
        smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=5) as client,
        pytest.raises(smtplib.SMTPAuthenticationError),
    ):
        client.login("stoop", "wrong")


def test_the_s3_server_stores_and_returns_an_object(s3_server):
    bucket = s3_server.create_bucket()
    s3 = s3_server.client()

    s3.put_object(Bucket=bucket, Key="clips/a.txt", Body=b"hej", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="clips/a.txt")

    assert got["Body"].read() == b"hej"
    assert got["ContentType"] == "text/plain"
    assert s3_server.endpoint_url.startswith("http://127.0.0.1:")
