"""Evidence bundles as zip files: packed with fixed timestamps, read back with limits.

Reading never extracts to disk: member names are only keys of a mapping, so a
hostile name (`../x`) cannot write anywhere; sizes are capped against zip bombs.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path

from signage.domain.errors import ValidationError

MAX_MEMBERS = 100_000
MAX_TOTAL_BYTES = 4 * 1024**3
# 1980-01-01: the zip epoch, so the same files always make the same archive bytes.
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class ZipBundles:
    """Packs a bundle's files (path → bytes) into a zip and reads one back."""

    def pack(self, files: Mapping[str, bytes]) -> bytes:
        """The zip's bytes; members sorted, deflated, with fixed timestamps."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[name])
        return buffer.getvalue()


def read_bundle(path: Path) -> dict[str, bytes]:
    """A bundle's files from its zip (ValidationError when it is no readable zip)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > MAX_MEMBERS:
                raise ValidationError("bundle", f"holds more than {MAX_MEMBERS} files")
            if sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
                raise ValidationError("bundle", "unpacks to more than 4 GiB")
            files: dict[str, bytes] = {}
            for member in members:
                if member.filename in files:
                    raise ValidationError("bundle", f"holds {member.filename} twice")
                files[member.filename] = archive.read(member)
            return files
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ValidationError("bundle", f"is not a readable zip file: {exc}") from None
