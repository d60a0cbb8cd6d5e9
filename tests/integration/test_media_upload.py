"""The media library: what uploads are stored, what is refused, and that refusals leave nothing."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from signage.adapters.media_inspect import open_image_normalised
from signage.adapters.media_store import MediaStore, StagedUpload
from signage.domain.assets import AssetKind, RefusalCode, UploadRefusedError, sanitise_filename
from tests.integration import media_samples as samples

MAX_BYTES = 5_000_000


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every video sample, made once per module with ffmpeg."""
    work = tmp_path_factory.mktemp("video-samples")
    return {
        "h264.mp4": samples.mp4_h264(work),
        "vp9.webm": samples.webm_vp9(work),
        "av1.webm": samples.webm_av1(work),
        "vp9.mp4": samples.mp4_vp9(work),
        "vp9.mkv": samples.mkv_vp9(work),
        "audio.mp4": samples.mp4_audio_only(work),
        "truncated.mp4": samples.truncated_mp4(work),
    }


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


def files_under(root: Path) -> list[Path]:
    """Every file below `root`, temp directory included."""
    return sorted(Path(d) / f for d, _, names in os.walk(root) for f in names)


def upload(store: MediaStore, data: bytes, name: str, max_bytes: int = MAX_BYTES) -> StagedUpload:
    return store.receive(io.BytesIO(data), max_bytes, name)


def refusal(
    store: MediaStore, data: bytes, name: str, max_bytes: int = MAX_BYTES
) -> UploadRefusedError:
    with pytest.raises(UploadRefusedError) as caught:
        upload(store, data, name, max_bytes)
    assert_names_no_server_path(caught.value, store.root)
    return caught.value


def assert_names_no_server_path(error: UploadRefusedError, root: Path) -> None:
    """A refusal is shown to whoever uploaded: it names no folder or staging file of ours."""
    for text in (error.reason, str(error)):
        assert str(root) not in text
        assert str(root.resolve()) not in text
        assert ".part" not in text
        assert "upload-" not in text


# ---- accepted uploads ----


@pytest.mark.parametrize(
    ("make", "name", "mime", "ext"),
    [
        (samples.jpeg, "photo.jpg", "image/jpeg", "jpg"),
        (samples.png, "logo.png", "image/png", "png"),
        (samples.webp, "photo.webp", "image/webp", "webp"),
        (samples.png, "logo.jpg", "image/png", "png"),  # the name lies; the content decides
    ],
)
def test_clean_image_is_stored_byte_for_byte_under_its_hash(
    store: MediaStore, make: Callable[[], bytes], name: str, mime: str, ext: str
) -> None:
    data = make()
    info, created = store.commit(upload(store, data, name))

    sha = hashlib.sha256(data).hexdigest()
    assert created
    assert (info.sha256, info.kind, info.mime, info.extension) == (sha, AssetKind.IMAGE, mime, ext)
    assert (info.width, info.height, info.byte_size) == (64, 48, len(data))
    assert info.duration_ms is None
    assert info.codec is None
    stored = store.root / sha[:2] / sha[2:4] / f"{sha}.{ext}"
    assert stored == store.path_for(sha, ext)
    assert stored.read_bytes() == data
    with Image.open(store.thumbnail_path(sha)) as thumb:
        assert thumb.format == "JPEG"
    assert files_under(store.tmp_dir) == []


def test_path_in_the_file_name_is_kept_as_display_name_only(
    store: MediaStore, tmp_path: Path
) -> None:
    staged = upload(store, samples.jpeg(), "../../etc/passwd.jpg")
    info, _ = store.commit(staged)

    assert staged.display_name == "passwd.jpg"
    assert not (tmp_path / "etc").exists()
    assert [p for p in files_under(tmp_path) if store.root not in p.parents] == []
    assert store.path_for(info.sha256, "jpg").is_file()


def test_same_bytes_twice_give_one_asset(store: MediaStore) -> None:
    data = samples.jpeg()
    first, created_first = store.commit(upload(store, data, "a.jpg"))
    second, created_second = store.commit(upload(store, data, "b.jpg"))

    assert (created_first, created_second) == (True, False)
    assert first == second
    assert len([p for p in files_under(store.root) if p.suffix == ".jpg"]) == 2  # asset + thumb
    assert files_under(store.tmp_dir) == []


def test_exif_orientation_6_is_stored_upright(store: MediaStore) -> None:
    data = samples.jpeg_exif_orientation_6()
    staged = upload(store, data, "phone.jpg")
    info, _ = store.commit(staged)

    assert staged.normalised
    assert staged.upload_sha256 == hashlib.sha256(data).hexdigest()
    assert (info.width, info.height, info.mime) == (20, 40, "image/jpeg")
    stored = store.path_for(info.sha256, "jpg")
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == info.sha256
    with Image.open(stored) as image:
        assert image.size == (20, 40)
        assert image.getexif().get(0x0112) in (None, 1)
        top, bottom = image.getpixel((10, 5)), image.getpixel((10, 35))
    assert top[0] > 200
    assert top[2] < 60
    assert bottom[2] > 200
    assert bottom[0] < 60
    # Normalising is deterministic, so the same photo again is still one asset.
    assert store.commit(upload(store, data, "again.jpg")) == (info, False)


def test_cmyk_jpeg_is_stored_as_rgb_jpeg(store: MediaStore) -> None:
    info, _ = store.commit(upload(store, samples.cmyk_jpeg(), "print.jpg"))

    assert (info.mime, info.width, info.height) == ("image/jpeg", 40, 30)
    with Image.open(store.path_for(info.sha256, "jpg")) as image:
        assert image.mode == "RGB"
        red, green, blue = image.getpixel((5, 5))
    assert red > 200
    assert green < 60
    assert blue < 60


def test_16_bit_png_is_stored_as_scaled_8_bit(store: MediaStore) -> None:
    info, _ = store.commit(upload(store, samples.png_16bit(), "scan.png"))

    assert info.mime == "image/png"
    with Image.open(store.path_for(info.sha256, "png")) as image:
        assert image.mode == "L"
        assert image.getpixel((5, 5)) == 255
        assert image.getpixel((30, 5)) == 128  # scaled, not clipped to 255


def test_renderer_helper_opens_images_upright_in_rgb(tmp_path: Path) -> None:
    path = tmp_path / "raw.jpg"
    path.write_bytes(samples.jpeg_exif_orientation_6())
    cmyk = tmp_path / "cmyk.jpg"
    cmyk.write_bytes(samples.cmyk_jpeg())

    upright = open_image_normalised(path)
    assert (upright.mode, upright.size) == ("RGB", (20, 40))
    assert open_image_normalised(cmyk).mode == "RGB"


@pytest.mark.parametrize(
    ("sample", "name", "mime", "codec"),
    [("h264.mp4", "clip.mp4", "video/mp4", "h264"), ("vp9.webm", "clip.webm", "video/webm", "vp9")],
)
def test_video_is_probed_and_stored(
    store: MediaStore, videos: dict[str, bytes], sample: str, name: str, mime: str, codec: str
) -> None:
    data = videos[sample]
    info, created = store.commit(upload(store, data, name))

    assert created
    assert (info.kind, info.mime, info.codec) == (AssetKind.VIDEO, mime, codec)
    assert (info.width, info.height, info.fps) == (160, 90, 10.0)
    assert info.duration_ms is not None
    assert abs(info.duration_ms - 2000) <= 100
    assert store.path_for(info.sha256, info.extension).read_bytes() == data
    with Image.open(store.thumbnail_path(info.sha256)) as thumb:
        assert (thumb.format, thumb.size) == ("JPEG", (160, 90))


def test_rendered_video_is_adopted_and_generated_bytes_put(
    store: MediaStore, videos: dict[str, bytes], tmp_path: Path
) -> None:
    finished = tmp_path / "render-out.mp4"
    finished.write_bytes(videos["h264.mp4"])

    info, created = store.commit(store.adopt(finished))
    assert (info.kind, created, finished.exists()) == (AssetKind.RENDERED, True, False)
    again, created = store.commit(store.put_bytes(videos["h264.mp4"]))
    assert (again.sha256, created) == (info.sha256, False)


# ---- refusals: each with its code, and nothing left behind ----

REFUSED_IMAGES = [
    ("truncated", samples.truncated_jpeg, "photo.jpg", RefusalCode.UNDECODABLE, 422),
    (
        "bomb-30000x30000",
        lambda: samples.png_header_claiming(30_000, 30_000),
        "bomb.png",
        RefusalCode.TOO_MANY_PIXELS,
        422,
    ),
    ("empty", lambda: b"", "empty.jpg", RefusalCode.EMPTY, 422),
    (
        "text-as-mp4",
        lambda: b"hello, not a video\n" * 20,
        "x.mp4",
        RefusalCode.UNSUPPORTED_TYPE,
        415,
    ),
    ("animated-webp", samples.animated_webp, "anim.webp", RefusalCode.UNSUPPORTED_TYPE, 415),
]


@pytest.mark.parametrize(
    ("make", "name", "code", "status"),
    [case[1:] for case in REFUSED_IMAGES],
    ids=[case[0] for case in REFUSED_IMAGES],
)
def test_bad_image_is_refused_and_leaves_nothing(
    store: MediaStore, make: Callable[[], bytes], name: str, code: RefusalCode, status: int
) -> None:
    error = refusal(store, make(), name)

    assert (error.code, error.http_status) == (code, status)
    assert error.reason
    assert files_under(store.root) == []


@pytest.mark.parametrize(
    ("sample", "code", "words"),
    [
        ("audio.mp4", RefusalCode.NO_VIDEO_STREAM, "no video stream"),
        ("truncated.mp4", RefusalCode.UNDECODABLE, "does not open"),
        ("av1.webm", RefusalCode.UNSUPPORTED_TYPE, "av1"),
        ("vp9.mp4", RefusalCode.UNSUPPORTED_TYPE, "vp9"),
        ("vp9.mkv", RefusalCode.UNSUPPORTED_TYPE, "Matroska"),
    ],
)
def test_bad_video_is_refused_and_leaves_nothing(
    store: MediaStore, videos: dict[str, bytes], sample: str, code: RefusalCode, words: str
) -> None:
    error = refusal(store, videos[sample], sample)

    assert error.code == code
    assert words in error.reason
    assert files_under(store.root) == []


def test_oversized_upload_is_refused_while_streaming(store: MediaStore) -> None:
    class Endless(io.RawIOBase):
        """A client that never stops sending."""

        reads = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            self.reads += 1
            buffer[:] = b"\xff" * len(buffer)
            return len(buffer)

    stream = Endless()
    with pytest.raises(UploadRefusedError) as caught:
        store.receive(stream, 3_000_000, "huge.jpg")  # type: ignore[arg-type]

    assert (caught.value.code, caught.value.http_status) == (RefusalCode.TOO_LARGE, 413)
    assert stream.reads <= 4  # 1 MiB chunks: it stopped just past the limit
    assert files_under(store.root) == []


def test_image_over_the_pixel_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media", max_pixels=1_000_000)

    error = refusal(store, samples.png_header_claiming(2000, 2000), "big.png")
    assert error.code == RefusalCode.TOO_MANY_PIXELS
    assert "2000×2000" in error.reason
    # Above Pillow's own warning threshold too (a warning is an error under pytest).
    error = refusal(store, samples.png_header_claiming(10_000, 10_000), "bigger.png")
    assert error.code == RefusalCode.TOO_MANY_PIXELS
    assert files_under(store.root) == []


def test_probe_that_runs_out_of_time_is_refused(tmp_path: Path, videos: dict[str, bytes]) -> None:
    store = MediaStore(tmp_path / "media", probe_timeout_s=0.01)

    error = refusal(store, videos["h264.mp4"], "slow.mp4")
    assert (error.code, error.http_status) == (RefusalCode.PROBE_TIMEOUT, 422)
    assert files_under(store.root) == []


def test_staged_upload_discarded_after_a_database_failure_leaves_nothing(
    store: MediaStore,
) -> None:
    staged = upload(store, samples.jpeg(), "photo.jpg")
    assert staged.path.is_file()

    store.discard(staged)  # what the service does when the row insert fails
    store.discard(staged)
    assert files_under(store.root) == []


def test_stale_temp_files_are_cleaned_up(store: MediaStore) -> None:
    staged = upload(store, samples.jpeg(), "photo.jpg")
    old = store.tmp_dir / "upload-crashed.part"
    old.write_bytes(b"half an upload")
    long_ago = (datetime.now(UTC) - timedelta(hours=30)).timestamp()
    os.utime(old, (long_ago, long_ago))

    assert store.cleanup_stale(timedelta(hours=24)) == 1
    assert not old.exists()
    assert staged.path.exists()


def test_asset_paths_refuse_anything_but_a_hash(store: MediaStore) -> None:
    with pytest.raises(ValueError, match="not an asset"):
        store.path_for("../../etc/passwd", "jpg")
    with pytest.raises(ValueError, match="not an asset"):
        store.path_for("a" * 64, "sh")
    with pytest.raises(ValueError, match="not an asset"):
        store.thumbnail_path("A" * 64)


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\Ann\\Desktop\\plakat.png", "plakat.png"),
        ("evil\u202egpj.exe", "evilgpj.exe"),  # a right-to-left override hiding the extension
        ("line\nbreak\x00.jpg", "linebreak.jpg"),
        ("..", "upload"),
        ("", "upload"),
        ("Шиканҷа " + "я" * 300 + ".webp", "Шиканҷа " + "я" * 107 + ".webp"),
    ],
)
def test_display_name_is_sanitised(given: str, shown: str) -> None:
    assert sanitise_filename(given) == shown
