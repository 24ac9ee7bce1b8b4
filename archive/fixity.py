"""`verify`: prove that nothing archived changed, went missing or appeared unannounced."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hudang.archive import audit
from hudang.archive.durable import MANIFEST, read_manifest, sha256_file
from hudang.archive.paths import Layout, safe_component
from hudang.archive.rebuild import read_fixity_log, unit_id

MESSAGES = {
    "changed": "文件内容与登记的校验值不符（被修改或损坏）",
    "missing": "登记过的文件不见了",
    "unexpected": "档案中出现了未登记的文件",
    "manifest_changed": "档案单元的清单被改动",
    "unit_missing": "登记过的档案单元不见了",
    "unregistered": "档案单元未在校验日志中登记",
    "misplaced": "记录所在的住户文件夹与其最新版本和移档记录不符",
    "fixity_damaged": "校验日志中有无法识别的行（被改动或损坏）",
}


@dataclass(frozen=True)
class FixityProblem:
    path: str
    code: str
    detail: str = ""

    @property
    def message(self) -> str:
        return self.detail or MESSAGES[self.code]

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


def _units(layout: Layout) -> Iterator[Path]:
    """Every place where the layout puts a unit (see archive/paths.py)."""
    if layout.estates.is_dir():
        for estate in sorted(layout.estates.iterdir()):
            if not estate.is_dir():
                continue
            for household in sorted(estate.iterdir()):
                if not household.is_dir():
                    continue
                if household.name == "_estate":
                    yield from sorted(p for p in household.iterdir() if p.is_dir())
                    continue
                for record in sorted(household.iterdir()):
                    if record.is_dir():
                        yield from sorted(p for p in record.iterdir() if p.is_dir())
    imports = layout.root / "imports"
    if imports.is_dir():
        for year in sorted(imports.iterdir()):
            if year.is_dir():
                yield from sorted(p for p in year.iterdir() if p.is_dir())


def _stray_files(layout: Layout) -> Iterator[Path]:
    """Files sitting outside any unit (units are exactly four or five levels down)."""
    allowed = {layout.fixity_log}
    for path in layout.root.rglob("*"):
        if path.is_dir() or path in allowed:
            continue
        rel = path.relative_to(layout.root).parts
        if rel[0] == ".staging":
            continue
        depth_ok = ((rel[0] == "estates" and len(rel) >= 6) or (rel[0] == "imports" and len(rel) >= 4)
                    or (rel[0] == "estates" and len(rel) >= 5 and rel[2] == "_estate"))
        if not depth_ok:
            yield path


def _expected_household(record_dir: Path) -> str | None:
    """Where a record belongs: the household of its latest version or move, whichever came last."""
    latest: tuple[str, int, int, str] | None = None
    for unit in record_dir.iterdir():
        try:
            if unit.name.startswith("v") and (unit / "fields.json").is_file():
                fields = json.loads((unit / "fields.json").read_text(encoding="utf-8"))
                key = (fields["filed_at"], 0, int(fields["version"]), fields["household"])
            elif unit.name.startswith("e") and (unit / "event.json").is_file():
                event = json.loads((unit / "event.json").read_text(encoding="utf-8"))
                if event.get("kind") != "move":
                    continue
                # a move written in the same second follows its version
                key = (event["at"], 1, int(unit.name[1:] or 0), event["to"])
            else:
                continue
        except (OSError, ValueError, KeyError):
            continue
        if latest is None or key[:3] > latest[:3]:
            latest = key
    return latest[3] if latest else None


def _misplaced(layout: Layout) -> Iterator[FixityProblem]:
    if not layout.estates.is_dir():
        return
    for record_dir in sorted(layout.estates.glob("*/*/*")):
        if not record_dir.is_dir() or record_dir.parent.name == "_estate":
            continue
        expected = _expected_household(record_dir)
        if expected is not None and safe_component(expected) != record_dir.parent.name:
            yield FixityProblem(layout.relative(record_dir), "misplaced")


def verify(archive_root: Path, audit_log: Path | None = None) -> tuple[int, list[FixityProblem]]:
    """Check every archived file against its unit's manifest and the manifest against the log;
    with ``audit_log``, also the audit log's hash chain against the head the fixity log recorded."""
    layout = Layout(archive_root)
    fixity = read_fixity_log(layout.fixity_log)
    logged = fixity.units
    seen: set[str] = set()
    problems: list[FixityProblem] = []
    checked = 0
    for unit in _units(layout):
        rel_unit = layout.relative(unit)
        uid = unit_id(layout, unit)
        seen.add(uid)
        manifest = unit / MANIFEST
        if not manifest.exists():
            problems.append(FixityProblem(rel_unit + "/" + MANIFEST, "missing"))
            continue
        if uid not in logged:
            problems.append(FixityProblem(rel_unit, "unregistered"))
        elif sha256_file(manifest) != logged[uid]:
            problems.append(FixityProblem(rel_unit + "/" + MANIFEST, "manifest_changed"))
        try:
            entries = read_manifest(unit)
        except (OSError, UnicodeDecodeError):
            problems.append(FixityProblem(rel_unit + "/" + MANIFEST, "manifest_changed"))
            continue
        present = {p.relative_to(unit).as_posix() for p in unit.rglob("*") if p.is_file() and p.name != MANIFEST}
        for rel, digest in entries.items():
            checked += 1
            target = unit / rel
            if not target.is_file():
                problems.append(FixityProblem(f"{rel_unit}/{rel}", "missing"))
            elif sha256_file(target) != digest:
                problems.append(FixityProblem(f"{rel_unit}/{rel}", "changed"))
        for rel in sorted(present - set(entries)):
            problems.append(FixityProblem(f"{rel_unit}/{rel}", "unexpected"))
    for uid in sorted(set(logged) - seen):
        problems.append(FixityProblem(uid, "unit_missing"))
    problems.extend(_misplaced(layout))
    for stray in _stray_files(layout):
        problems.append(FixityProblem(layout.relative(stray), "unexpected"))
    name = layout.relative(layout.fixity_log)
    for number in fixity.damaged:
        problems.append(FixityProblem(f"{name}:{number}", "fixity_damaged",
                                      f"校验日志第{number}行无法识别（被改动或损坏）"))
    if audit_log is not None:
        for p in audit.check(audit_log, fixity.audit_head):
            problems.append(FixityProblem(f"{audit_log.name}:{p.line}", p.code, p.message))
    return checked, problems
