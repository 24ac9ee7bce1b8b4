"""What the office works with: its form types (and blank forms to print) and its estates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.pipeline.app.session import Session

BLANK_FOLDER = "空白表单"


# ---------------------------------------------------------------- forms

@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: str
    required: bool

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "required": self.required}


@dataclass(frozen=True)
class FormInfo:
    id: str
    name: str
    aliases: list[str]
    code: str
    version: int
    fields: list[FieldInfo]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "aliases": self.aliases, "code": self.code,
                "version": self.version, "fields": [f.as_json() for f in self.fields]}


@dataclass(frozen=True)
class Forms:
    forms: list[FormInfo]

    def as_json(self) -> dict[str, Any]:
        return {"forms": [f.as_json() for f in self.forms]}


def forms(session: Session) -> Forms:
    """Built-in forms and the office's own (data-home forms/), as defined."""
    return Forms([FormInfo(f.id, f.name, list(f.aliases), f.code, f.version,
                           [FieldInfo(x.name, x.type, x.required) for x in f.fields]) for f in session.forms])


# A definition's field type → the input a web form shows for it.
INPUTS = {"text": "text", "date": "date", "datetime": "datetime", "money": "money", "number": "number",
          "enum": "choice", "phone": "phone", "id_number": "id_number", "room": "room", "estate": "estate"}


@dataclass(frozen=True)
class FieldSpec:
    """One field of a web form, built from the form definition alone (a TOML file added works as is)."""

    name: str
    label: str
    type: str
    """text, multiline, date, datetime, choice, number, money, phone, id_number, room or estate."""
    required: bool
    choices: list[str]
    default: str | None
    system: bool
    """Filled by hudang (the 编号 of a form numbered on entry); the page shows it, never asks for it."""
    from_household: bool
    """The estate and room: taken from the household the record is entered for."""
    required_when: dict[str, str] | None
    not_before: list[str]
    personal: bool
    aliases: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "type": self.type, "required": self.required,
                "choices": self.choices, "default": self.default, "system": self.system,
                "from_household": self.from_household, "required_when": self.required_when,
                "not_before": self.not_before, "personal": self.personal, "aliases": self.aliases}


@dataclass(frozen=True)
class FormFields:
    form: str
    name: str
    numbered: bool
    """Entered forms get their 编号 from hudang (``entry_number`` in the definition)."""
    fields: list[FieldSpec]
    actions: list[dict[str, Any]]
    """The short steps on a filed record (结案, 回访 …): id, name, fields, required, needs (fields filled before it
    can be taken) and done_when (the field whose value means it was taken)."""

    def as_json(self) -> dict[str, Any]:
        return {"form": self.form, "name": self.name, "numbered": self.numbered,
                "fields": [f.as_json() for f in self.fields], "actions": self.actions}


def form_fields(session: Session, form_id: str) -> FormFields:
    """The fields of a web form for ``form_id`` (id, name or alias), in the definition's order."""
    form = session.form(form_id, intake=True)
    estate_names = [r["name"] for r in session.archive.estates.names()]
    specs = []
    for f in form.fields:
        kind = "multiline" if f.type == "text" and f.multiline else INPUTS[f.type]
        cond = f.required_when
        specs.append(FieldSpec(
            name=f.name, label=f.name, type=kind, required=f.required, default=f.default,
            choices=list(f.choices) if f.type == "enum" else estate_names if f.type == "estate" else [],
            system=bool(form.entry_number) and f.name == form.number_field,
            from_household=f.type == "estate" or f.name == form.room_field,
            required_when={"field": cond.field, "equals": cond.equals} if cond else None,
            not_before=list(f.not_before), personal=f.personal, aliases=list(f.aliases)))
    actions = [{"id": a.id, "name": a.name, "fields": list(a.fields), "required": list(a.required),
                "needs": list(a.needs), "done_when": a.done_when} for a in form.actions]
    return FormFields(form.id, form.name, bool(form.entry_number), specs, actions)


@dataclass(frozen=True)
class Printed:
    """A DOCX to print, and its PDF when LibreOffice could make one (else a warning says why not)."""

    docx: str
    pdf: str | None
    warnings: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"docx": self.docx, "pdf": self.pdf, "warnings": self.warnings}


@dataclass(frozen=True)
class BlankForms:
    form: str
    household: str | None
    copies: int
    printed: Printed

    def as_json(self) -> dict[str, Any]:
        return {"form": self.form, "household": self.household, "copies": self.copies, **self.printed.as_json()}


def _to_pdf(session: Session, docx: Path) -> tuple[str | None, list[str]]:
    """A missing LibreOffice leaves the DOCX, with a warning: the office can still print that."""
    from hudang.forms import office

    pdf, warnings = office.pdf_beside(docx, docx.parent, timeout=session.home.office.timeout)
    return (str(pdf) if pdf else None), warnings


def blank(session: Session, form_name: str, household: str | None = None, copies: int = 1) -> BlankForms:
    """Blank forms whose QR code names the form (and the household, when printed for one): scans file themselves."""
    from hudang.forms.blank import blank_form

    form = session.form(form_name, intake=True)
    place = session.archive.estates.household(household, strict=True) if household else None
    contact = session.home.contact(place.estate if place else None)
    name = f"{form.name}-{place.estate}-{place.key}" if place else f"{form.name}-空白"
    docx = blank_form(form, contact.company, session.home.outputs_dir / BLANK_FOLDER / f"{name}.docx",
                      place=place, copies=copies)
    pdf, warnings = _to_pdf(session, docx)
    if pdf:   # where LibreOffice put each box: the scan of this blank is read field by field by it
        from hudang.forms import layout

        lay = layout.layout_id(form.id, form.version, place is not None)
        if not layout.path(session.home.layouts_dir, lay).is_file():
            layout.save(session.home.layouts_dir, layout.extract(Path(pdf), form, lay))
    return BlankForms(form.id, place.address if place else None, copies, Printed(str(docx), pdf, warnings))


def separator(session: Session) -> Printed:
    """The sheet put between two forms in a batch scan."""
    from hudang.forms.blank import separator as separator_page

    docx = separator_page(session.home.outputs_dir / BLANK_FOLDER / "分隔页.docx")
    return Printed(str(docx), *_to_pdf(session, docx))


# ---------------------------------------------------------------- estates

@dataclass(frozen=True)
class EstateAdded:
    name: str
    code: str
    created: bool
    """False when the estate existed and only aliases were added."""

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "code": self.code, "created": self.created}


def add_estate(session: Session, name: str, aliases: list[str], code: str | None = None) -> EstateAdded:
    """An estate without a roster accepts any well-formed room (SPEC §2)."""
    archive = session.archive
    with archive.writer():
        return EstateAdded(**archive.add_estate(name, aliases, code))


@dataclass(frozen=True)
class Estate:
    name: str
    code: str
    has_roster: bool
    rooms: int
    aliases: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "code": self.code, "has_roster": self.has_roster, "rooms": self.rooms,
                "aliases": self.aliases}


@dataclass(frozen=True)
class Estates:
    estates: list[Estate]

    def as_json(self) -> dict[str, Any]:
        return {"estates": [e.as_json() for e in self.estates]}


def estates(session: Session) -> Estates:
    return Estates([Estate(r["name"], r["code"], bool(r["has_roster"]), r["rooms"],
                           r["aliases"].split("、") if r["aliases"] else [])
                    for r in session.archive.estates.names()])


def document_categories(session: Session) -> list[str]:
    """The 类别 a 文件 may have (forms/definitions/document.toml, or the home's copy of it)."""
    form = session.forms.by_id("document")
    return next((list(f.choices) for f in form.fields if f.name == "类别"), [])
