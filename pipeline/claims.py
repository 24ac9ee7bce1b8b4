"""Claim, then file: the intake service owns a dropped file only once it has renamed it away.

A claim is a folder ``<intake>/.processing/<claim id>/`` holding ``claim.json`` (written and synced
first) and then the file itself, moved there by one atomic rename on the intake folder's own file
system (also on a network share). After the record is durable the file moves on to
``<intake>/.done/YYYY-MM-DD/`` (or is removed, per config). At start-up every claim left by a
killed service is finished (the file is still in its claim) or rolled back (it never arrived).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from hudang.archive.durable import fsync_dir, write_bytes
from hudang.archive.paths import safe_filename
from hudang.clock import now, stamp

PROCESSING = ".processing"
DONE = ".done"


@dataclass(frozen=True)
class Claim:
    id: str
    folder: Path
    file: Path          # the claimed file, inside the claim folder
    origin: Path        # where it was dropped
    size: int = -1      # size and mtime when claimed (to notice a writer still at work)
    mtime: float = 0.0

    @property
    def relative(self) -> str:
        return str(self.origin)


def _claim_root(intake: Path) -> Path:
    root = intake / PROCESSING
    root.mkdir(parents=True, exist_ok=True)
    return root


def claim(intake: Path, path: Path, size: int = -1, mtime: float = 0.0) -> Claim | None:
    """Take ``path`` away from the intake folder; None if it is gone (moved or taken by someone else)."""
    cid = uuid.uuid4().hex[:16]
    folder = _claim_root(intake) / cid
    folder.mkdir()
    rel = path.relative_to(intake).as_posix()
    # ensure_ascii: a name that is not valid UTF-8 (surrogate-escaped) still round-trips
    write_bytes(folder / "claim.json", json.dumps({"id": cid, "origin": rel, "at": stamp(),
                                                   "size": size, "mtime": mtime}).encode("ascii"))
    fsync_dir(folder)
    target = folder / safe_filename(printable(path.name))
    try:
        os.rename(path, target)
    except FileNotFoundError:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    fsync_dir(folder)
    fsync_dir(path.parent)
    return Claim(cid, folder, target, path, size, mtime)


def printable(name: str) -> str:
    """A file name that is not valid UTF-8 shown and kept with replacement characters."""
    return os.fsencode(name).decode("utf-8", "replace")


def changed_since_claim(c: Claim) -> bool:
    """The writer kept writing through its open handle after we claimed the file."""
    try:
        st = os.stat(c.file)
    except OSError:
        return False
    return c.size >= 0 and (st.st_size, st.st_mtime) != (c.size, c.mtime)


def give_back(c: Claim) -> bool:
    """Undo a claim (a file still being written): put it back where it was dropped."""
    if c.origin.exists():
        return False  # someone dropped a new file with that name meanwhile: keep ours claimed
    c.origin.parent.mkdir(parents=True, exist_ok=True)
    os.rename(c.file, c.origin)
    shutil.rmtree(c.folder, ignore_errors=True)
    return True


def release(intake: Path, c: Claim, after_filing: str) -> Path | None:
    """The record is durable: move the file to today's done folder (or remove it), end the claim."""
    kept = None
    if c.file.exists():
        if after_filing == "remove":
            c.file.unlink()
        else:
            day = intake / DONE / now().strftime("%Y-%m-%d")
            day.mkdir(parents=True, exist_ok=True)
            kept = day / c.file.name
            if kept.exists():
                kept = day / f"{now().strftime('%H%M%S')}-{c.id[:6]}-{c.file.name}"
            os.rename(c.file, kept)
    shutil.rmtree(c.folder, ignore_errors=True)
    return kept


def pending(intake: Path) -> list[Claim]:
    """Claims a killed service left: those whose file arrived are returned; the others rolled back."""
    root = intake / PROCESSING
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        try:
            meta = json.loads((folder / "claim.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
        files = [p for p in folder.iterdir() if p.is_file() and p.name != "claim.json"] if folder.is_dir() else []
        if meta is None and not files:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        if not files:  # killed between writing the claim and the rename: the file never left
            shutil.rmtree(folder, ignore_errors=True)
            continue
        origin = intake / (meta["origin"] if meta else files[0].name)
        found.append(Claim(folder.name, folder, files[0], origin))  # size unknown: no re-check
    return found
