"""Versioned migrations for ksqlDB streams and tables, compatible with Confluent's ksql-migrations.

``Migrator`` runs every command of ``ksqlpy-migrations`` from Python; ``new_project`` starts a
project. Projects, files, properties and metadata are shared with ksql-migrations: either tool
can apply the next version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ksqlpy._lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


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
