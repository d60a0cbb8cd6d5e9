"""The functions periodic jobs run; each takes the service container."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from signage.adapters.backup import BackupResult, make_backup
from signage.bootstrap import Services

log = logging.getLogger("signage.jobs")


def secret_files(services: Services) -> list[Any]:
    """The instance files a backup must carry (the Flask secret key, later signing keys)."""
    settings = services.settings
    return [settings.path(settings.server.secret_key_file), services.server_key.path]


def backup(services: Services) -> BackupResult:
    """Make one backup and prune old ones."""
    settings = services.settings
    result = make_backup(
        settings.database_url,
        secret_files(services),
        settings.path(settings.backup.directory),
        settings.backup.keep,
        services.clock.now(),
    )
    log.info("backup written to %s (%d pruned)", result.path.name, len(result.removed))
    return result


def device_watch(services: Services) -> list[Any]:
    """Raise "offline for N minutes" alerts and recovery notes (shown on the dashboard)."""
    raised = services.devices.check_offline()
    for alert in raised:
        log.warning("device %s: %s", alert.device_id, alert.kind)
    return raised


def checkpoint(services: Services) -> Any:
    """Sign the checkpoint of every device's chain head and the audit trail's head."""
    signed = services.checkpoints.make_checkpoint()
    log.info("checkpoint %d signed: %s", signed.checkpoint.seq, signed.checkpoint.digest())
    return signed


DEMO_APPROVAL = "instance/demo-approval.json"


def demo_approval(services: Services) -> bool:
    """First-start demo only: approve the submitted demo campaign once its renders exist."""
    marker = services.settings.path(DEMO_APPROVAL)
    if not marker.exists():
        return False
    wanted = json.loads(marker.read_text())
    done = services.demo_approver.approve_when_ready(wanted["campaign_id"], wanted["approver"])
    if done:
        marker.unlink(missing_ok=True)
        log.info("demo campaign %s approved by %s", wanted["campaign_id"], wanted["approver"])
    return bool(done)


TASKS: dict[str, Callable[[Services], Any]] = {
    "backup": backup,
    "device_watch": device_watch,
    "checkpoint": checkpoint,
    "demo_approval": demo_approval,
}
