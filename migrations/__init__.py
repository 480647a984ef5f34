"""Versioned migrations for ksqlDB streams and tables, compatible with Confluent's ksql-migrations.

``Migrator`` runs every command of ``ksqlpy-migrations`` from Python; ``new_project`` starts a
project. Projects, files, properties and metadata are shared with ksql-migrations: either tool
can apply the next version.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .commands import ApplyResult, InfoResult, InfoRow, Migrator, new_project
    from .config import MigrationConfig, load_config
    from .files import MigrationFile
    from .plan import LockState, Problem, State, Target, VersionInfo

# Loaded on first use, so that 'ksqlpy-migrations --help' never imports the client (PEP 562).
_LAZY = {
    "ApplyResult": ".commands",
    "InfoResult": ".commands",
    "InfoRow": ".commands",
    "LockState": ".plan",
    "MigrationConfig": ".config",
    "MigrationFile": ".files",
    "Migrator": ".commands",
    "Problem": ".plan",
    "State": ".plan",
    "Target": ".plan",
    "VersionInfo": ".plan",
    "load_config": ".config",
    "new_project": ".commands",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ksqlpy.migrations' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ApplyResult",
    "InfoResult",
    "InfoRow",
    "LockState",
    "MigrationConfig",
    "MigrationFile",
    "Migrator",
    "Problem",
    "State",
    "Target",
    "VersionInfo",
    "load_config",
    "new_project",
]
