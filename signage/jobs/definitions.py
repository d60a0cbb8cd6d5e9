"""The periodic jobs, as data: stable ids, triggers, and the task each runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from signage.config import Settings


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One periodic job; `task` names a function in signage.jobs.tasks."""

    id: str
    task: str
    trigger: str
    trigger_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def job_specs(settings: Settings) -> list[JobSpec]:
    """Every periodic job of this installation."""
    specs = []
    if settings.database_url.startswith("sqlite:///"):
        specs.append(
            JobSpec(
                id="backup",
                task="backup",
                trigger="interval",
                trigger_args={"minutes": settings.backup.interval_minutes},
                description="online backup of the SQLite database and the secret files",
            )
        )
    return specs
