"""The supervised worker: ``check``, ``replay`` and the plugin's lifecycle items run the target
in a worker process that a supervisor watches from outside (``supervisor``), in a network
namespace of its own where the system allows it (``isolation``); a stopped run still yields its
report (``reports``)."""

from __future__ import annotations

from harness.supervise.isolation import GUARD_ONLY, NAMESPACE
from harness.supervise.reports import partial_report
from harness.supervise.supervisor import (
    DEFAULT_IDLE_SECONDS,
    DEFAULT_MEMORY_MB,
    Channel,
    Limits,
    Outcome,
    Stop,
    WorkerStop,
    current_isolation,
    escape_attempts,
    supervise,
)

__all__ = [
    "DEFAULT_IDLE_SECONDS",
    "DEFAULT_MEMORY_MB",
    "GUARD_ONLY",
    "NAMESPACE",
    "Channel",
    "Limits",
    "Outcome",
    "Stop",
    "WorkerStop",
    "current_isolation",
    "escape_attempts",
    "partial_report",
    "supervise",
]
