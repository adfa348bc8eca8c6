"""A short-lived cache for what many requests read and few change (a touchpoint's page):
Redis when ``STOOP_REDIS_URL`` is set, so every web process shares it; otherwise a small
in-process table, which is what the embedded default (one process) needs.

Entries are JSON values that live ``ttl`` seconds. A cache that cannot be reached is a miss,
never an error: the caller computes the value as if nothing was cached.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)

MAX_LOCAL_ENTRIES = 2000
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def redis_client(url: str) -> Any | None:
    """One Redis client (with its connection pool) per URL and process; None for no URL."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            import redis

            client = _clients[url] = redis.Redis.from_url(
                url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        return client


class LocalCache:
    """Entries in this process only, dropped after their time (and the oldest past a size)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return json.loads(found[1])

    def set(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            if len(self._entries) >= MAX_LOCAL_ENTRIES:
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
                while len(self._entries) >= MAX_LOCAL_ENTRIES:
                    self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (time.monotonic() + ttl, json.dumps(value))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RedisCache:
    """Entries in Redis, shared by every process; a Redis that does not answer is a miss."""

    def __init__(self, client: Any, prefix: str = "stoop:cache:") -> None:
        self.client = client
        self.prefix = prefix

    def get(self, key: str) -> Any | None:
        try:
            raw = self.client.get(self.prefix + key)
        except Exception as exc:  # noqa: BLE001 - any Redis trouble is a miss
            log.warning("cache: Redis unavailable (%s)", type(exc).__name__)
            return None
        return json.loads(raw) if raw else None

    def set(self, key: str, value: Any, ttl: float) -> None:
        try:
            self.client.set(self.prefix + key, json.dumps(value), px=int(ttl * 1000))
        except Exception as exc:  # noqa: BLE001 - the value is simply not cached
            log.warning("cache: Redis unavailable (%s)", type(exc).__name__)

    def clear(self) -> None:
        try:
            for key in self.client.scan_iter(self.prefix + "*"):
                self.client.delete(key)
        except Exception:  # noqa: BLE001
            log.warning("cache: Redis unavailable while clearing")


def cache() -> LocalCache | RedisCache:
    """The app's cache (made once per app)."""
    made = current_app.extensions.get("stoop_cache")
    if made is None:
        client = redis_client(current_app.config["STOOP"].redis_url or "")
        made = RedisCache(client) if client is not None else LocalCache()
        current_app.extensions["stoop_cache"] = made
    return made
