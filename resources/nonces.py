"""Nonces of signed requests, each stored in Redis once for a limited time."""

from __future__ import annotations

import hashlib

import redis

from fate_lineage.errors import BackendUnavailable
from fate_lineage.resources.connection import BACKEND


class NonceStore:
    """Nonces in Redis: each (app key, nonce) pair can be claimed once while kept."""

    def __init__(self, client: redis.Redis, key_namespace: str) -> None:
        self.client = client
        self.key_namespace = key_namespace

    def claim(self, app_key: str, nonce: str, keep_ms: int) -> bool:
        """Store the pair for ``keep_ms`` milliseconds; False if it is stored already.

        Raises BackendUnavailable when Redis does not respond, so that a
        Redis outage rejects signed requests instead of letting replays in.
        """
        # A digest keeps the key short and free of the caller's characters.
        digest = hashlib.sha256(f"{app_key}\n{nonce}".encode()).hexdigest()
        key = f"{self.key_namespace}:nonce:{digest}"
        try:
            stored = self.client.set(key, "1", nx=True, px=max(keep_ms, 1))
        except redis.RedisError as exc:
            raise BackendUnavailable(BACKEND, str(exc).rstrip(".")) from exc
        return bool(stored)
