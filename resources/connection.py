"""Open and check the Redis connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import redis

from fate_lineage.errors import BackendUnavailable

if TYPE_CHECKING:
    from fate_lineage.conf import RedisSettings

BACKEND = "redis"


def open_redis(settings: RedisSettings) -> redis.Redis:
    """Return a pooled client whose calls fail after the configured timeout."""
    return redis.Redis.from_url(
        settings.url,
        socket_timeout=settings.socket_timeout,
        socket_connect_timeout=settings.socket_timeout,
        decode_responses=True,
    )


def ping_redis(client: redis.Redis) -> dict[str, Any]:
    """Return the server's version and persistence mode, or raise if down."""
    try:
        info = client.info("server")
        persistence = client.info("persistence")
    except redis.AuthenticationError as exc:
        raise BackendUnavailable(
            BACKEND, f"{_address(client)}: authentication failed; check redis.url"
        ) from exc
    except redis.RedisError as exc:
        reason = str(exc).rstrip(".")
        raise BackendUnavailable(BACKEND, f"{_address(client)}: {reason}") from exc
    return {
        "version": info.get("redis_version"),
        "aof_enabled": bool(persistence.get("aof_enabled")),
    }


def _address(client: redis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db', 0)}"
