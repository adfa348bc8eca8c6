"""One POST to a webhook, to the address the guard checked, and what came of it.

urllib3 directly rather than requests: its connection pool takes the address to connect to and,
separately, the name to send in SNI and to check the certificate against
(``server_hostname``/``assert_hostname``), so the request goes to the IP the guard approved
while TLS still verifies the real host; and it reads no proxy settings from the environment,
follows no redirect and retries nothing unless asked. requests would need a transport adapter
overriding its connection internals to do the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError

from panel.core.i18n import LazyText
from panel.webhooks.guard import Target, UnsafeUrl, resolve_target

MAX_ERROR = 500
SNIPPET_BYTES = 200  # of a refusing receiver's body, for the log


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the status (None: no answer), an error text, its duration."""

    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(
    url: str, body: bytes, headers: dict[str, str], *, strict: bool, timeout: float
) -> Outcome:
    """POST ``body`` to ``url``. A 2xx is success; a redirect, any other status, a refused
    address, a timeout or a broken connection is a failure, described for the log."""
    started = time.monotonic()
    try:
        target = resolve_target(url, strict=strict)
        status, snippet = _send(target, body, headers, timeout)
    except UnsafeUrl as exc:
        return _outcome(started, None, f"refused: {_english(exc)}")
    except (HTTPError, OSError) as exc:
        return _outcome(started, None, _describe(exc))
    if 200 <= status < 300:
        return _outcome(started, status, None)
    if 300 <= status < 400:
        return _outcome(started, status, f"HTTP {status}: redirects are not followed")
    return _outcome(started, status, f"HTTP {status}: {snippet}" if snippet else f"HTTP {status}")


def _send(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    pool = _pool(target)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            timeout=urllib3.Timeout(total=timeout),
        )
        try:
            snippet = response.read(SNIPPET_BYTES, decode_content=False)
        finally:
            response.release_conn()
        return response.status, snippet.decode("utf-8", "replace").strip()
    finally:
        pool.close()


def _pool(target: Target) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            maxsize=1,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(target.address, target.port, maxsize=1, retries=False)


def _english(exc: UnsafeUrl) -> str:
    """The refusal in English (the log is the same for every reader, like an HTTP status)."""
    text = exc.text
    if isinstance(text, LazyText):
        return text.msgid % text.params if text.params else text.msgid
    return str(text)


def _describe(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = f"{type(exc).__name__}: {reason}"
    return text[:MAX_ERROR]


def _outcome(started: float, status: int | None, error: str | None) -> Outcome:
    elapsed = int((time.monotonic() - started) * 1000)
    return Outcome(status, error[:MAX_ERROR] if error else None, elapsed)
