"""Text that cannot be encoded as UTF-8 — undecodable bytes of a file name, a lone surrogate escaped in
JSON (``"\\udc00"``) — made printable: the bytes shown escaped, never dropped and never a crash later."""

from __future__ import annotations

import os
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def escape_surrogates(text: str) -> str:
    """Each lone surrogate as the text ``\\udc00`` (a backslash and its code), the rest unchanged."""
    if not has_surrogates(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def printable_name(name: str) -> str:
    """A file name as shown and stored: bytes that are not UTF-8 (kept by Python as surrogates) as ``\\xb2``."""
    if not has_surrogates(name):
        return name
    try:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # surrogates that are not escaped bytes
        return escape_surrogates(name)


def name_bytes(name: str) -> str | None:
    """The name's bytes in hex when they are not UTF-8 (so the original can be told exactly), else None."""
    if not has_surrogates(name):
        return None
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
