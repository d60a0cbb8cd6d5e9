"""Watching devices: offline alerts and recovery notes, and how far a take-down got."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from signage.domain.devices import DeviceAlert, Takedown, is_online, reach
from signage.domain.errors import NotFoundError, valid_id
from signage.services.campaign_changes import campaign_or_404
from signage.services.ports import UnitOfWork

ALERT_MEMORY = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert for the dashboard."""

    alert: DeviceAlert
    location_name: str
    text: str


def offline_alerts(uow: UnitOfWork, now: datetime, poll_interval_s: int) -> list[DeviceAlert]:
    """Raise an alert for each active device gone offline; note each one that came back."""
    raised: list[DeviceAlert] = []
    for device in uow.devices.list():
        if not device.active:
            continue
        open_alert = uow.device_alerts.open_offline(device.id)
        online = is_online(device.last_seen_at, now, poll_interval_s)
        if not online and open_alert is None:
            since = device.last_seen_at or device.enrolled_at
            raised.append(uow.device_alerts.add(device.id, "offline", since, now))
        elif online and open_alert is not None:
            uow.device_alerts.close(open_alert.id, now)
            raised.append(uow.device_alerts.add(device.id, "recovered", open_alert.since, now))
    return raised


def alert_views(uow: UnitOfWork, now: datetime) -> list[AlertView]:
    """Open offline alerts and the last day's recoveries, newest first."""
    names = {loc.id: loc.spec.name for loc in uow.locations.list()}
    views = []
    for alert in uow.device_alerts.recent(now - ALERT_MEMORY):
        device = uow.devices.get(alert.device_id)
        if alert.kind == "offline" and alert.closed_at is not None:
            continue  # its recovery note says it
        if device is not None and not device.active and alert.closed_at is None:
            continue  # retired devices are not expected back
        where = names.get(device.location_id, "?") if device else "?"
        views.append(AlertView(alert, where, alert.text(now)))
    return views


def takedown(
    uow: UnitOfWork,
    now: datetime,
    poll_interval_s: int,
    campaign_id: int | None,
    blank_id: int | None,
) -> Takedown:
    """How a campaign's withdrawal (or a blank) stands on each screen it concerns."""
    locations = {loc.id: loc for loc in uow.locations.list()}
    if campaign_id is not None:
        campaign = campaign_or_404(uow, campaign_id)
        withdrawn = [a for a in uow.approvals.list_for(campaign_id) if a.withdrawn_at is not None]
        if not withdrawn:
            return Takedown("campaign", campaign_id, campaign.name, None, ())
        at = max(a.withdrawn_at for a in withdrawn if a.withdrawn_at is not None)
        where: Sequence[int] = sorted({lid for a in withdrawn for lid in a.snapshot.screens})
        kind, label = "campaign", campaign.name
    else:
        blank = uow.blanks.get(blank_id) if blank_id is not None and valid_id(blank_id) else None
        if blank is None:
            raise NotFoundError(f"blank {blank_id} not found")
        at = blank.started_at
        where = [blank.location_id] if blank.location_id is not None else sorted(locations)
        scope = locations.get(blank.location_id) if blank.location_id else None
        kind, label = "blank", f"blank of {scope.spec.name if scope else 'every location'}"
    screens = []
    for location_id in where:
        device = uow.devices.active_at(location_id)
        if device is None:
            continue
        name = locations[location_id].spec.name if location_id in locations else "?"
        confirmed = uow.devices.first_confirmation(device.id, at)
        screens.append(reach(device, name, at, confirmed, now, poll_interval_s))
    return Takedown(kind, campaign_id or blank_id or 0, label, at, tuple(screens))
