"""One exception hierarchy for hudang.

Policy (after pypdf's): code raises a `HudangError` subclass when it cannot do what was asked;
a problem with one *document* is never raised past the pipeline runner, which turns it into a
quarantine outcome; warnings about a document travel in its outcome, not through `warnings`.
Only `pipeline.cli.main()` turns errors into exit codes and printed messages.
Messages are written for the archivist, in Simplified Chinese, and never hold a full ID or phone.
"""

from __future__ import annotations

from dataclasses import dataclass


class HudangError(Exception):
    """Root of every error hudang raises on purpose."""

    code = "error"
    exit_status = 1

    def __init__(self, message: str, *, code: str | None = None, path: str | None = None,
                 household: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.path = path
        self.household = household
        self.field = field


class UsageError(HudangError):
    """Wrong use of a command (exit status 2)."""

    code = "usage"
    exit_status = 2


class ConfigError(HudangError):
    code = "config"


class NotFound(HudangError):
    code = "not_found"


class ValueProblem(HudangError):
    """A single value failed to parse or check; the validator attaches the field name."""

    code = "bad_value"


class UnreadableFile(HudangError):
    """An intake file could not be read at all (empty, truncated, encrypted, a bomb, wrong type)."""

    code = "unreadable"


class ToolMissing(HudangError):
    """A system tool (LibreOffice, Tesseract) is not installed; the message names what to install."""

    code = "tool_missing"


class LockBusy(HudangError):
    """Another process holds a data home's lock (the writer, the watch service, a letters run)."""

    code = "locked"


class ReportError(HudangError):
    """A report could not be written or issued (no PDF, an issued edition already there)."""

    code = "report"


class IntegrityError(HudangError):
    """The archive disagrees with its manifest or with itself."""

    code = "integrity"


class SearchIndexError(HudangError):
    """The search index failed (locked, corrupt, counts disagree): a later step, never a filing failure."""

    code = "index"


class IndexOutdated(SearchIndexError):
    code = "index_outdated"


class QueryError(UsageError):
    """A malformed search query (exit status 2)."""

    code = "bad_query"


@dataclass(frozen=True)
class Problem:
    """One problem found in a document: which field, a stable code, a Chinese message."""

    field: str | None
    code: str
    message: str

    def as_json(self) -> dict[str, str | None]:
        return {"field": self.field, "code": self.code, "message": self.message}
