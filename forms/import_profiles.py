"""Import profiles (SPEC §12): a named layout of another system's or an office's own spreadsheet — which sheet,
which header row, which header is which column. Shipped ones live in ``tables/profiles/``, an office's own in
``<home>/import-profiles/``; both are TOML files of the same shape::

    name = "hc-fee-history"
    title = "HC小区 房屋缴费历史"
    kind = "ledger"
    sheet = "房屋缴费历史"      # optional
    header_row = 1             # optional
    room_format = "楼栋-单元-房号"  # optional: how a dashed room cell is written (rooms.ROOM_FORMATS), else guessed
    serial_dates = true        # optional: any bare number in a date column is an Excel date (false: none is)
    [map]                      # header as the file writes it → our column ("-": a column not to use)
    "房屋" = "房号"
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.errors import ConfigError, UsageError
from hudang.forms.rooms import ROOM_FORMATS
from hudang.forms.table_kinds import HeaderMap, TableKinds, header_key

BUILTIN_DIR = Path(__file__).parent / "tables" / "profiles"
IGNORE = "-"
_NAME = re.compile(r"[\w.-]{1,40}")


@dataclass(frozen=True)
class Profile:
    name: str
    kind: str
    mapping: Mapping[str, str] = field(default_factory=dict)
    title: str = ""
    sheet: str | None = None
    header_row: int | None = None
    room_format: str | None = None
    serial_dates: bool | None = None
    builtin: bool = False

    def fits(self, header: list[str]) -> bool:
        """Every header the profile names is in the file's header (after normalisation)."""
        present = {header_key(h) for h in header if h}
        return bool(self.mapping) and all(header_key(k) in present for k in self.mapping)

    def conventions(self, found: HeaderMap | None) -> HeaderMap | None:
        """The column map with this profile's value conventions on it."""
        if found is not None:
            found.room_format, found.serial_dates = self.room_format, self.serial_dates
        return found

    def as_toml(self) -> str:
        lines = [f"name = {_q(self.name)}", f"kind = {_q(self.kind)}"]
        if self.title:
            lines.append(f"title = {_q(self.title)}")
        if self.sheet:
            lines.append(f"sheet = {_q(self.sheet)}")
        if self.header_row:
            lines.append(f"header_row = {int(self.header_row)}")
        if self.room_format:
            lines.append(f"room_format = {_q(self.room_format)}")
        if self.serial_dates is not None:
            lines.append(f"serial_dates = {'true' if self.serial_dates else 'false'}")
        lines += ["", "[map]", *(f"{_q(k)} = {_q(v)}" for k, v in self.mapping.items())]
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "title": self.title, "sheet": self.sheet,
                "header_row": self.header_row, "room_format": self.room_format, "serial_dates": self.serial_dates,
                "map": dict(self.mapping), "builtin": self.builtin}


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name or "") or name.startswith("."):
        raise UsageError(f"导入方案名称“{name}”无效：只能用文字、数字、“-”“_”“.”，不超过40个字符", code="bad_profile_name")
    return name


def parse_profile(data: dict[str, Any], source: str, tables: TableKinds, *, builtin: bool = False) -> Profile:
    try:
        kind = str(data["kind"])
        mapping = {str(k): str(v) for k, v in dict(data.get("map") or {}).items()}
        header_row = data.get("header_row")
        serial = data.get("serial_dates")
        if serial is not None and not isinstance(serial, bool):
            raise ValueError(f"serial_dates 应为 true 或 false，实际为 {serial!r}")
        room_format = str(data["room_format"]) if data.get("room_format") else None
        if room_format is not None and room_format not in ROOM_FORMATS:
            raise ValueError(f"room_format 应为{'、'.join(ROOM_FORMATS)}之一，实际为“{room_format}”")
        profile = Profile(name=str(data["name"]), kind=kind, mapping=mapping, title=str(data.get("title", "")),
                          sheet=str(data["sheet"]) if data.get("sheet") else None,
                          header_row=int(header_row) if header_row else None, room_format=room_format,
                          serial_dates=serial, builtin=builtin)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"导入方案 {source} 缺少必需项或格式不对：{exc}") from exc
    check_kind(profile, tables, source)
    return profile


def check_kind(profile: Profile, tables: TableKinds, source: str) -> None:
    ids = [k.id for k in tables]
    if profile.kind not in ids:
        raise ConfigError(f"导入方案 {source} 的类型“{profile.kind}”未知，应为 {'、'.join(ids)} 之一")
    columns = {c.name for c in tables.kind(profile.kind).columns}
    wrong = [v for v in profile.mapping.values() if v != IGNORE and v not in columns]
    if wrong:
        raise ConfigError(f"导入方案 {source}：“{'、'.join(wrong)}”不是{tables.kind(profile.kind).name}的列"
                          f"（可用：{'、'.join(sorted(columns))}，或“-”表示不用）")


@dataclass(frozen=True)
class Profiles:
    profiles: tuple[Profile, ...] = ()

    def __iter__(self) -> Iterator[Profile]:
        return iter(self.profiles)

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)

    def fitting(self, header: list[str]) -> list[Profile]:
        return [p for p in self.profiles if p.fits(header)]

    @property
    def labels(self) -> frozenset[str]:
        """Every header a profile names, for the readers' vocabulary (so such a header row is found)."""
        return frozenset(header_key(k) for p in self.profiles for k in p.mapping)


def load_profiles(tables: TableKinds, home_dir: Path | None) -> Profiles:
    """Shipped profiles, then the data home's (which override a shipped one of the same name)."""
    found: dict[str, Profile] = {}
    for folder, builtin in ((BUILTIN_DIR, True), (home_dir, False)):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"导入方案 {path} 无法读取：{exc}") from exc
            profile = parse_profile(data, str(path), tables, builtin=builtin)
            found[profile.name] = profile
    return Profiles(tuple(found.values()))
