"""`verify`: prove that nothing archived changed, went missing or appeared unannounced."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hudang.archive.durable import MANIFEST, read_manifest, sha256_file
from hudang.archive.paths import Layout
from hudang.archive.rebuild import logged_units, unit_id

MESSAGES = {
    "changed": "文件内容与登记的校验值不符（被修改或损坏）",
    "missing": "登记过的文件不见了",
    "unexpected": "档案中出现了未登记的文件",
    "manifest_changed": "档案单元的清单被改动",
    "unit_missing": "登记过的档案单元不见了",
    "unregistered": "档案单元未在校验日志中登记",
}


@dataclass(frozen=True)
class FixityProblem:
    path: str
    code: str

    @property
    def message(self) -> str:
        return MESSAGES[self.code]

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


def verify(archive_root: Path) -> tuple[int, list[FixityProblem]]:
    """Check every archived file against its unit's manifest and the manifest against the log."""
    layout = Layout(archive_root)
    logged = logged_units(layout)
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
        entries = read_manifest(unit)
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
    for stray in _stray_files(layout):
        problems.append(FixityProblem(layout.relative(stray), "unexpected"))
    return checked, problems
