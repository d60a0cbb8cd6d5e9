"""The auditor's charts as plotly figures (JSON), built from the services' reports.

Plotly is a presentation library: it lives here in the web layer only. The
pages load plotly.js from this server (`auditor.plotly_js`), never a CDN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

_LAYOUT: dict[str, Any] = {
    "margin": {"l": 180, "r": 20, "t": 30, "b": 60},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, sans-serif", "size": 12},
}
# Red (nothing delivered) through amber to green (all planned time delivered).
_COMPLIANCE_SCALE = [[0.0, "#b42318"], [0.5, "#f79009"], [0.9, "#fdd835"], [1.0, "#12b76a"]]


def compliance_heatmap(report: Any) -> str:
    """Locations × days, coloured by delivered seconds as a share of planned seconds."""
    days = report.days
    location_ids = sorted(report.locations)
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for location_id in location_ids:
        cells: list[float | None] = []
        notes: list[str] = []
        for day in days:
            row = report.row_at(location_id, day)
            pct = row.tally.compliance_pct if row is not None else None
            cells.append(None if pct is None else min(pct, 100.0))
            if row is None:
                notes.append("nothing planned")
            else:
                t = row.tally
                notes.append(
                    f"{pct if pct is not None else '–'} % · planned {t.planned_ms // 1000} s · "
                    f"delivered {t.delivered_ms // 1000} s · plays {t.counted_plays}/"
                    f"{t.planned_plays}"
                )
        z.append(cells)
        text.append(notes)
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[d.isoformat() for d in days],
            y=[report.locations[i] for i in location_ids],
            text=text,
            hovertemplate="%{y}<br>%{x}<br>%{text}<extra></extra>",
            zmin=0,
            zmax=100,
            colorscale=_COMPLIANCE_SCALE,
            colorbar={"title": {"text": "% delivered"}},
            xgap=2,
            ygap=2,
        )
    )
    figure.update_layout(**_LAYOUT, height=120 + 40 * max(1, len(location_ids)))
    return str(figure.to_json())


def plays_per_hour(hourly: Sequence[tuple[int, int, int]]) -> str:
    """Plays by local hour of day: counted, and recorded but not counted."""
    hours = [f"{hour:02d}:00" for hour, _, _ in hourly]
    figure = go.Figure(
        [
            go.Bar(name="counted", x=hours, y=[c for _, c, _ in hourly], marker_color="#12b76a"),
            go.Bar(
                name="not counted", x=hours, y=[o for _, _, o in hourly], marker_color="#f79009"
            ),
        ]
    )
    figure.update_layout(
        **{**_LAYOUT, "margin": {"l": 50, "r": 20, "t": 30, "b": 50}},
        barmode="stack",
        height=300,
        xaxis_title="local hour",
        yaxis_title="plays",
    )
    return str(figure.to_json())


def uptime_heatmap(devices: Sequence[Any]) -> str:
    """Devices × days, coloured by the share of the local day with heartbeats."""
    days = sorted({day for device in devices for day, _ in device.days})
    z = []
    for device in devices:
        share = dict(device.days)
        z.append([share.get(day) for day in days])
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[d.isoformat() for d in days],
            y=[f"{d.location_name} (device {d.device_id})" for d in devices],
            zmin=0,
            zmax=100,
            colorscale=_COMPLIANCE_SCALE,
            colorbar={"title": {"text": "% online"}},
            hovertemplate="%{y}<br>%{x}<br>%{z} % online<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    figure.update_layout(**_LAYOUT, height=120 + 40 * max(1, len(devices)))
    return str(figure.to_json())


def plotly_version() -> str:
    """The bundled plotly.js version (for the script URL, so caches never go stale)."""
    import plotly

    return str(plotly.__version__)


def plotly_js() -> str:
    """plotly.min.js as shipped inside the installed plotly package."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())
