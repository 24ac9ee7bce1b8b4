"""Import tables that are not forms — rosters, owner lists, fee ledgers, reminder logs — as declared in
``tables/kinds.toml``.

Their headers are data, like form labels, so a new spelling of a column is an edit to the TOML, not to code.
`HeaderMap` says which cell of a header row is which column (several blocks when the same columns repeat
side by side), what was not understood and what a close header probably meant. How each kind's rows are
checked is code (pipeline/intake/tables.py).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.errors import ConfigError
from hudang.forms.values import normalize_label

BUILTIN = Path(__file__).parent / "tables" / "kinds.toml"
ROSTER, LEDGER, REMINDERS, OWNERS = "roster", "ledger", "reminders", "owners"   # ids the catalog stores imports under

_BRACKET = re.compile(r"[(（\[【〔<《][^()（）\[\]【】〔〕<>《》]*[)）\]】〕>》]$")


def header_key(text: str) -> str:
    """A header as compared: `normalize_label` (width, spaces, `*` marks, Traditional) and no trailing unit in
    brackets, so `建筑面积(㎡)`, `*建筑面积（平方米）` and `建筑面积` are one column."""
    s = normalize_label(text or "")
    previous = None
    while s != previous:
        previous = s
        stripped = _BRACKET.sub("", s)
        s = stripped if stripped else s
    return s


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        """The compared header labels that name this column, its own name first."""
        return tuple(dict.fromkeys(header_key(s) for s in (self.name, *self.aliases)))


@dataclass
class HeaderMap:
    """Which header cell is which column, for one kind; ``blocks`` has one mapping per side-by-side block."""

    kind: TableKind
    header: list[str]
    blocks: list[dict[str, int]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)           # header cells (as written) that are no column
    suggestions: dict[str, str] = field(default_factory=dict)  # header as written → the column it is close to
    profile: str | None = None
    room_format: str | None = None         # the profile's value conventions (SPEC §12), None: guessed
    serial_dates: bool | None = None

    @property
    def found(self) -> list[str]:
        return [c.name for c in self.kind.columns if self.blocks and c.name in self.blocks[0]]

    @property
    def missing(self) -> list[str]:
        """Required columns absent, and each `one_of` group with none of its columns (named by its first)."""
        present = set(self.found)
        out = [c.name for c in self.kind.columns if c.required and c.name not in present]
        out += ["/".join(g) for g in self.kind.one_of if not present & set(g)]
        return out

    @property
    def excluded(self) -> list[str]:
        """Columns the kind must not have (an owner list with 入住日期 is a form batch), under any spelling."""
        keys = {header_key(h) for h in self.header if h}
        return [name for name, spellings in self.kind.exclude_spellings if keys & set(spellings)]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.excluded

    def values(self, cells: list[str], block: int = 0) -> dict[str, str]:
        """One row's cells as column → text ('' for an empty cell)."""
        return {name: (cells[i].strip() if i < len(cells) and cells[i] else "")
                for name, i in self.blocks[block].items()}

    def source_of(self, name: str) -> str:
        """The header as written for a column (first block)."""
        i = self.blocks[0].get(name) if self.blocks else None
        return self.header[i] if i is not None and i < len(self.header) else name

    def summary(self) -> str:
        """One line for the whole file: columns found (with the file's own header when it differs), columns
        missing, columns not used and what a close one probably meant."""
        found = [n if self.source_of(n) == n else f"{self.source_of(n)}→{n}" for n in self.found]
        parts = [f"按“{self.kind.name}”读取" + (f"（导入方案“{self.profile}”）" if self.profile else ""),
                 f"已识别的列：{'、'.join(found) or '无'}"]
        if len(self.blocks) > 1:
            parts.append(f"同一表头并排重复 {len(self.blocks)} 组，逐组读取")
        if self.missing:
            parts.append(f"缺少的列：{'、'.join(self.missing)}")
        if self.excluded:
            parts.append(f"含有不属于{self.kind.name}的列：{'、'.join(self.excluded)}")
        unused = [u for u in self.unknown if u not in self.suggestions]
        if unused:
            parts.append(f"未使用的列：{'、'.join(unused[:12])}{'等' if len(unused) > 12 else ''}")
        parts += [f"“{h}” 是否即 “{c}”？" for h, c in self.suggestions.items()]
        return "；".join(parts)


@dataclass(frozen=True)
class TableKind:
    id: str
    name: str
    columns: tuple[Column, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    excludes: tuple[str, ...] = ()
    form: str | None = None      # owners: the form each row becomes
    exclude_spellings: tuple[tuple[str, tuple[str, ...]], ...] = ()   # each excluded column and its spellings

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def map_header(self, header: list[str], mapping: Mapping[str, str] | None = None,
                   profile: str | None = None) -> HeaderMap:
        """Map a header row to this kind's columns. ``mapping`` (an import profile's) names columns first:
        header as the file writes it → column name. A column seen again starts a new side-by-side block when
        it is the block's first column; otherwise the first cell of that name is used."""
        spelled = {s: c.name for c in self.columns for s in c.spellings}
        forced = {header_key(k): v for k, v in (mapping or {}).items()}
        result = HeaderMap(self, list(header), profile=profile)
        blocks: list[dict[str, int]] = [{}]
        for i, cell in enumerate(header):
            key = header_key(cell)
            if not key:
                continue
            name = forced.get(key) or spelled.get(key)
            if name is None or name == "-":
                result.unknown.append(cell.strip())
                continue
            current = blocks[-1]
            if name in current:
                first = next(iter(blocks[0]))
                if name == first:
                    blocks.append({name: i})
                continue
            current[name] = i
        result.blocks = [b for b in blocks if b] or [{}]
        if len(result.blocks) > 1:   # a trailing block smaller than half the first is a stray column, not data
            size = len(result.blocks[0])
            result.blocks = [result.blocks[0]] + [b for b in result.blocks[1:] if len(b) * 2 > size]
        missing = [c for c in self.columns if c.name not in result.blocks[0]]
        for cell in result.unknown:
            guess = _closest(header_key(cell), missing)
            if guess:
                result.suggestions[cell] = guess
        return result


def _closest(key: str, columns: list[Column]) -> str | None:
    """The column whose spelling is closest to a header that matched none (difflib over compared forms)."""
    if len(key) < 2:
        return None
    best: tuple[float, str] | None = None
    for column in columns:
        for s in column.spellings:
            ratio = difflib.SequenceMatcher(None, key, s).ratio()
            if ratio >= 0.6 and (best is None or ratio > best[0]):
                best = (ratio, column.name)
    return best[1] if best else None


@dataclass(frozen=True)
class TableKinds:
    kinds: tuple[TableKind, ...]

    def __iter__(self) -> Iterator[TableKind]:
        return iter(self.kinds)

    def match(self, header: list[str] | None, mapping: Mapping[str, str] | None = None,
              only: str | None = None, profile: str | None = None) -> HeaderMap | None:
        """The first kind, in declared order, whose columns the header holds (``only``: that kind alone)."""
        if not header:
            return None
        for kind in self.kinds:
            if only and kind.id != only:
                continue
            found = kind.map_header(header, mapping, profile)
            if found.ok:
                return found
        return None

    def nearest(self, header: list[str] | None) -> HeaderMap | None:
        """For a header no kind fits: the kind it comes closest to (most columns found, at least 3)."""
        if not header:
            return None
        maps = [kind.map_header(header) for kind in self.kinds]
        best = max(maps, key=lambda m: len(m.found), default=None)
        return best if best is not None and len(best.found) >= 3 else None

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
        kinds = tuple(TableKind(
            id=str(t["id"]), name=str(t["name"]),
            columns=tuple(Column(name=str(c["name"]), required=bool(c.get("required", False)),
                                 aliases=_as_tuple(c.get("aliases")), choices=_as_tuple(c.get("choices")))
                          for c in t["columns"]),
            one_of=tuple(_as_tuple(g) for g in t.get("one_of", ())), excludes=_as_tuple(t.get("excludes")),
            form=t.get("form")) for t in data["tables"])
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"导入表定义 {source} 缺少必需项或格式不对：{exc}") from exc
    spellings: dict[str, set[str]] = {}
    for kind in kinds:
        for c in kind.columns:
            spellings.setdefault(c.name, set()).update(c.spellings)
    return TableKinds(tuple(dataclasses.replace(k, exclude_spellings=tuple(
        (name, tuple(sorted(spellings.get(name, set()) | {header_key(name)}))) for name in k.excludes))
        for k in kinds))


def load_table_kinds(path: Path = BUILTIN) -> TableKinds:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"导入表定义 {path} 无法读取：{exc}") from exc
    return parse_kinds(data, str(path))
