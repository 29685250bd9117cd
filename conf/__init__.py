"""Service settings: ``service_conf.yaml`` plus environment overrides."""

from __future__ import annotations

from fate_lineage.conf.schema import ENGINE_SECTIONS
from fate_lineage.conf.settings import (
    EngineNodes,
    LineageSettings,
    Neo4jSettings,
    RedisSettings,
    ServiceSettings,
    Settings,
    load_settings,
)

__all__ = [
    "ENGINE_SECTIONS",
    "EngineNodes",
    "LineageSettings",
    "Neo4jSettings",
    "RedisSettings",
    "ServiceSettings",
    "Settings",
    "load_settings",
]
