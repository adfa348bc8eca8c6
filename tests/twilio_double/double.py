"""A stand-in for Twilio's Messages API, served on loopback for the ``twilio`` package to call,
and the webhooks Twilio calls on us (status callbacks, incoming SMS), signed as Twilio signs.

It answers what the package calls to send an SMS (``POST .../Messages.json``) and to fetch one
(``GET .../Messages/{Sid}.json``), checks HTTP basic auth and the form against Twilio's own
OpenAPI document, and refuses what Twilio refuses with Twilio's error shape
``{"code", "message", "more_info", "status"}``. It records every request and every accepted
message, can be told to fail the next requests (retry tests), and sends status callbacks signed
with the auth token, as Twilio does.

It also serves what Twilio keeps for us: a call's recordings (``GET .../Recordings/{Sid}``, with
``.wav``, ``.mp3`` or no extension, behind basic auth) and the files of an MMS a tenant sent
(``GET .../Messages/{MessageSid}/Media/{Sid}``, behind basic auth, answered with a redirect to an
unauthenticated, short-lived storage URL as Twilio's media URLs are). Phone calls are played by
:mod:`tests.twilio_double.calls`, which follows our TwiML the way Twilio does.
"""

from __future__ import annotations

import io
import json
import math
import re
import secrets
import shutil
import subprocess
import threading
import wave
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
import requests
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.twilio_double import spec
from tests.twilio_double.calls import PhoneCall

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
MAX_BODY = 1600

# Twilio's error codes for the refusals the double makes.
ERRORS = {
    20001: "Unknown parameter",
    20003: "Authenticate",
    20004: "Method not allowed",
    20404: "The requested resource {path} was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21211: "Invalid 'To' Phone Number: {to}",
    21212: "Invalid 'From' Phone Number: {from_}",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21609: "Invalid StatusCallback url",
    21617: "The concatenated message body exceeds the 1600 character limit.",
}
CODES_BY_STATUS = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20500}


def segments(body: str) -> int:
    """How many SMS segments a GSM-7 body takes (160 alone, 153 each when concatenated)."""
    return 1 if len(body) <= 160 else -(-len(body) // 153)


def new_sid(prefix: str) -> str:
    """A Twilio-shaped id: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def tone_wav(seconds: float = 1.5, frequency: float = 440.0, rate: int = 8000) -> bytes:
    """A real WAV file as Twilio records a phone call: 8 kHz, mono, 16-bit PCM (a tone)."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        sample = int(12000 * math.sin(2 * math.pi * frequency * i / rate))
        frames += sample.to_bytes(2, "little", signed=True)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return out.getvalue()


def wav_to_mp3(data: bytes) -> bytes:
    """The MP3 Twilio serves for ``{RecordingUrl}.mp3`` (made by ffmpeg)."""
    if shutil.which("ffmpeg") is None:
        raise TwilioError(404, 20404, path="(no ffmpeg to make an mp3)")
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "wav", "-i", "pipe:0", "-f", "mp3", "pipe:1"],
        input=data,
        capture_output=True,
        check=True,
    )
    return done.stdout


@dataclass
class Recording:
    """A recording the double keeps for a call, as ``GET .../Recordings/{Sid}`` serves it."""

    sid: str
    account_sid: str
    call_sid: str
    audio: bytes
    duration: int

    @property
    def path(self) -> str:
        """The path of Twilio's RecordingUrl (without an extension)."""
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{self.sid}"


@dataclass
class MediaItem:
    """One file of an MMS a tenant sent, as ``GET .../Messages/{Sid}/Media/{Sid}`` serves it."""

    sid: str
    message_sid: str
    account_sid: str
    content: bytes
    content_type: str
    storage_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def path(self) -> str:
        """The path of Twilio's MediaUrl{N}."""
        message = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.message_sid}"
        return f"{message}/Media/{self.sid}"


@dataclass
class RecordedRequest:
    """One request as the double received it."""

    method: str
    path: str
    form: dict[str, list[str]]
    username: str | None
    password: str | None
    status: int = 0


@dataclass
class SentMessage:
    """One message the double accepted."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    status_callback: str | None
    messaging_service_sid: str | None
    form: dict[str, list[str]]
    username: str | None
    password: str | None
    status: str = "queued"
    media_urls: list[str] = field(default_factory=list)
    created: str = field(default_factory=lambda: formatdate(usegmt=True))

    def resource(self) -> dict[str, Any]:
        """The message as Twilio's API returns it (every documented property)."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": self.created,
            "date_sent": None,
            "date_updated": self.created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(len(self.media_urls)),
            "num_segments": str(segments(self.body)),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
            "to": self.to,
            "uri": uri,
        }


class TwilioError(Exception):
    """A refusal in Twilio's error shape."""

    def __init__(self, status: int, code: int, message: str | None = None, **details: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or ERRORS[code].format(**details)

    def response(self) -> Response:
        body = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        return _json(body, self.status)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class TwilioDouble:
    """The double: a WSGI app plus the recorded traffic, served by :meth:`start`."""

    def __init__(self) -> None:
        self.account_sid = new_sid("AC")
        self.auth_token = secrets.token_hex(16)
        self.phone_number = "+46701740605"
        self.messages: list[SentMessage] = []
        self.last_inbound_sid = ""
        self.requests: list[RecordedRequest] = []
        self.recordings: dict[str, Recording] = {}
        self.media: dict[str, MediaItem] = {}
        self._failures: list[tuple[int, int | None]] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url_map = Map(
            [
                Rule("/2010-04-01/Accounts/<account>/Messages.json", endpoint="messages"),
                Rule("/2010-04-01/Accounts/<account>/Messages/<sid>.json", endpoint="message"),
                Rule("/2010-04-01/Accounts/<account>/Recordings/<sid>", endpoint="recording"),
                Rule(
                    "/2010-04-01/Accounts/<account>/Messages/<message>/Media/<sid>",
                    endpoint="media",
                ),
                # Where Twilio's media URLs redirect to: a short-lived URL needing no login.
                Rule("/mms-storage/<token>", endpoint="media_storage"),
            ]
        )

    # -- serving -------------------------------------------------------------------------

    def start(self) -> TwilioDouble:
        """Serve on a free loopback port in a background thread."""
        self._server = make_server(
            "127.0.0.1", 0, self, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """The base URL to give the app as ``STOOP_TWILIO_API_BASE``."""
        assert self._server is not None, "start() the double first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def settings(self) -> dict[str, str]:
        """Settings overrides that point the app at this double."""
        return {
            "twilio_account_sid": self.account_sid,
            "twilio_auth_token": self.auth_token,
            "twilio_from": self.phone_number,
            "twilio_api_base": self.url,
        }

    # -- controlling it ------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all traffic and pending failures (between tests)."""
        with self._lock:
            self.messages.clear()
            self.requests.clear()
            self._failures.clear()
            self.recordings.clear()
            self.media.clear()

    def add_recording(self, call_sid: str, audio: bytes | None = None) -> Recording:
        """Keep a recording of call ``call_sid`` (a real short WAV unless ``audio`` is given)
        to serve at its RecordingUrl, as Twilio does once a ``<Record>`` finishes."""
        data = tone_wav() if audio is None else audio
        duration = max(1, round(len(data) / 16000))
        recording = Recording(new_sid("RE"), self.account_sid, call_sid, data, duration)
        with self._lock:
            self.recordings[recording.sid] = recording
        return recording

    def recording_url(self, recording: Recording) -> str:
        """The RecordingUrl Twilio reports: no extension; add ``.wav`` or ``.mp3``."""
        return self.url + recording.path

    def add_media(self, message_sid: str, content: bytes, content_type: str) -> MediaItem:
        """Keep one file of an incoming MMS to serve at its MediaUrl."""
        item = MediaItem(new_sid("ME"), message_sid, self.account_sid, content, content_type)
        with self._lock:
            self.media[item.sid] = item
        return item

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        """The requests received for paths that start with ``path_prefix``."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    def fail_next(self, count: int = 1, status: int = 500, code: int | None = None) -> None:
        """Answer the next ``count`` API requests with ``status`` (and Twilio ``code``)."""
        with self._lock:
            self._failures.extend([(status, code)] * count)

    def message(self, sid: str) -> SentMessage:
        for message in self.messages:
            if message.sid == sid:
                return message
        raise KeyError(sid)

    def send_status_callback(
        self, target: Any, sid: str, status: str, *, error_code: int | None = None
    ) -> Any:
        """Report ``status`` for message ``sid`` to its StatusCallback URL, signed like Twilio.

        ``target`` is a Flask test client (the request goes to the callback URL's path) or the
        base URL of a live server. Returns the client's or ``requests``' response.
        """
        message = self.message(sid)
        if not message.status_callback:
            raise ValueError(f"message {sid} was sent without a StatusCallback")
        message.status = status
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_ or "",
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": message.to,
        }
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self.post_signed(target, message.status_callback, params)

    def send_inbound_sms(
        self,
        target: Any,
        url: str,
        *,
        from_: str,
        body: str,
        to: str | None = None,
        sid: str | None = None,
        **extra: str | None,
    ) -> Any:
        """An SMS from ``from_`` to our number ``to``, posted to the number's webhook ``url``
        with the parameters Twilio sends for an incoming message, signed like Twilio.

        Returns the response; the MessageSid is in :attr:`last_inbound_sid`. ``extra`` adds
        or replaces parameters; None removes one (a malformed request).
        """
        sid = sid or new_sid("SM")
        to = to or self.phone_number
        params: dict[str, str | None] = {
            "ToCountry": "SE",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "SE",
            "To": to,
            "ToZip": "",
            "NumSegments": str(segments(body)),
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": from_,
            "ApiVersion": API_VERSION,
            **extra,
        }
        self.last_inbound_sid = sid
        sent = {key: value for key, value in params.items() if value is not None}
        return self.post_signed(target, url, sent)

    def send_inbound_mms(
        self,
        target: Any,
        url: str,
        *,
        from_: str,
        body: str = "",
        files: list[tuple[bytes, str]],
        to: str | None = None,
        sid: str | None = None,
    ) -> Any:
        """An MMS: ``body`` and ``files`` ((content, content type) each), kept by the double
        and announced as Twilio does (``NumMedia``, ``MediaUrl{N}``, ``MediaContentType{N}``)."""
        sid = sid or new_sid("MM")
        extra: dict[str, str | None] = {"NumMedia": str(len(files))}
        for number, (content, content_type) in enumerate(files):
            item = self.add_media(sid, content, content_type)
            extra[f"MediaUrl{number}"] = self.url + item.path
            extra[f"MediaContentType{number}"] = content_type
        return self.send_inbound_sms(target, url, from_=from_, body=body, to=to, sid=sid, **extra)

    def call(self, target: Any, url: str, *, from_: str, to: str | None = None) -> PhoneCall:
        """A call from ``from_`` to our number ``to``, started: Twilio has asked the number's
        voice ``url`` what to do; the returned call follows the TwiML we answered."""
        call = PhoneCall(self, target, url, new_sid("CA"), from_, to or self.phone_number)
        call.start()
        return call

    def post_signed(self, target: Any, url: str, params: dict[str, str]) -> Any:
        """POST ``params`` to ``url`` with ``X-Twilio-Signature`` computed as Twilio does.

        ``target`` is a Flask test client (the request goes to the URL's path) or the base URL
        of a live server. Returns the client's or ``requests``' response.
        """
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        headers = {"X-Twilio-Signature": signature}
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if isinstance(target, str):
            return requests.post(
                target.rstrip("/") + path, data=params, headers=headers, timeout=10
            )
        return target.post(path, data=params, headers=headers)

    # -- the WSGI app --------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._respond(request)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        auth = request.authorization
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            form={key: request.form.getlist(key) for key in request.form},
            username=auth.username if auth else None,
            password=auth.password if auth else None,
        )
        with self._lock:
            self.requests.append(recorded)
        try:
            response = self._dispatch(request, recorded)
        except TwilioError as exc:
            response = exc.response()
        except HTTPException as exc:  # e.g. an unparseable body
            response = TwilioError(exc.code or 400, 20001, message=exc.description).response()
        recorded.status = response.status_code
        return response

    def _dispatch(self, request: Request, recorded: RecordedRequest) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound as exc:
            raise TwilioError(404, 20404, path=request.path) from exc
        if endpoint == "media_storage":
            return self._stored_media(args["token"])
        self._authenticate(recorded, args["account"])
        self._maybe_fail()
        if endpoint == "recording" and request.method == "GET":
            return self._recording(args["sid"], request.path)
        if endpoint == "media" and request.method == "GET":
            return self._media(args["message"], args["sid"], request.path)
        if endpoint == "messages" and request.method == "POST":
            return self._create(recorded)
        if endpoint == "message" and request.method == "GET":
            try:
                return _json(self.message(args["sid"]).resource(), 200)
            except KeyError as exc:
                raise TwilioError(404, 20404, path=request.path) from exc
        raise TwilioError(405, 20004)

    def _recording(self, name: str, path: str) -> Response:
        """A recording's audio: WAV without an extension or with ``.wav``, MP3 with ``.mp3``;
        ``.json`` is the recording resource."""
        sid, _dot, extension = name.partition(".")
        if not spec.matches_sid(spec.RECORDING_PATH, "Sid", sid):
            raise TwilioError(404, 20404, path=path)
        recording = self.recordings.get(sid)
        if recording is None or extension not in ("", "wav", "mp3", "json"):
            raise TwilioError(404, 20404, path=path)
        if extension == "json":
            return _json(
                {"sid": sid, "call_sid": recording.call_sid, "duration": str(recording.duration),
                 "status": "completed", "account_sid": recording.account_sid},
                200,
            )  # fmt: skip
        if extension == "mp3":
            return Response(wav_to_mp3(recording.audio), mimetype="audio/mpeg")
        return Response(recording.audio, mimetype="audio/x-wav")

    def _media(self, message_sid: str, sid: str, path: str) -> Response:
        """An MMS file: Twilio answers its media URL with a redirect to its storage."""
        item = self.media.get(sid)
        documented = spec.matches_sid(spec.MEDIA_PATH, "Sid", sid) and spec.matches_sid(
            spec.MEDIA_PATH, "MessageSid", message_sid
        )
        if not documented or item is None or item.message_sid != message_sid:
            raise TwilioError(404, 20404, path=path)
        response = Response(b"", status=307)
        response.headers["Location"] = f"{self.url}/mms-storage/{item.storage_token}"
        return response

    def _stored_media(self, token: str) -> Response:
        for item in list(self.media.values()):
            if secrets.compare_digest(item.storage_token, token):
                return Response(item.content, mimetype=item.content_type)
        return Response(b"<Error>NoSuchKey</Error>", status=404, mimetype="application/xml")

    def _authenticate(self, recorded: RecordedRequest, account: str) -> None:
        if (
            recorded.username != self.account_sid
            or recorded.password != self.auth_token
            or account != self.account_sid
        ):
            raise TwilioError(401, 20003)

    def _maybe_fail(self) -> None:
        with self._lock:
            if not self._failures:
                return
            status, code = self._failures.pop(0)
        raise TwilioError(status, code or CODES_BY_STATUS.get(status, 20500))

    def _create(self, recorded: RecordedRequest) -> Response:
        form = recorded.form
        if not form.get("To", [""])[-1]:
            raise TwilioError(400, 21604)
        problems = spec.schema_errors(form)
        if problems:
            # Parameters the document does not list, or values of the wrong type.
            raise TwilioError(400, 20001, message=f"{ERRORS[20001]}: {'; '.join(problems)}")

        def first(name: str) -> str:
            return form.get(name, [""])[-1]

        to, from_, body = first("To"), first("From"), first("Body")
        service = first("MessagingServiceSid")
        media = form.get("MediaUrl", [])
        callback = first("StatusCallback")
        if not (from_ or service):
            raise TwilioError(400, 21603)
        if not (body or media or first("ContentSid")):
            raise TwilioError(400, 21602)
        if not _valid_number(to):
            raise TwilioError(400, 21211, to=to)
        if from_ and not (E164.match(from_) or ALPHANUMERIC_SENDER.match(from_)):
            raise TwilioError(400, 21212, from_=from_)
        if len(body) > MAX_BODY:
            raise TwilioError(400, 21617)
        if callback and urlsplit(callback).scheme not in ("http", "https"):
            raise TwilioError(400, 21609)
        message = SentMessage(
            sid=new_sid("SM"),
            account_sid=self.account_sid,
            to=to,
            from_=from_ or None,
            body=body,
            status_callback=callback or None,
            messaging_service_sid=service or None,
            form=form,
            username=recorded.username,
            password=recorded.password,
            media_urls=list(media),
        )
        with self._lock:
            self.messages.append(message)
        return _json(message.resource(), 201)


def _valid_number(number: str) -> bool:
    """E.164 and a possible number for its country, as Twilio checks before queuing."""
    if not E164.match(number):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
