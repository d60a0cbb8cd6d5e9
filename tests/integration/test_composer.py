"""The composer end to end on a real database: versions, render queue, cancel, failures."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from signage.domain.creatives import JobStatus
from signage.domain.templates import MissingGlyphsError
from tests.conftest import api_token, build, counts, make_app, make_settings, seed_users

TAJIK_QUOTE = {
    "text": "Ҳеҷ кас набояд ба шиканҷа гирифтор шавад; хомӯшӣ ҳамроҳи ғам нест, қонун ҳаст.",
    "language": "tg",
    "author": "Эъломияи умумии ҳуқуқи башар",
    "author_role": "моддаи 5",
}


@pytest.fixture
def svc(tmp_path: Path, font: str) -> Any:
    services = build(make_settings(tmp_path))
    services.templates.ensure_builtin_templates("test")
    yield services
    services.engine.dispose()


def short_template(svc: Any, name: str, duration: float = 1.0, fps: int = 10) -> int:
    """A copy of the colour-field design with a short clip, for fast real renders."""
    builtin = svc.templates.list_templates()[2].template_id
    changes = {"duration_s": duration, "fps": fps, "fade_in_s": 0.3, "fade_out_s": 0.3}
    return int(svc.templates.copy_template("test", builtin, name, changes).template_id)


def frame_means(path: Path) -> tuple[list[float], Any]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        means = [float(np.asarray(f.to_image()).mean()) for f in container.decode(stream)]
        return means, stream


def test_an_edit_makes_a_new_version_and_a_creative_keeps_the_one_it_shows(svc: Any) -> None:
    quote = svc.quotes.create_quote("staff", TAJIK_QUOTE)
    template = short_template(svc, "Short")
    creative = svc.creatives.create_quote_creative("staff", quote.id, template)
    svc.quotes.edit_quote("staff", quote.id, {**TAJIK_QUOTE, "author_role": "моддаи панҷум"})
    assert [v.version for v in svc.quotes.quote_versions(quote.id)] == [1, 2]
    assert svc.creatives.material(creative).quote.author_role == "моддаи 5"
    newer = svc.creatives.create_quote_creative("staff", quote.id, template)
    assert newer.id != creative.id
    assert svc.creatives.material(newer).quote.author_role == "моддаи панҷум"
    # The same quote version and template version are one creative, not two.
    assert svc.creatives.create_quote_creative("staff", quote.id, template).id == newer.id


def test_two_concurrent_identical_requests_render_once(svc: Any) -> None:
    quote = svc.quotes.create_quote("staff", TAJIK_QUOTE)
    creative = svc.creatives.create_quote_creative("staff", quote.id, short_template(svc, "S"))
    barrier = threading.Barrier(2)
    jobs: list[Any] = []

    def ask() -> None:
        barrier.wait()
        jobs.append(svc.creatives.request_render("staff", creative.id, (320, 180)))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({job.id for job in jobs}) == 1
    assert svc.render_queue.run_until_empty("test") == 1
    assert svc.render_queue.run_until_empty("test") == 0
    (job,) = svc.creatives.render_jobs(creative.id)
    assert job.status is JobStatus.DONE
    assert job.progress == 100
    again = svc.creatives.request_render("staff", creative.id, (320, 180))
    assert (again.id, again.status) == (job.id, JobStatus.DONE)

    path = svc.media.path_of(job.asset_sha256)
    means, stream = frame_means(path)
    assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")
    assert (stream.codec_context.width, stream.codec_context.height) == (320, 180)
    assert len(means) == 10  # 1 s at 10 fps
    middle = means[len(means) // 2]
    assert means[0] < middle * 0.6  # fades in from black
    assert means[-1] < middle * 0.6  # and out to black
    asset = svc.media.get_asset(job.asset_sha256)
    assert asset.info.kind.value == "rendered"
    assert asset.info.duration_ms == pytest.approx(1000, abs=120)


def test_a_queued_job_can_be_cancelled_and_then_never_runs(svc: Any) -> None:
    quote = svc.quotes.create_quote("staff", TAJIK_QUOTE)
    creative = svc.creatives.create_quote_creative("staff", quote.id, short_template(svc, "Q"))
    job = svc.creatives.request_render("staff", creative.id, (320, 180))
    assert svc.creatives.cancel_render("staff", job.id).status is JobStatus.CANCELLED
    assert svc.render_queue.run_until_empty("test") == 0
    # Asking again puts the same job back in the queue.
    assert svc.creatives.request_render("staff", creative.id, (320, 180)).status is JobStatus.QUEUED


def test_a_running_job_stops_at_its_next_progress_report_leaving_no_file(svc: Any) -> None:
    quote = svc.quotes.create_quote("staff", TAJIK_QUOTE)
    template = short_template(svc, "Long", duration=20.0, fps=25)
    creative = svc.creatives.create_quote_creative("staff", quote.id, template)
    job = svc.creatives.request_render("staff", creative.id, (640, 360))
    runner = threading.Thread(target=svc.render_queue.run_next, args=("test",))
    runner.start()
    deadline = time.monotonic() + 60
    while svc.creatives.render_job(job.id).progress < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    svc.creatives.cancel_render("staff", job.id)
    runner.join(timeout=120)
    final = svc.creatives.render_job(job.id)
    assert final.status is JobStatus.CANCELLED
    assert final.asset_sha256 is None
    leftovers = [p for p in svc.media.files.tmp_dir.iterdir() if p.suffix in {".mp4", ".part"}]
    assert leftovers == []


def test_a_failed_render_keeps_its_reason(svc: Any) -> None:
    long_text = "Шиканҷа ҳаргиз раво нест. " * 160
    quote = svc.quotes.create_quote("staff", {**TAJIK_QUOTE, "text": long_text[:1990]})
    creative = svc.creatives.create_quote_creative("staff", quote.id, short_template(svc, "F"))
    job = svc.creatives.request_render("staff", creative.id, (320, 180))
    svc.render_queue.run_until_empty("test")
    failed = svc.creatives.render_job(job.id)
    assert failed.status is JobStatus.FAILED
    assert "legibility minimum" in failed.error
    assert "Shorten the text or choose another template" in failed.error


def test_a_font_without_tajik_letters_refuses_the_request(
    tmp_path: Path, font_without_tajik: Path
) -> None:
    services = build(make_settings(tmp_path, render={"font_file": str(font_without_tajik)}))
    services.templates.ensure_builtin_templates("test")
    quote = services.quotes.create_quote("staff", TAJIK_QUOTE)
    template = services.templates.list_templates()[0].template_id
    creative = services.creatives.create_quote_creative("staff", quote.id, template)
    with pytest.raises(MissingGlyphsError) as excinfo:
        services.creatives.request_render("staff", creative.id, (320, 180))
    message = str(excinfo.value)
    for letter in "ҷӣҳқғӯ":
        assert letter in message
    assert "DejaVuSans-NoTajik" in message
    assert services.creatives.render_jobs(creative.id) == []
    services.engine.dispose()


def test_the_api_refuses_bad_uploads_and_leaves_nothing(svc: Any) -> None:
    seed_users(svc)
    client = make_app(svc).test_client()
    auth = {"Authorization": "Bearer " + api_token(svc, "staff")}
    before = counts(svc)
    cases = [
        (b"just text", "evil.mp4", 415, "unsupported_type"),
        (b"", "empty.png", 422, "empty"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "cut.jpg", 422, "undecodable"),
    ]
    for body, name, status, code in cases:
        response = client.post(f"/api/v1/media?name={name}", headers=auth, data=body)
        assert response.status_code == status, response.data
        assert response.get_json()["error"] == code
    assert counts(svc) == before
    assert svc.media.list_assets() == []
    stored = [p for p in Path(svc.media.files.root).rglob("*") if p.is_file()]
    assert stored == []
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(picture, "PNG")
    first = client.post(
        "/api/v1/media?name=../../etc/passwd.png", headers=auth, data=picture.getvalue()
    )
    assert first.status_code == 201
    assert first.get_json()["original_name"] == "passwd.png"
    again = client.post("/api/v1/media?name=x.png", headers=auth, data=picture.getvalue())
    assert (again.status_code, again.get_json()["created"]) == (200, False)


def test_the_preview_is_drawn_by_the_same_layout_as_the_video(svc: Any) -> None:
    quote = svc.quotes.create_quote("staff", TAJIK_QUOTE)
    template = short_template(svc, "P")
    creative = svc.creatives.create_quote_creative("staff", quote.id, template)
    still = Image.open(io.BytesIO(svc.creatives.creative_preview(creative.id, (320, 180))))
    job = svc.creatives.request_render("staff", creative.id, (320, 180))
    svc.render_queue.run_until_empty("test")
    with av.open(str(svc.media.path_of(svc.creatives.render_job(job.id).asset_sha256))) as video:
        frames = [f.to_image() for f in video.decode(video=0)]
    middle = np.asarray(frames[len(frames) // 2].convert("RGB"), dtype=np.int16)
    difference = np.abs(middle - np.asarray(still.convert("RGB"), dtype=np.int16)).mean()
    assert difference < 6  # H.264 at CRF 20 plus the BT.709 round trip, nothing more


def test_a_job_left_running_by_a_dead_worker_is_rendered_again(svc: Any) -> None:
    from datetime import timedelta

    quote = svc.quotes.create_quote("staff", TAJIK_QUOTE)
    creative = svc.creatives.create_quote_creative("staff", quote.id, short_template(svc, "D"))
    job = svc.creatives.request_render("staff", creative.id, (320, 180))
    with svc.uow_factory() as uow:  # a worker claims it, then is killed
        claimed = uow.render_jobs.claim_next("dead-worker", svc.clock.now() - timedelta(hours=1))
        uow.commit()
    assert claimed is not None
    assert claimed.id == job.id
    assert svc.render_queue.run_until_empty("alive") == 1
    assert svc.creatives.render_job(job.id).status is JobStatus.DONE
