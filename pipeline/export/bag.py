"""The ZIP in BagIt layout (RFC 8493, the `bagit` package): the payload under ``data/``, ``bag-info.txt``,
``manifest-sha256.txt`` and a tag manifest, so the receiver can prove nothing changed on the way."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import bagit


def write_bag(dest_zip: Path, name: str, payload: dict[str, Path | bytes], info: dict[str, str]) -> Path:
    """``payload`` maps a path under ``data/`` to a file (copied) or bytes; the ZIP holds ``<name>/…``."""
    dest_zip.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hudang-bag-", dir=dest_zip.parent) as scratch:
        root = Path(scratch) / name
        root.mkdir()
        for rel, content in payload.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                shutil.copyfile(content, target)
        bagit.make_bag(str(root), info, checksums=["sha256"])
        tmp = dest_zip.with_name(f".{dest_zip.name}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{name}/{path.relative_to(root).as_posix()}")
        os.replace(tmp, dest_zip)
    return dest_zip


def validate_zip(zip_path: Path) -> None:
    """Unpack and validate (raises `bagit.BagValidationError` on a changed, missing or extra file)."""
    with tempfile.TemporaryDirectory(prefix="hudang-bagcheck-") as scratch, zipfile.ZipFile(zip_path) as zf:
        zf.extractall(scratch)
        (top,) = [p for p in Path(scratch).iterdir() if p.is_dir()]
        bagit.Bag(str(top)).validate()
