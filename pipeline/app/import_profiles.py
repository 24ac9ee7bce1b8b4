"""Import profiles as an office manages them (SPEC §12): save, list, show, remove.

A profile is a TOML file in ``<home>/import-profiles/`` (backed up with the home); shipped ones are read from
``forms/tables/profiles/`` and can be shadowed by a saved one of the same name, not removed.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.errors import ConfigError, NotFound, UsageError
from hudang.forms.import_profiles import IGNORE, Profile, Profiles, check_kind, check_name, load_profiles
from hudang.forms.readers import read_document
from hudang.forms.readers.model import ReadLimits
from hudang.forms.rooms import ROOM_FORMATS
from hudang.forms.table_kinds import TableKinds, load_table_kinds
from hudang.pipeline.app.session import Session
from hudang.pipeline.intake.stages import vocabulary


def _tables() -> TableKinds:
    return load_table_kinds()


def all_profiles(session: Session) -> Profiles:
    return load_profiles(_tables(), session.home.profiles_dir)


def get_profile(session: Session, name: str) -> Profile:
    profile = all_profiles(session).get(name)
    if profile is None:
        names = "、".join(p.name for p in all_profiles(session)) or "无"
        raise UsageError(f"导入方案“{name}”不存在（现有：{names}）", code="unknown_profile")
    return profile


@dataclass(frozen=True)
class ProfileList:
    profiles: list[Profile]

    def as_json(self) -> dict[str, Any]:
        return {"profiles": [p.as_json() for p in self.profiles]}


def list_profiles(session: Session) -> ProfileList:
    return ProfileList(list(all_profiles(session)))


def parse_map(pairs: list[str]) -> dict[str, str]:
    """``楼号=楼栋`` pairs (file header = our column; ``收银员=-`` for a column not to use)."""
    out: dict[str, str] = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise UsageError(f"--map “{pair}” 应写作 表头=列名，如 楼号=楼栋", code="bad_map")
        out[source.strip()] = target.strip()
    return out


def save_profile(session: Session, name: str, kind: str, pairs: list[str], *, sheet: str | None = None,
                 header_row: int | None = None, example: Path | None = None, title: str = "",
                 room_format: str | None = None, serial_dates: bool | None = None) -> Profile:
    """Write (or replace) an office's profile; ``example`` gives the sheet and header row from a real file;
    ``room_format`` and ``serial_dates`` are its value conventions where guessing would be ambiguous."""
    check_name(name)
    mapping = parse_map(pairs)
    if room_format is not None and room_format not in ROOM_FORMATS:
        raise UsageError(f"房号格式“{room_format}”未知，应为{'、'.join(ROOM_FORMATS)}之一", code="bad_room_format")
    profile = Profile(name=name, kind=kind, mapping=mapping, title=title, sheet=sheet, header_row=header_row,
                      room_format=room_format, serial_dates=serial_dates)
    tables = _tables()
    try:
        check_kind(profile, tables, name)
    except ConfigError as exc:
        raise UsageError(exc.message, code="bad_profile") from exc
    if example is not None:
        profile = _from_example(session, profile, tables, example)
    folder = session.home.profiles_dir
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.toml"
    partial = target.with_name(f".{target.name}.part")
    partial.write_text(profile.as_toml(), encoding="utf-8")
    os.replace(partial, target)
    session.audit("import_profile_save", profile=name, kind=kind)
    return profile


def _from_example(session: Session, profile: Profile, tables: TableKinds, example: Path) -> Profile:
    """The sheet and header row of the example file whose header the mapping fits."""
    if not example.is_file():
        raise UsageError(f"找不到示例文件：{example}", code="no_path")
    extra = Profiles((profile,))
    vocab = vocabulary(session.forms, tables, extra)
    ext = read_document(example, vocab, ReadLimits.of(session.home.limits, session.home.office))
    for cand in [ext, *ext.alternatives]:
        header = cand.header_cells or []
        if profile.sheet and cand.sheet != profile.sheet:
            continue
        found = tables.match(header, profile.mapping, only=profile.kind, profile=profile.name)
        if found is not None and profile.fits(header):
            return dataclasses.replace(profile, sheet=cand.sheet, header_row=cand.header_row)
    near = tables.kind(profile.kind).map_header(ext.header_cells or [], profile.mapping, profile.name)
    raise UsageError(f"示例文件 {example.name} 的表头与该方案不符：{near.summary()}", code="profile_mismatch")


def remove_profile(session: Session, name: str) -> Path:
    target = session.home.profiles_dir / f"{check_name(name)}.toml"
    if not target.is_file():
        shipped = get_profile(session, name) if all_profiles(session).get(name) else None
        if shipped is not None and shipped.builtin:
            raise UsageError(f"导入方案“{name}”是随软件提供的，不能删除（可用同名方案覆盖）", code="builtin_profile")
        raise NotFound(f"导入方案“{name}”不存在", code="unknown_profile")
    target.unlink()
    session.audit("import_profile_remove", profile=name)
    return target


__all__ = ["IGNORE", "ProfileList", "all_profiles", "get_profile", "list_profiles", "remove_profile",
           "save_profile"]
