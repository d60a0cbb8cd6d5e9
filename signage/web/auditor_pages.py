"""The auditor's view (read-only): campaigns planned versus actual, the compliance heatmap,
plays per hour, device uptime and outages, excluded and quarantined records, the ledger's
integrity and checkpoints, and the exports. Auditors and admins read; approvers may too.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request

from signage.domain.errors import ValidationError
from signage.domain.users import Role
from signage.services.audit_inputs import ReportFilter
from signage.web import auditor_charts as charts
from signage.web.context import services
from signage.web.policy import allow, public

bp = Blueprint("auditor", __name__, url_prefix="/auditor")

READERS = (Role.AUDITOR, Role.ADMIN, Role.APPROVER)
ONE_YEAR = 365 * 24 * 3600


def _day(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(name, f"'{text}' is not a date like 2026-06-01") from None


def _location() -> int | None:
    text = request.args.get("location_id", "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError("location_id", "must be a location id")
    return int(text)


def report_filter() -> ReportFilter:
    """The page's filters: `from`, `to` (local days) and `location_id`."""
    return ReportFilter(_day("from"), _day("to"), _location())


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@functools.cache
def _plotly_js() -> bytes:
    return charts.plotly_js().encode("utf-8")


@bp.app_context_processor
def _plotly() -> dict[str, Any]:
    return {"plotly_version": charts.plotly_version}


@bp.get("/plotly.min.js")
@public
def plotly_js() -> Any:
    response = Response(_plotly_js(), mimetype="text/javascript")
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response


@bp.get("")
@allow(*READERS)
def index() -> Any:
    return render_template(
        "auditor_index.html", campaigns=services().audit_reports.campaign_overview()
    )


@bp.get("/campaigns/<int:campaign_id>")
@allow(*READERS)
def campaign(campaign_id: int) -> Any:
    svc = services()
    report = svc.audit_reports.campaign_report(campaign_id, report_filter())
    return render_template(
        "auditor_campaign.html",
        report=report,
        heatmap=charts.compliance_heatmap(report),
        hourly=charts.plays_per_hour(report.hourly),
        locations=svc.locations.list_locations(),
        args=request.args,
    )


@bp.get("/campaigns/<int:campaign_id>/day")
@allow(*READERS)
def day(campaign_id: int) -> Any:
    wanted = report_filter()
    if wanted.location_id is None or wanted.first_day is None:
        raise ValidationError("day", "choose a location and a day")
    one_day = ReportFilter(wanted.first_day, wanted.first_day, wanted.location_id)
    report = services().audit_reports.campaign_report(campaign_id, one_day)
    row = report.row_at(wanted.location_id, wanted.first_day)
    return render_template("auditor_day.html", report=report, row=row)


@bp.get("/campaigns/<int:campaign_id>/plays.csv")
@allow(*READERS)
def plays_csv(campaign_id: int) -> Any:
    data = services().audit_exports.plays_csv(campaign_id, report_filter())
    return _download(data, "text/csv", f"campaign-{campaign_id}-plays.csv")


@bp.get("/campaigns/<int:campaign_id>/summary.xlsx")
@allow(*READERS)
def summary_xlsx(campaign_id: int) -> Any:
    data = services().audit_exports.summary_xlsx(campaign_id, report_filter())
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(data, mimetype, f"campaign-{campaign_id}-planned-vs-actual.xlsx")


@bp.get("/campaigns/<int:campaign_id>/evidence.zip")
@allow(*READERS)
def evidence(campaign_id: int) -> Any:
    data = services().audit_exports.evidence_bundle(campaign_id, report_filter())
    return _download(data, "application/zip", f"campaign-{campaign_id}-evidence.zip")


def _period(default_days: int) -> tuple[date, date]:
    today = services().clock.now().date()
    last = _day("to") or today
    first = _day("from") or last - timedelta(days=default_days - 1)
    return first, last


@bp.get("/uptime")
@allow(*READERS)
def uptime() -> Any:
    first, last = _period(7)
    svc = services()
    devices = svc.audit_reports.uptime(_location(), first, last)
    return render_template(
        "auditor_uptime.html",
        devices=devices,
        chart=charts.uptime_heatmap(devices) if devices else None,
        locations=svc.locations.list_locations(),
        first=first,
        last=last,
        args=request.args,
    )


@bp.get("/records")
@allow(*READERS)
def records() -> Any:
    first, last = _period(30)
    since = datetime.combine(first, time(0), tzinfo=UTC)
    until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
    svc = services()
    location_id = _location()
    return render_template(
        "auditor_records.html",
        excluded=svc.audit_reports.excluded_records(location_id, since, until),
        quarantined=svc.audit_reports.quarantined_records(location_id, since, until),
        locations=svc.locations.list_locations(),
        first=first,
        last=last,
        args=request.args,
    )


@bp.get("/ledger")
@allow(*READERS)
def ledger() -> Any:
    svc = services()
    return render_template(
        "auditor_ledger.html",
        integrity=svc.ledger.integrity(),
        checkpoints=svc.checkpoints.recent(96),
        fingerprint=svc.checkpoints.server_key_fingerprint(),
    )


@bp.get("/checkpoints.jsonl")
@allow(*READERS)
def checkpoints_jsonl() -> Any:
    data = services().checkpoints.checkpoints_jsonl()
    return _download(data, "application/jsonl", "checkpoints.jsonl")


@bp.get("/server_public_key.pem")
@allow(*READERS)
def server_key() -> Any:
    data = services().checkpoints.server_key_pem()
    return _download(data, "application/x-pem-file", "server_public_key.pem")
