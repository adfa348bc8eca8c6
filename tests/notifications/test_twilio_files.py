"""Files Twilio keeps for us are fetched with the account's credentials from Twilio only."""

from __future__ import annotations

import dataclasses

import pytest

from notifications.twilio_files import file_request, recording_request, trusted


@pytest.fixture
def twilio_settings(settings):
    return dataclasses.replace(
        settings,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="secret-token",
        twilio_api_base="http://127.0.0.1:8123",
    )


@pytest.mark.parametrize(
    ("url", "ours"),
    [
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", True),
        ("https://media.twiliocdn.com.evil.example/x", False),
        ("https://api.twilio.com.evil.example/x", False),
        ("http://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", False),  # not https
        ("https://eviltwilio.com/x", False),
        ("http://127.0.0.1:8123/2010-04-01/Accounts/AC1/Recordings/RE1", True),  # the double
        ("http://127.0.0.1:8124/x", False),
        ("file:///etc/passwd", False),
    ],
)
def test_only_twilio_gets_the_credentials(twilio_settings, url, ours):
    assert trusted(twilio_settings, url) is ours
    request = file_request(twilio_settings, url)
    assert (request is not None) is ours
    if request is not None:
        assert request.auth == ("AC" + "0" * 32, "secret-token")


def test_a_recording_is_fetched_as_wav_unless_its_url_names_a_format(twilio_settings):
    base = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    assert recording_request(twilio_settings, base).url == base + ".wav"
    assert recording_request(twilio_settings, base, "mp3").url == base + ".mp3"
    assert recording_request(twilio_settings, base + ".mp3").url == base + ".mp3"
