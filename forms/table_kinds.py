"""Import tables that are not forms — rosters, fee ledgers, reminder logs — as declared in ``tables/kinds.toml``.

Their headers are data, like form labels, so a new spelling of a column is an edit to the TOML, not to code.
How each kind's rows are checked is code (pipeline/intake/tables.py).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.errors import ConfigError
from hudang.forms.values import normalize_label

BUILTIN = Path(__file__).parent / "tables" / "kinds.toml"
ROSTER, LEDGER, REMINDERS = "roster", "ledger", "reminders"   # ids the catalog stores imports under


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        """The normalised header labels that name this column, its own name first."""
        return tuple(dict.fromkeys(normalize_label(s) for s in (self.name, *self.aliases)))


@dataclass(frozen=True)
class TableKind:
    id: str
    name: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def matches(self, header: list[str]) -> bool:
        """Every required column is in the (normalised) header, under its name or an alias."""
        present = set(header)
        return all(any(s in present for s in c.spellings) for c in self.columns if c.required)

    def cell(self, fields: Mapping[str, str], name: str) -> str:
        """A row's value for a column, whichever spelling its header used ('' when empty or absent)."""
        return next((v.strip() for s in self.column(name).spellings if (v := fields.get(s) or "").strip()), "")


@dataclass(frozen=True)
class TableKinds:
    kinds: tuple[TableKind, ...]

    def __iter__(self) -> Iterator[TableKind]:
        return iter(self.kinds)

    def match(self, header: list[str] | None) -> TableKind | None:
        """The first kind, in declared order, whose required columns the header holds."""
        if not header:
            return None
        return next((kind for kind in self.kinds if kind.matches(header)), None)

    def kind(self, kind_id: str) -> TableKind:
        return next(k for k in self.kinds if k.id == kind_id)

    @property
    def labels(self) -> frozenset[str]:
        """Every header spelling, for the readers' vocabulary."""
        return frozenset(s for kind in self.kinds for c in kind.columns for s in c.spellings)


def _as_tuple(raw: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in raw or ())


def parse_kinds(data: dict[str, Any], source: str) -> TableKinds:
    try:
        kinds = tuple(TableKind(id=str(t["id"]), name=str(t["name"]), columns=tuple(
            Column(name=str(c["name"]), required=bool(c.get("required", False)), aliases=_as_tuple(c.get("aliases")),
                   choices=_as_tuple(c.get("choices"))) for c in t["columns"])) for t in data["tables"])
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"导入表定义 {source} 缺少必需项或格式不对：{exc}") from exc
    return TableKinds(kinds)


def load_table_kinds(path: Path = BUILTIN) -> TableKinds:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"导入表定义 {path} 无法读取：{exc}") from exc
    return parse_kinds(data, str(path))
