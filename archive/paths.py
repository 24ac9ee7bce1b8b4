"""Every path inside the archive comes from here; nothing else joins user text into a path.

Layout (all under ``<home>/archive``)::

    estates/<estate>/_estate/<NNNN>/            estate definition units (create, aliases)
    estates/<estate>/<household>/<档号>/v<N>/    a record's versions
    estates/<estate>/<household>/<档号>/a<NNN>/  its attachments
    estates/<estate>/<household>/<档号>/e<NNN>/  its events (move, void)
    estates/<estate>/<household>/_household/e<NNN>/  the household's own events (迁出, 借阅 and its return)
    imports/<YYYY>/<import id>/                  rosters, fee ledgers, reminder logs, batch files
    fixity.log                                   append-only: manifest hash per unit

Every leaf folder above is a *unit*: written once, atomically, with a MANIFEST.sha256.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from hudang.escapes import printable_name

MAX_COMPONENT_BYTES = 120
HOUSEHOLD_EVENTS = "_household"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def safe_component(text: str, *, fallback: str = "_") -> str:
    """Make user text one safe path component: no separators, no control characters,
    no leading dots (so no ``..``), bounded length in UTF-8 bytes. Bytes that are not UTF-8 (a GBK name
    from a zip) are kept escaped (``\\xb2`` → ``_xb2``), never a crash."""
    cleaned = unicodedata.normalize("NFC", printable_name(text))
    cleaned = _UNSAFE.sub("_", cleaned).strip().lstrip(".").strip()
    cleaned = re.sub(r"\s+", " ", cleaned)
    if not cleaned:
        return fallback
    encoded = cleaned.encode("utf-8")
    if len(encoded) > MAX_COMPONENT_BYTES:
        stem, dot, ext = cleaned.rpartition(".")
        keep_ext = f".{ext}" if dot and 0 < len(ext) <= 10 and stem else ""
        budget = MAX_COMPONENT_BYTES - len(keep_ext.encode("utf-8"))
        cut = (stem if keep_ext else cleaned).encode("utf-8")[:budget].decode("utf-8", "ignore")
        cleaned = cut + keep_ext
    return cleaned


def safe_filename(name: str) -> str:
    return safe_component(Path(name.replace("\\", "/")).name or name, fallback="file")


class Layout:
    """Paths of one archive folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def estates(self) -> Path:
        return self.root / "estates"

    @property
    def staging(self) -> Path:
        return self.root / ".staging"

    @property
    def fixity_log(self) -> Path:
        return self.root / "fixity.log"

    def estate(self, estate: str) -> Path:
        return self.estates / safe_component(estate)

    def estate_units(self, estate: str) -> Path:
        return self.estate(estate) / "_estate"

    def household(self, estate: str, key: str) -> Path:
        return self.estate(estate) / safe_component(key)

    def household_events(self, estate: str, key: str) -> Path:
        """Events of the household itself, not of one record (a 档号 never starts with ``_``)."""
        return self.household(estate, key) / HOUSEHOLD_EVENTS

    def record(self, estate: str, key: str, archive_no: str) -> Path:
        return self.household(estate, key) / safe_component(archive_no)

    def imports(self, year: int, import_id: str) -> Path:
        return self.root / "imports" / f"{year:04d}" / safe_component(import_id)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()
