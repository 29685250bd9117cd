"""Service settings: ``service_conf.yaml`` plus environment overrides."""

from __future__ import annotations

from fate_lineage.conf.settings import (
    ENGINE_ENTRANCES,
    EngineNodes,
    Neo4jSettings,
    RedisSettings,
    ServiceSettings,
    Settings,
    load_settings,
)

__all__ = [
    "ENGINE_ENTRANCES",
    "EngineNodes",
    "Neo4jSettings",
    "RedisSettings",
    "ServiceSettings",
    "Settings",
    "load_settings",
]
