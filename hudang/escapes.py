"""Text that cannot be encoded as UTF-8 — undecodable bytes of a file name, a lone surrogate escaped in
JSON (``"\\udc00"``) — made printable: the bytes shown escaped, never dropped and never a crash later.
A file name's control characters (newline, carriage return, tab, terminal escapes) and bidirectional
overrides (U+202E shows ``gnp.json`` as ``nosj.png``) are shown escaped too, wherever a name is shown:
terminal, log, quarantine report, web."""

from __future__ import annotations

import os
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls, DEL, line/paragraph separators, and the bidirectional marks, embeddings, overrides
# and isolates: each shown as its escape (\\n, \\x1b, \\u202e) in a name or a log line.
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """Each control or bidirectional-override character as its escape; the rest unchanged."""
    return CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def escape_surrogates(text: str) -> str:
    """Each lone surrogate as the text ``\\udc00`` (a backslash and its code), the rest unchanged."""
    if not has_surrogates(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def printable_name(name: str) -> str:
    """A file name as shown and stored: bytes that are not UTF-8 (kept by Python as surrogates) as ``\\xb2``,
    control and bidirectional-override characters as their escapes (``\\r``, ``\\x1b``, ``\\u202e``)."""
    if has_surrogates(name):
        try:
            name = os.fsencode(name).decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # surrogates that are not escaped bytes
            name = escape_surrogates(name)
    return escape_controls(name)


def name_bytes(name: str) -> str | None:
    """The name's bytes in hex when it is shown escaped (not UTF-8, or with control characters), so the
    original can be told exactly; else None."""
    if not has_surrogates(name):
        return os.fsencode(name).hex() if CONTROLS.search(name) else None
    try:
        return os.fsencode(name).hex()
    except UnicodeEncodeError:
        return None


def escape_all(value: Any) -> Any:
    """``escape_surrogates`` through a JSON-like value, keys included."""
    if isinstance(value, str):
        return escape_surrogates(value)
    if isinstance(value, dict):
        return {escape_all(k): escape_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [escape_all(v) for v in value]
    return value
