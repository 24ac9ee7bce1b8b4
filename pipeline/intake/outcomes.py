"""Typed outcomes with stable codes, used alike in JSON, logs, quarantine reports and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hudang.forms.masking import mask_name

if TYPE_CHECKING:
    from hudang.archive.store import Filing

FILED = "filed"
PARTIAL = "partial"
QUARANTINED = "quarantined"
DUPLICATE = "duplicate"
UNSORTED = "unsorted"
IMPORTED = "imported"
IGNORED = "ignored"
PREVIEW = "preview"   # `ingest --dry-run`: what filing would do, nothing written

STATUS_TEXT = {
    FILED: "已归档", PARTIAL: "部分归档", QUARANTINED: "已隔离", DUPLICATE: "重复文件",
    UNSORTED: "待分拣", IMPORTED: "已导入", IGNORED: "已忽略", PREVIEW: "试导入（未写入）",
}


@dataclass
class RowOutcome:
    row: int
    status: str
    household: str | None = None
    record_id: str | None = None
    version: int | None = None
    archive_no: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "status": self.status, "household": self.household,
                "record_id": self.record_id, "version": self.version, "archive_no": self.archive_no,
                "errors": self.errors, "warnings": self.warnings}


@dataclass
class Outcome:
    source: str
    status: str
    form: str | None = None
    household: str | None = None
    record_id: str | None = None
    version: int | None = None
    archive_no: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    rows: list[RowOutcome] | None = None
    kind: str | None = None            # roster / ledger / reminders for imports
    row_count: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)  # quarantine id, duplicate_of, moved_from …

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            # file names often carry a phone number
            "source": mask_name(self.source), "status": self.status, "form": self.form, "household": self.household,
            "record_id": self.record_id, "version": self.version, "archive_no": self.archive_no,
            "errors": self.errors, "warnings": self.warnings,
        }
        if self.rows is not None:
            data["rows"] = [r.as_json() for r in self.rows]
        if self.kind is not None:
            data["kind"] = self.kind
            if self.rows is not None:   # an owner list: each row's registration
                data["row_outcomes"] = data["rows"]
            data["rows"] = self.row_count or 0
        data.update(self.detail)
        return data


@dataclass
class Taken:
    """What a writer stage made of one item: its outcome, and the filings that wait for the group commit.

    With no filings the outcome is reported at once. A single form's outcome is its one filing's; it is
    reported once the group commit made it durable. A batch (``rows``) reports after its rows' commit."""

    outcome: Outcome
    filings: list[tuple[Filing, Outcome | RowOutcome]] = field(default_factory=list)
    rows: bool = False      # a batch: one row outcome per filing, the file's outcome after the commit
    known: bool = False     # a batch file filed before: its rows are a resume, or the whole file a duplicate
