"""Form types as data: TOML definition files read once into frozen objects.

The built-in definitions live in ``forms/definitions/``; a data home may add forms or replace a
built-in one (same ``id``) with files in its own ``forms/`` folder — no code change needed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.errors import ConfigError
from hudang.forms.values import normalize_label

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

    @property
    def personal(self) -> bool:
        """ID and phone numbers are personal data: masked wherever shown (SPEC §7)."""
        return self.type in ("id_number", "phone")


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
    source: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)  # normalised label/alias → field name

    def field(self, name: str) -> FieldDef:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def estate_field(self) -> str:
        return next(f.name for f in self.fields if f.type == "estate")

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
            ))
        form = FormDef(
            id=str(data["id"]), name=str(data["name"]), code=str(data.get("code", data["id"][:2].upper())),
            version=int(data.get("version", 1)), fields=tuple(fields), aliases=_as_tuple(data.get("aliases")),
            intake_folder=data.get("intake_folder"), room_field=data.get("room_field"),
            room_optional=bool(data.get("room_optional", False)),
            public_rooms=_as_tuple(data.get("public_rooms")), number_field=data.get("number_field"),
            date_field=data.get("date_field"), opened_field=data.get("opened_field"),
            generated=bool(data.get("generated", False)), source=source,
        )
    except KeyError as exc:
        raise ConfigError(f"表单定义 {source} 缺少必需项 {exc}") from exc
    names = {f.name for f in form.fields}
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

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.forms)

    def get(self, spelled: str) -> FormDef | None:
        """A form by id, name, alias or intake folder name, after label normalisation."""
        wanted = normalize_label(spelled).lower()
        for form in self.forms:
            if any(normalize_label(n).lower() == wanted for n in form.names()):
                return form
        return None

    def intake(self) -> FormRegistry:
        """The forms people fill in and drop into intake (not the letters hudang writes)."""
        return FormRegistry(tuple(f for f in self.forms if not f.generated))

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
    for folder in (BUILTIN_DIR, *extra_dirs):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            form = _load_file(path)
            by_id[form.id] = form
    return FormRegistry(tuple(by_id.values()))
