"""Attached documents (permit letters) filed by SHA-256 under the media root.

Layout: `docs/<aa>/<bb>/<sha256>.<ext>`, written through `tmp/` and placed
atomically like media assets (see media_store.py): a row never lacks its file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from signage.adapters.media_store import (
    FILE_MODE,
    TMP_DIR,
    _fsync_dir,
    _makedirs_durable,
    _place,
)
from signage.domain.assets import is_sha256
from signage.domain.campaigns import DOCUMENT_EXTENSIONS

DOCS_DIR = "docs"


class DocumentStore:
    """Content-addressed document files under one root."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str, ext: str) -> Path:
        """Where the document with this hash lives; refuses anything but a known address."""
        if not is_sha256(sha256) or ext not in DOCUMENT_EXTENSIONS.values():
            raise ValueError(f"not a document address: {sha256!r}.{ext!r}")
        return self.root / DOCS_DIR / sha256[:2] / sha256[2:4] / f"{sha256}.{ext}"

    def put(self, data: bytes, sha256: str, ext: str) -> Path:
        """Write the bytes at their address; the same bytes twice keep one file."""
        final = self.path_for(sha256, ext)
        tmp_dir = self.root / TMP_DIR
        self.root.mkdir(parents=True, exist_ok=True)
        _makedirs_durable(tmp_dir, self.root)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="doc-", suffix=".part")
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), FILE_MODE)
                os.fsync(handle.fileno())
            _makedirs_durable(final.parent, self.root)
            _place(temp, final)
            _fsync_dir(final.parent)
        finally:
            temp.unlink(missing_ok=True)
        return final
