"""One exception hierarchy for hudang.

Policy (after pypdf's): code raises a `HudangError` subclass when it cannot do what was asked;
a problem with one *document* is never raised past the pipeline runner, which turns it into a
quarantine outcome; warnings about a document travel in its outcome, not through `warnings`.
Only `pipeline.cli.main()` turns errors into exit codes and printed messages.
Messages are written for the archivist, in Simplified Chinese, and never hold a full ID or phone.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


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


class FormInvalid(UsageError):
    """A form entered by hand (the web's 新建 page, `record edit`, an action on a record) failed the intake's
    checks; ``fields`` holds each failing field's message (masked), for showing beside the field. Nothing was
    filed."""

    code = "invalid_form"

    def __init__(self, fields: dict[str, str], *, general: list[str] | None = None) -> None:
        self.fields = dict(fields)
        self.general = list(general or [])
        super().__init__("；".join([*(f"{k}：{v}" for k, v in self.fields.items()), *self.general]))


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


class BackupError(HudangError):
    """A backup destination or generation cannot be written or read as it must."""

    code = "backup"


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


class Rejection(HudangError):
    """An intake item leaves the pipeline early with this outcome status (quarantined, duplicate, ignored).

    Raised by intake stages and turned into the item's outcome by the runner; never raised past it."""

    def __init__(self, status: str, problems: list[Problem], **detail: object) -> None:
        super().__init__(problems[0].message if problems else status, code=status)
        self.status = status
        self.problems = problems
        self.detail = detail

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Rejections travel back from reader worker processes.
        return (_rebuild_rejection, (self.status, self.problems, self.detail))


def _rebuild_rejection(status: str, problems: list[Problem], detail: dict[str, object]) -> Rejection:
    return Rejection(status, problems, **detail)


class _Sourced(Protocol):
    source: str


def disk_full(exc: BaseException) -> bool:
    """The file system under the data home is full (or over quota), whoever noticed: the OS or SQLite."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    name = type(exc).__name__
    text = str(exc).lower()
    return name in ("OperationalError", "DatabaseError") and ("disk is full" in text or "disk full" in text)


def disk_full_message(exc: BaseException) -> str:
    """What the archivist reads when the disk filled up: where, and what to do."""
    where = getattr(exc, "filename2", None) or getattr(exc, "filename", None)
    place = f"（写入 {where} 时）" if where else ""
    return f"磁盘空间不足：数据目录所在的磁盘已写满{place}。请清理磁盘或扩容后重新运行，未完成的文件会接着处理"


_OS_REASONS = {
    errno.ENOENT: "文件不存在（已被移走或删除）",
    errno.EACCES: "没有读取权限",
    errno.EPERM: "没有读取权限",
    errno.ENAMETOOLONG: "路径或文件名过长（超过系统上限：路径 4096 字节、文件名 255 字节）",
    errno.ELOOP: "符号链接层数过多或成环",
    errno.EIO: "磁盘读写错误（介质或网络存储故障？）",
    errno.EISDIR: "是文件夹，不是文件",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.ESTALE: "网络存储上的文件已失效（被别处移走或改名）",
    errno.ENXIO: "设备不存在",
    errno.EROFS: "所在的文件系统是只读的（只读挂载，或共享未给写权限）",
    errno.ENOSPC: "磁盘已写满",
    errno.EDQUOT: "超出磁盘配额",
}


def os_reason(exc: OSError) -> str:
    """Why a file or folder could not be read, in Chinese (the system's text only for a rare error)."""
    return _OS_REASONS.get(exc.errno or 0) or (exc.strerror or str(exc))


def reason(exc: BaseException) -> str:
    """An error's message for the archivist: our own, or a full disk said in Chinese."""
    if disk_full(exc):
        return disk_full_message(exc)
    return getattr(exc, "message", None) or str(exc)


class IngestStopped(HudangError):
    """Filing stopped part-way; carries the outcomes already reached so none is lost from view."""

    code = "ingest_stopped"

    def __init__(self, cause: BaseException, outcomes: Sequence[Any], items: Iterable[_Sourced]) -> None:
        reported = {o.source for o in outcomes}
        waiting = [i.source for i in items if i.source not in reported]
        super().__init__(f"归档中止：{reason(cause)}。已处理的文件结果如上；"
                         f"其余 {len(waiting)} 个文件未归档，可原样重新接收",
                         code="disk_full" if disk_full(cause) else "ingest_stopped")
        self.outcomes = list(outcomes)
        self.waiting = waiting
