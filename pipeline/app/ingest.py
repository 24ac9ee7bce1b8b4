"""Taking files in by hand (`hudang ingest`): every file gets one outcome, then the OCR queue gets its turn.

A filing that stops part-way raises `IngestStopped`, which carries the outcomes already reached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.errors import UsageError
from hudang.pipeline.app.session import Session
from hudang.pipeline.intake import stages
from hudang.pipeline.intake.outcomes import Outcome
from hudang.pipeline.intake.runner import ingest as run_ingest
from hudang.pipeline.scans.queue import process_if_possible
from hudang.pipeline.service.status import service_running


@dataclass(frozen=True)
class Ingested:
    outcomes: list[Outcome]
    ocr_queue: list[dict[str, Any]] = field(default_factory=list)
    """Scans that waited for the OCR tool and were read in this run (filed or still unsorted)."""

    def as_json(self) -> dict[str, Any]:
        return {"outcomes": [o.as_json() for o in self.outcomes],
                **({"ocr_queue": self.ocr_queue} if self.ocr_queue else {})}


@dataclass(frozen=True)
class DocumentRequest:
    """`ingest --household E/K --document 题名 [--category C]`: the files are 文件 of that household."""

    household: str
    title: str
    category: str | None = None

    def checked(self, session: Session) -> dict[str, str]:
        """Told before any file is read: an unknown household or 类别, an empty 题名."""
        from hudang.pipeline.household import documents

        result = documents.describe(session.forms, session.archive.estates, self.household, self.title,
                                    category=self.category)
        if not result.ok:
            p = result.problems[0]
            raise UsageError(f"文件“{p.field}”：{p.message}", code=p.code)
        return {"household": self.household, "title": self.title,
                **({"category": self.category} if self.category else {}), "from": "command"}


def _check(session: Session, paths: list[Path]) -> None:
    """Every path exists; the intake folder itself belongs to the running service, not to a hand run."""
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"找不到文件或文件夹：{path}", code="no_path")
    intake = session.home.intake.resolve()
    inside = [p for p in paths if p.resolve() == intake or intake in p.resolve().parents]
    if inside and service_running(session.home):
        raise UsageError(f"接收服务正在运行，收件夹里的文件由它接收；请不要再用 hudang ingest 处理 {inside[0]}",
                         code="intake_busy")


def ingest(session: Session, paths: list[Path], *, workers: int | None = None,
           on_start: Callable[[int], None] | None = None,
           on_outcome: Callable[[Outcome], None] | None = None,
           document: DocumentRequest | None = None) -> Ingested:
    """Files outside the intake folder are left untouched: the archive keeps its own copy (SPEC §4).

    ``on_start`` (when given) learns how many files will be taken, before the first; ``on_outcome``
    hears of each outcome as it is reached — both for a progress display. With ``document`` every file is
    filed as a 文件 of that household (its 题名 and 类别 given).
    """
    _check(session, paths)
    wanted = document.checked(session) if document else None
    if on_start is not None:
        on_start(sum(1 for _ in stages.discover(list(paths))))
    outcomes = run_ingest(session.home, list(paths), workers=workers, on_outcome=on_outcome, document=wanted)
    return Ingested(outcomes, process_if_possible(session.home, session.forms, workers))
