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
    specs.append(
        JobSpec(
            id="device_watch",
            task="device_watch",
            trigger="interval",
            trigger_args={"seconds": 60},
            description="alert on devices gone offline; note the ones that came back",
        )
    )
    specs.append(
        JobSpec(
            id="checkpoint",
            task="checkpoint",
            trigger="cron",
            # Quarter hours, also when idle: auditors can expect one at :00, :15, :30, :45.
            trigger_args={"minute": "0,15,30,45"},
            description="sign a checkpoint of every device's chain head and the audit head",
        )
    )
    specs.append(
        JobSpec(
            id="demo_approval",
            task="demo_approval",
            trigger="interval",
            trigger_args={"seconds": 15},
            description="approve the demo campaign as the demo approver once it is rendered",
        )
    )
    return specs
