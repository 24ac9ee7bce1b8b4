"""Form types as data: TOML definition files read once into frozen objects.

The built-in definitions live in ``forms/definitions/``; a data home may add forms or replace a
built-in one (same ``id``) with files in its own ``forms/`` folder — no code change needed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hudang.errors import ConfigError
from hudang.forms.places import PUBLIC_WORDS
from hudang.forms.values import mask_text, normalize_label

BUILTIN_DIR = Path(__file__).parent / "definitions"

FIELD_TYPES = frozenset(
    {"text", "date", "datetime", "money", "number", "enum", "phone", "id_number", "room", "estate"}
)


@dataclass(frozen=True)
class Condition:
    field: str
    equals: str

    def holds(self, values: Mapping[str, str]) -> bool:
        return values.get(self.field, "") == self.equals


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    default: str | None = None
    required_when: Condition | None = None
    must_equal_when: tuple[Condition, str] | None = None
    not_before: tuple[str, ...] = ()
    id_type_field: str | None = None
    multiline: bool = False               # long free text: a web form shows a text area

    @property
    def personal(self) -> bool:
        """ID and phone numbers are personal data: masked wherever shown (SPEC §7)."""
        return self.type in ("id_number", "phone")


@dataclass(frozen=True)
class Deadline:
    """A time limit of the centre's procedures (处理时限, 回访时限), written in the definition's ``[deadline]``.

    ``met_by`` must fall within ``days[value of by]`` days of ``start``; any other value (or none) gets
    ``other_days``, which is the days of the ``by`` field's default when the table does not say."""

    name: str
    start: str
    met_by: str
    by: str
    days: Mapping[str, int]
    other_days: int
    order: tuple[str, ...] = ()          # the `by` field's choices, for saying the rule in their order

    def days_for(self, value: str | None) -> int:
        return self.days.get((value or "").strip(), self.other_days)

    def describe(self) -> str:
        """The rule as the report says it: 重大10天、重要3天、轻微2天 / 渗漏水3天、其他2天."""
        listed = [k for k in self.order if k in self.days] + [k for k in self.days if k not in self.order]
        text = [f"{k}{self.days[k]}天" for k in listed]
        if any(c not in self.days for c in self.order) or not self.order:
            text.append(f"其他{self.other_days}天")
        return "、".join(text)


@dataclass(frozen=True)
class Action:
    """A short step on a filed record (结案, 回访), written in the definition's ``[[actions]]``: the fields it
    fills, which of them must be given, and the field whose being filled already means the step was done."""

    id: str
    name: str
    fields: tuple[str, ...]
    required: tuple[str, ...]
    done_when: str | None = None          # this field filled → the step was taken already
    needs: tuple[str, ...] = ()           # fields that must be filled before (回访 after 完成时间)


@dataclass(frozen=True)
class FormDef:
    id: str
    name: str
    code: str
    version: int
    fields: tuple[FieldDef, ...]
    aliases: tuple[str, ...] = ()
    intake_folder: str | None = None
    room_field: str | None = None
    room_optional: bool = False
    public_rooms: tuple[str, ...] = ()
    number_field: str | None = None
    date_field: str | None = None
    opened_field: str | None = None
    generated: bool = False               # written by hudang itself (函件): never taken from intake
    free: bool = False                    # any document (文件): described by who files it, never read by labels
    deadline: Deadline | None = None      # 处理时限 / 回访时限 ([deadline] table), None for forms without one
    entry_number: str | None = None       # 编号 given by hudang to forms entered on the web: "TS-{month}-{seq:04d}"
    headline: str | None = None           # the field that says what a record is about (household page, 卷内目录)
    actions: tuple[Action, ...] = ()
    source: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)  # normalised label/alias → field name

    def field(self, name: str) -> FieldDef:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def number_prefix(self) -> str | None:
        """The letters before the first ``-`` of entry_number (``TS``), upper case; None without one."""
        head = (self.entry_number or "").split("{", 1)[0].rstrip("-").upper()
        return head or None

    @property
    def estate_field(self) -> str:
        return next(f.name for f in self.fields if f.type == "estate")

    def choices(self, name: str) -> tuple[str, ...]:
        """An enum field's values in the definition's order (reports list categories in it); () when absent."""
        return next((f.choices for f in self.fields if f.name == name), ())

    def headline_of(self, values: Mapping[str, str]) -> str:
        """What the record is about, in a line: its headline field's value, personal numbers masked, ≤ 40 characters."""
        text = values.get(self.headline) if self.headline else None
        return mask_text(text)[:40] if text else ""

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.id == action_id), None)

    def names(self) -> tuple[str, ...]:
        """Every spelling that names this form: name, id, aliases, intake folder."""
        spelled = [self.name, self.id, *self.aliases]
        if self.intake_folder:
            spelled.append(self.intake_folder)
        return tuple(spelled)


def _condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, dict) or "field" not in raw or "equals" not in raw:
        raise ConfigError(f"{where}: 条件应写作 {{ field = \"…\", equals = \"…\" }}")
    return Condition(str(raw["field"]), str(raw["equals"]))


def _as_tuple(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    return tuple(str(x) for x in raw)


def _deadline(raw: Any, fields: tuple[FieldDef, ...], source: str) -> Deadline | None:
    """The optional ``[deadline]`` table; every field it names must exist, its days must be whole numbers."""
    if raw is None:
        return None
    where = f"表单定义 {source} [deadline]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} 应是一个表")
    by_name = {f.name: f for f in fields}
    for key in ("start", "met_by", "by"):
        if str(raw.get(key, "")) not in by_name:
            raise ConfigError(f"{where}: {key} 应是本表单的字段名，实际为“{raw.get(key, '')}”")
    by = by_name[str(raw["by"])]
    try:
        days = {str(k): int(v) for k, v in dict(raw.get("days", {})).items()}
        other = raw.get("other_days")
        if other is None:
            other = days[by.default or ""]
        other_days = int(other)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: days 应写作 {{ 值 = 天数 }}，未列出的值用 other_days "
                          f"（或字段默认值“{by.default or ''}”的天数）") from exc
    return Deadline(name=str(raw.get("name", "时限")), start=str(raw["start"]), met_by=str(raw["met_by"]),
                    by=by.name, days=days, other_days=other_days, order=by.choices)


def _entry_number(raw: Any, source: str) -> str | None:
    """The 编号 pattern: ``{month}`` (YYYYMM) and ``{seq}`` (the running number, e.g. ``{seq:04d}``)."""
    if raw is None:
        return None
    text = str(raw)
    try:
        sample = text.format(month="202601", seq=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"表单定义 {source} entry_number “{text}” 只能用 {{month}} 和 {{seq}}（如 TS-{{month}}-{{seq:04d}}）"
                          ) from exc
    if "{seq" not in text or sample == text.format(month="202601", seq=2):
        raise ConfigError(f"表单定义 {source} entry_number “{text}” 须含流水号 {{seq}}")
    return text


def _actions(raw: Any, fields: tuple[FieldDef, ...], source: str) -> tuple[Action, ...]:
    """``[[actions]]``: every field an action names must exist in the form."""
    names = {f.name for f in fields}
    out = []
    for item in raw or []:
        where = f"表单定义 {source} [[actions]] {item.get('id', '?')}"
        try:
            action = Action(id=str(item["id"]), name=str(item["name"]), fields=_as_tuple(item["fields"]),
                            required=_as_tuple(item.get("required")), done_when=item.get("done_when"),
                            needs=_as_tuple(item.get("needs")))
        except KeyError as exc:
            raise ConfigError(f"{where} 缺少必需项 {exc}") from exc
        unknown = [n for n in (*action.fields, *action.required, *action.needs,
                               *([action.done_when] if action.done_when else [])) if n not in names]
        if unknown:
            raise ConfigError(f"{where} 引用了不存在的字段 {'、'.join(unknown)}")
        out.append(action)
    return tuple(out)


def _public_rooms(raw: Any) -> tuple[str, ...]:
    """``true``: the usual words (forms/places.py); a list: the form's own; absent or ``false``: none."""
    if raw is True:
        return PUBLIC_WORDS
    return () if raw is False else _as_tuple(raw)


def parse_definition(data: dict[str, Any], source: str) -> FormDef:
    """Turn one TOML document into a FormDef, checking it the way an office editor needs."""
    try:
        fields: list[FieldDef] = []
        for raw in data.get("fields", []):
            where = f"{source} 字段 {raw.get('name', '?')}"
            ftype = str(raw.get("type", "text"))
            if ftype not in FIELD_TYPES:
                raise ConfigError(f"{where}: 未知类型 {ftype}（可用：{', '.join(sorted(FIELD_TYPES))}）")
            must = raw.get("must_equal_when")
            fields.append(FieldDef(
                name=str(raw["name"]),
                type=ftype,
                required=bool(raw.get("required", False)),
                aliases=_as_tuple(raw.get("aliases")),
                choices=_as_tuple(raw.get("choices")),
                default=None if raw.get("default") is None else str(raw["default"]),
                required_when=_condition(raw["required_when"], where) if "required_when" in raw else None,
                must_equal_when=(_condition(must, where), str(must["value"])) if must else None,
                not_before=_as_tuple(raw.get("not_before")),
                id_type_field=raw.get("id_type_field"),
                multiline=bool(raw.get("multiline", False)),
            ))
        form = FormDef(
            id=str(data["id"]), name=str(data["name"]), code=str(data.get("code", data["id"][:2].upper())),
            version=int(data.get("version", 1)), fields=tuple(fields), aliases=_as_tuple(data.get("aliases")),
            intake_folder=data.get("intake_folder"), room_field=data.get("room_field"),
            room_optional=bool(data.get("room_optional", False)),
            public_rooms=_public_rooms(data.get("public_rooms")), number_field=data.get("number_field"),
            date_field=data.get("date_field"), opened_field=data.get("opened_field"),
            generated=bool(data.get("generated", False)), free=bool(data.get("free", False)), source=source,
            deadline=_deadline(data.get("deadline"), tuple(fields), source),
            entry_number=_entry_number(data.get("entry_number"), source),
            headline=None if data.get("headline") is None else str(data["headline"]),
            actions=_actions(data.get("actions"), tuple(fields), source),
        )
    except KeyError as exc:
        raise ConfigError(f"表单定义 {source} 缺少必需项 {exc}") from exc
    names = {f.name for f in form.fields}
    if form.headline is not None and form.headline not in names:
        raise ConfigError(f"表单定义 {source} headline 引用了不存在的字段 {form.headline}")
    for f in form.fields:
        for ref in (*f.not_before, *( [f.required_when.field] if f.required_when else [])):
            if ref not in names:
                raise ConfigError(f"表单定义 {source} 字段 {f.name} 引用了不存在的字段 {ref}")
    if not any(f.type == "estate" for f in form.fields):
        raise ConfigError(f"表单定义 {source} 需要一个 type = \"estate\" 的项目字段")
    labels: dict[str, str] = {}
    for f in form.fields:  # a field's own name always wins over another field's alias
        labels[normalize_label(f.name)] = f.name
    for f in form.fields:
        for alias in f.aliases:
            labels.setdefault(normalize_label(alias), f.name)
    object.__setattr__(form, "labels", labels)
    return form


def _load_file(path: Path) -> FormDef:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"表单定义 {path} 无法解析：{exc}") from exc
    return parse_definition(data, str(path))


@dataclass(frozen=True)
class FormRegistry:
    forms: tuple[FormDef, ...]
    older: tuple[FormDef, ...] = ()       # earlier versions still in use by records filed under them

    def at(self, form_id: str, version: int | None) -> FormDef:
        """A form as it was at ``version`` (a record keeps the version it was filed under); else the current."""
        current = self.by_id(form_id)
        if version is None or version == current.version:
            return current
        return next((f for f in self.older if f.id == form_id and f.version == version), current)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.forms)

    def number_prefixes(self) -> frozenset[str]:
        """The 编号 prefixes the definitions give (``TS`` of entry_number ``TS-{month}-{seq:04d}``), every version."""
        return frozenset(p for f in (*self.forms, *self.older) if (p := f.number_prefix))

    def get(self, spelled: str) -> FormDef | None:
        """A form by id, name, alias or intake folder name, after label normalisation."""
        wanted = normalize_label(spelled).lower()
        for form in self.forms:
            if any(normalize_label(n).lower() == wanted for n in form.names()):
                return form
        return None

    def intake(self) -> FormRegistry:
        """The forms people fill in and drop into intake (not the letters hudang writes, not free documents)."""
        return FormRegistry(tuple(f for f in self.forms if not f.generated and not f.free))

    def by_id(self, form_id: str) -> FormDef:
        for form in self.forms:
            if form.id == form_id:
                return form
        raise KeyError(form_id)

    def all_labels(self) -> frozenset[str]:
        return frozenset(label for form in self.forms for label in form.labels)


def load_forms(extra_dirs: Iterable[Path] = ()) -> FormRegistry:
    """Built-in definitions, then each extra folder's (a data home's ``forms/``), later ids replacing earlier."""
    by_id: dict[str, FormDef] = {}
    older: dict[tuple[str, int], FormDef] = {}
    for folder in (BUILTIN_DIR, *extra_dirs):
        if not folder.is_dir():
            continue
        # ``<id>@<N>.toml`` keeps an earlier version: in one folder the highest version of an id is current.
        loaded = [_load_file(path) for path in sorted(folder.glob("*.toml"))]
        newest = {f.id: max(g.version for g in loaded if g.id == f.id) for f in loaded}
        for form in loaded:
            if form.version != newest[form.id]:
                older[(form.id, form.version)] = form
                continue
            earlier = by_id.get(form.id)
            if form.deadline is None and earlier is not None and earlier.deadline is not None \
                    and {earlier.deadline.start, earlier.deadline.met_by, earlier.deadline.by} <= \
                    {f.name for f in form.fields}:
                # A data home's own copy written before deadlines were data keeps the built-in ones.
                form = replace(form, deadline=earlier.deadline)
            if form.headline is None and earlier is not None and earlier.headline in {f.name for f in form.fields}:
                form = replace(form, headline=earlier.headline)  # likewise a copy written before headlines
            by_id[form.id] = form
    return FormRegistry(tuple(by_id.values()),
                        tuple(f for key, f in older.items() if by_id.get(key[0]) and by_id[key[0]].version != key[1]))
