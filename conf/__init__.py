"""Service settings: ``service_conf.yaml`` plus environment overrides."""

from __future__ import annotations

from fate_lineage.conf.schema import ENGINE_SECTIONS
from fate_lineage.conf.settings import (
    ApiClient,
    AuthenticationSettings,
    DependencySettings,
    EngineNodes,
    JobDefaults,
    LineageSettings,
    Neo4jSettings,
    RedisSettings,
    ResourceManagerSettings,
    ServiceSettings,
    Settings,
    load_settings,
)

__all__ = [
    "ENGINE_SECTIONS",
    "ApiClient",
    "AuthenticationSettings",
    "DependencySettings",
    "EngineNodes",
    "JobDefaults",
    "LineageSettings",
    "Neo4jSettings",
    "RedisSettings",
    "ResourceManagerSettings",
    "ServiceSettings",
    "Settings",
    "load_settings",
]
