"""The items waiting for an archivist (quarantine entries, unsorted scans) and the estate each one names.

An item belongs to no estate until it is filed; the estate it *names* decides who sees it (issue 13): people
without an estate limit see every item, an archivist limited to estates sees the items naming one of them.
The one rule for "names an estate": the import table's estate, the scan's QR code household, else the first
known estate name (or alias) found in the file name, the report's messages or the OCR text.
"""

from __future__ import annotations

from typing import Any

from hudang.pipeline.app.session import Session


def _spellings(session: Session) -> list[tuple[str, str]]:
    out = []
    for row in session.archive.estates.names():
        out.append((row["name"], row["name"]))
        out.extend((alias, row["name"]) for alias in (row["aliases"] or "").split("、") if len(alias) >= 2)
    return sorted(out, key=lambda s: -len(s[0]))   # the longest spelling first


def _named(session: Session, texts: list[str]) -> str | None:
    spellings = _spellings(session)
    for text in texts:
        low = (text or "").lower()
        for spelled, name in spellings:
            if spelled.lower() in low:
                return name
    return None


def quarantine_estate(session: Session, entry: dict[str, Any]) -> str | None:
    table = entry.get("table") or {}
    if table.get("estate"):
        return session.archive.estates.resolve(str(table["estate"])) or str(table["estate"])
    texts = [str(entry.get("source") or "")]
    texts += [str(p.get("message") or "") + str(p.get("value") or "") for p in entry.get("problems") or []]
    return _named(session, texts)


def scan_estate(session: Session, scan: dict[str, Any]) -> str | None:
    household = (scan.get("qr") or {}).get("household")
    if household:
        return str(household).partition("/")[0]
    return _named(session, [str(scan.get("source") or ""), *[str(t) for t in scan.get("text") or []]])
