"""Words that name a place that is no household: a complaint about the lobby or from a visitor.

The one list of them; a form definition says ``public_rooms = true`` to accept these, or lists its own.
"""

from __future__ import annotations

PUBLIC_WORDS: tuple[str, ...] = ("公共区域", "公共", "访客")
