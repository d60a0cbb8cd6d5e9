"""The functions periodic jobs run; each takes the service container."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from signage.adapters.backup import BackupResult, make_backup
from signage.bootstrap import Services

log = logging.getLogger("signage.jobs")


def secret_files(services: Services) -> list[Any]:
    """The instance files a backup must carry (the Flask secret key, later signing keys)."""
    settings = services.settings
    return [settings.path(settings.server.secret_key_file)]


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


TASKS: dict[str, Callable[[Services], Any]] = {"backup": backup}
