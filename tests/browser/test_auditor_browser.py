"""The auditor's view in a real browser: the compliance heatmap drawn by plotly (served by
this server), the plays CSV and the evidence bundle downloaded, and `signage verify`."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from signage.cli import cli
from tests.conftest import PASSWORD
from tests.web.route_cases_audit import campaign_with_plays

if TYPE_CHECKING:
    from tests.browser.conftest import LiveApp

pytestmark = pytest.mark.browser


def _log_in(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").wait_for()


def _one_byte_changed(bundle: bytes, device_path: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    chain = bytearray(files[device_path])
    at = chain.index(b'"started_at_ms":') + len(b'"started_at_ms":')
    chain[at] = ord("1") if chain[at] != ord("1") else ord("2")
    files[device_path] = bytes(chain)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_auditor_sees_the_heatmap_downloads_and_verifies_the_bundle(
    live_app: LiveApp, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    campaign_id = campaign_with_plays(live_app.services)
    _log_in(page, live_app.url, "auditor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Auditor").click()
    expect(page.get_by_role("heading", name="Auditor")).to_be_visible()
    page.get_by_role("link", name="Audited").first.click()
    expect(page.get_by_role("heading", name="Compliance by location and day")).to_be_visible()
    # plotly.js (loaded from this server) replaced the div's content with its SVG.
    heatmap = page.locator("#compliance-heatmap")
    expect(heatmap.locator("svg.main-svg").first).to_be_attached()
    expect(heatmap.locator(".heatmaplayer")).to_have_count(1)
    assert page.evaluate("typeof Plotly") == "object"

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Plays (CSV)").click()
    csv_path = tmp_path / "plays.csv"
    csv_download.value.save_as(csv_path)
    data = csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\nTOTAL," in data

    with page.expect_download() as zip_download:
        page.get_by_role("link", name="Evidence bundle (zip)").click()
    bundle = tmp_path / "evidence.zip"
    zip_download.value.save_as(bundle)
    assert zip_download.value.suggested_filename == f"campaign-{campaign_id}-evidence.zip"

    runner = CliRunner()
    accepted = runner.invoke(cli, ["verify", str(bundle)])
    assert accepted.exit_code == 0, accepted.output
    with zipfile.ZipFile(bundle) as archive:
        (chain,) = [n for n in archive.namelist() if n.endswith("chain.jsonl")]
    changed = tmp_path / "changed.zip"
    changed.write_bytes(_one_byte_changed(bundle.read_bytes(), chain))
    refused = runner.invoke(cli, ["verify", str(changed)])
    assert refused.exit_code == 1
    assert f"file hash mismatch: {chain}" in refused.output
    assert "altered record" in refused.output
