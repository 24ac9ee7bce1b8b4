"""Quarantine: a rejected file (or a batch's bad rows) kept with a report in JSON and in Chinese."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from hudang.archive.durable import atomic_write, fsync_dir
from hudang.archive.paths import safe_filename
from hudang.clock import now, stamp
from hudang.errors import NotFound
from hudang.forms.masking import mask_name
from hudang.forms.values import mask_text
from hudang.pipeline.intake.leftovers import owner_tag

RESOLVED = ".resolved"
DISMISSED = ".dismissed"   # set aside (已搁置) with a reason; can be brought back
TEMP_PREFIX = ".new-"   # an entry being made; never listed


def _render(report: dict[str, Any]) -> str:
    """The report a clerk reads: all Chinese (codes stay in report.json), personal data masked."""
    lines = [
        "hudang 隔离报告",
        "=" * 20,
        f"隔离编号：{report['id']}",
        f"原文件：{mask_name(report['source'])}",
        f"隔离时间：{report['at']}",
    ]
    if report.get("form_name"):
        lines.append(f"表单类型：{report['form_name']}")
    if report.get("not_copied"):
        original = report.get("original") or {}
        lines.append(f"原文件过大（{original.get('size', 0)} 字节），未复制到隔离区；它在："
                     f"{mask_name(str(original.get('path')))}（收件服务会把它移到收件夹的 .done 文件夹）")
    if report.get("rows_file"):
        lines.append("本文件只含批量文件中未通过检查的行（表头与这些行）；其余行已归档。")
    lines.append("")
    lines.append("问题：")
    for n, p in enumerate(report["problems"], 1):
        where = f"第{p['row']}行 " if p.get("row") else ""
        field = f"“{mask_text(p['field'])}” " if p.get("field") else ""
        lines.append(f"  {n}. {where}{field}{mask_text(p['message'])}")
    lines += ["", "处理办法：改正本文件夹中的文件后运行 hudang quarantine retry " + report["id"],
              "（若缺少房屋清单或项目，先导入清单或用 hudang estates add 添加，再重试）。"]
    return "\n".join(lines) + "\n"


def _new_id(root: Path) -> str:
    day = now().strftime("%Y%m%d")
    existing = [p.name for folder in (root, root / RESOLVED, root / DISMISSED) for p in folder.glob(f"Q{day}-*")]
    seq = max((int(n.rsplit("-", 1)[1]) for n in existing if n.rsplit("-", 1)[1].isdigit()), default=0) + 1
    return f"Q{day}-{seq:04d}"


def _original_key(original: dict[str, Any]) -> str:
    """Path, size and mtime of a file left uncopied, as one value (the path in the report is masked)."""
    return hashlib.sha256(json.dumps(original, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def write_report(entry: Path, report: dict[str, Any]) -> None:
    masked = {**report, "source": mask_name(report.get("source") or ""),
              **({"original": {**report["original"], "path": mask_name(str(report["original"].get("path")))}}
                 if report.get("original") else {}),
              "problems": [{**p, "message": mask_text(p.get("message") or "")} for p in report["problems"]]}
    atomic_write(entry / "report.json", (json.dumps(masked, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    atomic_write(entry / "报告.txt", _render(report).encode("utf-8"))


def quarantine(root: Path, file: Path | None, source: str, problems: list[dict[str, Any]], *,
               form: tuple[str, str] | None = None, rows_file: bool = False, sha256: str | None = None,
               name: str | None = None, original: dict[str, Any] | None = None,
               table: dict[str, Any] | None = None, document: dict[str, str] | None = None) -> str:
    """Keep ``file`` (a copy; the intake service moves its own) with a report; returns the quarantine id.

    With ``original`` (path, size, mtime) the file is only reported, not copied (it is too large to keep a
    copy of on every try); the same path, size and mtime quarantined again keep their first entry."""
    root.mkdir(parents=True, exist_ok=True)
    if sha256 or original:  # the same bytes (or the same large file) quarantined again keep their first entry
        for known in entries(root) + entries(root, resolved=True):
            if sha256 and known.get("sha256") == sha256 and bool(known.get("rows_file")) == rows_file:
                return str(known["id"])
            if original and known.get("original_key") == _original_key(original):
                return str(known["id"])
    # Made whole in a hidden folder, then renamed: a full disk or a kill never leaves an empty entry
    # (a half-made one belongs to its owner and is swept once the owner is gone).
    temp = root / f"{TEMP_PREFIX}{owner_tag()}-{uuid.uuid4().hex}"
    temp.mkdir()
    try:
        stored = None
        if file is not None and original is None and file.is_file() and not file.is_symlink():  # never a link's target
            stored = safe_filename(name or Path(source).name)
            shutil.copyfile(file, temp / stored)
            with open(temp / stored, "rb") as fh:
                os.fsync(fh.fileno())
        report = {"id": "", "source": source, "file": stored, "at": stamp(), "status": "pending",
                  "form": form[0] if form else None, "form_name": form[1] if form else None,
                  "rows_file": rows_file, "sha256": sha256, "problems": problems,
                  **({"table": table} if table else {}),   # an import table's estate/profile, for its retry
                  **({"document": document} if document else {}),   # a 文件's household, 题名, 类别, for its retry
                  **({"not_copied": True, "original": original, "original_key": _original_key(original)}
                     if original else {})}
        for _ in range(100):
            report["id"] = qid = _new_id(root)
            write_report(temp, report)
            try:
                os.rename(temp, root / qid)
            except OSError as exc:
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    continue  # another process took this id a moment ago
                raise
            fsync_dir(root)
            return qid
        raise OSError(errno.EEXIST, "no free quarantine id")
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def entries(root: Path, *, resolved: bool = False, dismissed: bool = False) -> list[dict[str, Any]]:
    base = root / RESOLVED if resolved else root / DISMISSED if dismissed else root
    if not base.is_dir():
        return []
    out = []
    for entry in sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("Q")):
        try:
            out.append({**json.loads((entry / "report.json").read_text(encoding="utf-8")), "path": str(entry),
                        **_dismissal(entry)})
        except (OSError, ValueError):
            out.append({"id": entry.name, "path": str(entry), "problems": [], "status": "damaged"})
    return out


def entry_path(root: Path, qid: str) -> Path:
    entry = root / safe_filename(qid)
    if not (entry / "report.json").exists():
        raise NotFound(f"找不到隔离记录 {qid}", code="no_quarantine")
    return entry


def resolve(root: Path, qid: str, outcome: dict[str, Any]) -> None:
    """Move a retried entry out of the pending list; nothing is deleted."""
    entry = entry_path(root, qid)
    (root / RESOLVED).mkdir(exist_ok=True)
    atomic_write(entry / "resolution.json", (json.dumps(outcome, ensure_ascii=False, indent=2) + "\n").encode())
    os.rename(entry, root / RESOLVED / qid)


def update(root: Path, qid: str, problems: list[dict[str, Any]], *, rows_file: Path | None = None) -> str:
    """A retried entry that fails again keeps its id: its report is brought up to date and, for a batch,
    its rows file replaced by the rows still bad (the earlier one kept under ``.history``)."""
    entry = entry_path(root, qid)
    current = next(r for r in entries(root) if r["id"] == qid)
    if rows_file is not None:
        history = entry / ".history"
        history.mkdir(exist_ok=True)
        if current.get("file") and (entry / current["file"]).exists():
            os.replace(entry / current["file"], history / f"{len(list(history.iterdir())) + 1}-{current['file']}")
        shutil.copyfile(rows_file, entry / current["file"])
    current.update(problems=problems, at=current["at"], retried=True)
    current.pop("path", None)
    write_report(entry, current)
    return qid


def _dismissal(entry: Path) -> dict[str, Any]:
    path = entry / "dismissal.json"
    if not path.is_file():
        return {}
    return {"dismissed": json.loads(path.read_text(encoding="utf-8"))}


def dismiss(root: Path, qid: str, reason: str, user: str) -> dict[str, Any]:
    """Set a pending entry aside (已搁置): listed apart, file and report kept, reason and who written beside."""
    entry = entry_path(root, qid)
    note = {"reason": mask_text(reason), "by": user, "at": stamp()}
    (root / DISMISSED).mkdir(exist_ok=True)
    atomic_write(entry / "dismissal.json", (json.dumps(note, ensure_ascii=False, indent=2) + "\n").encode())
    os.rename(entry, root / DISMISSED / entry.name)
    fsync_dir(root)
    return note


def restore(root: Path, qid: str) -> dict[str, Any]:
    """Bring a dismissed entry back to the pending list; its dismissal is kept under ``.history``."""
    entry = root / DISMISSED / safe_filename(qid)
    if not (entry / "report.json").exists():
        raise NotFound(f"找不到已搁置的隔离记录 {qid}", code="no_quarantine")
    note = _dismissal(entry).get("dismissed", {})
    history = entry / ".history"
    history.mkdir(exist_ok=True)
    os.replace(entry / "dismissal.json", history / f"{len(list(history.iterdir())) + 1}-dismissal.json")
    os.rename(entry, root / entry.name)
    fsync_dir(root)
    return note
