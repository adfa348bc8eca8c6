"""A phone call to one of our numbers, played the way Twilio plays it: it posts the incoming-call
webhook, reads the TwiML we answer, and follows it — digits pressed go to the ``<Gather>``'s
action, a finished ``<Record>`` becomes a recording the double serves, announced to the
``<Record>``'s action and to its ``recordingStatusCallback``. Every request is signed with the
account's auth token, as Twilio signs.

The parameters are the ones Twilio documents for each request: the call's own (``CallSid``,
``From``, ``To``, ``CallStatus``…), plus ``Digits`` for a gather, plus ``RecordingUrl``,
``RecordingSid``, ``RecordingDuration`` for a recording; a recording status callback carries
only the account, call and recording fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin
from xml.etree import ElementTree

if TYPE_CHECKING:
    from tests.twilio_double.double import Recording, TwilioDouble

API_VERSION = "2010-04-01"


class TwimlNotFollowed(AssertionError):
    """The TwiML in force has no verb for what the test asked the caller to do."""


@dataclass
class PhoneCall:
    """One call in progress: the TwiML in force and every answer we gave so far."""

    double: TwilioDouble
    target: Any  # a Flask test client, or the base URL of a live server
    voice_url: str
    sid: str
    caller: str
    called: str
    document_url: str = ""
    twiml: ElementTree.Element | None = None
    responses: list[Any] = field(default_factory=list)

    # -- what Twilio sends ---------------------------------------------------------------

    def params(self, status: str = "in-progress") -> dict[str, str]:
        """The parameters Twilio sends with every request about this call."""
        return {
            "AccountSid": self.double.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": self.sid,
            "CallStatus": status,
            "Called": self.called,
            "CalledCountry": "SE",
            "Caller": self.caller,
            "CallerCountry": "SE",
            "Direction": "inbound",
            "From": self.caller,
            "FromCountry": "SE",
            "To": self.called,
            "ToCountry": "SE",
        }

    def _post(self, url: str, params: dict[str, str], *, follow: bool = True) -> Any:
        response = self.double.post_signed(self.target, url, params)
        self.responses.append(response)
        if follow and _status(response) == 200:
            self.document_url = url
            self.twiml = ElementTree.fromstring(_body(response))  # noqa: S314 - our own TwiML
        return response

    # -- what the caller does ------------------------------------------------------------

    def start(self) -> Any:
        """The call rings: Twilio asks the number's voice URL what to do."""
        return self._post(self.voice_url, self.params("ringing"))

    def press(self, digits: str, finished_on_key: str = "#") -> Any:
        """The caller presses ``digits`` (then ``finished_on_key``, when it is a gather's
        finishOnKey) while a ``<Gather>`` listens: Twilio posts them to its action."""
        gather = self._verb("Gather")
        url = urljoin(self.document_url, gather.get("action") or self.document_url)
        params = {**self.params(), "Digits": digits, "msg": "Gather End"}
        if finished_on_key and finished_on_key in (gather.get("finishOnKey") or "#"):
            params["FinishedOnKey"] = finished_on_key
        return self._post(url, params)

    def speak(
        self,
        audio: bytes | None = None,
        *,
        action: bool = True,
        status_callback: bool = True,
        ended_by: str = "#",
    ) -> Recording:
        """The caller speaks after the beep of the ``<Record>`` in force and presses
        ``ended_by`` (or ``"hangup"``). The double keeps the recording, then posts the action
        (when ``action``) and the recording status callback (when ``status_callback``)."""
        record = self._verb("Record")
        recording = self.double.add_recording(self.sid, audio)
        url = self.double.recording_url(recording)
        if action:
            target = urljoin(self.document_url, record.get("action") or self.document_url)
            params = {
                **self.params("completed" if ended_by == "hangup" else "in-progress"),
                "RecordingUrl": url,
                "RecordingSid": recording.sid,
                "RecordingDuration": str(recording.duration),
                "Digits": ended_by,
            }
            self._post(target, params, follow=ended_by != "hangup")
        callback = record.get("recordingStatusCallback")
        if status_callback and callback:
            self.send_recording_status(recording, urljoin(self.document_url, callback))
        return recording

    def send_recording_status(
        self, recording: Recording, url: str, status: str = "completed"
    ) -> Any:
        """A recording status callback, with the fields Twilio documents for it."""
        params = {
            "AccountSid": self.double.account_sid,
            "CallSid": self.sid,
            "RecordingSid": recording.sid,
            "RecordingUrl": self.double.recording_url(recording),
            "RecordingStatus": status,
            "RecordingDuration": str(recording.duration),
            "RecordingChannels": "1",
            "RecordingStartTime": "Mon, 01 Dec 2026 10:00:00 +0000",
            "RecordingSource": "RecordVerb",
            "RecordingTrack": "both",
            "ErrorCode": "0",
        }
        return self._post(url, params, follow=False)

    def _verb(self, name: str) -> ElementTree.Element:
        if self.twiml is None:
            raise TwimlNotFollowed("the call has not started")
        found = self.twiml.find(f".//{name}")
        if found is None:
            raise TwimlNotFollowed(f"the TwiML in force has no <{name}>: {_dump(self.twiml)}")
        return found


def _status(response: Any) -> int:
    return getattr(response, "status_code", 0)


def _body(response: Any) -> bytes:
    return response.data if hasattr(response, "data") else response.content


def _dump(element: ElementTree.Element) -> str:
    return ElementTree.tostring(element, encoding="unicode")
