"""Check one record's values against its form definition, collecting every problem at once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from hudang.errors import Problem, ValueProblem
from hudang.forms import values as v
from hudang.forms.definitions import FieldDef, FormDef
from hudang.forms.rooms import is_public, parse_room


class Place(Protocol):
    """A household as forms see it (the archive's `Place` is one); forms never import the archive."""

    estate: str
    key: str
    display: str


class EstateLookup(Protocol):
    def resolve(self, spelled: str) -> str | None: ...

    def place(self, estate: str, text: str, public_words: tuple[str, ...] = ...) -> Place: ...


@dataclass
class Checked:
    """A record after validation: normalised values (full personal data), and what was wrong."""

    form: FormDef
    values: dict[str, str]
    raw: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    place: Place | None = None
    extra: dict[str, str] = field(default_factory=dict)   # labels no field of the form knows

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def number(self) -> str | None:
        return self.values.get(self.form.number_field or "") or None

    @property
    def form_date(self) -> str | None:
        value = self.values.get(self.form.date_field or "")
        return value[:10] if value else None


def map_labels(form: FormDef, labelled: Mapping[str, str],
               warnings: list[Problem] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Labelled values → field values (first label wins); unknown labels kept apart. A later label of the same
    field (an alias: `报修人姓名` after `报修人`) with a different value is kept apart too, named in a warning."""
    raw: dict[str, str] = {}
    extra: dict[str, str] = {}
    used: dict[str, str] = {}
    for label, value in labelled.items():
        name = form.labels.get(v.normalize_label(label))
        text = (value or "").strip()
        if name is None:
            extra[label] = text
        elif name not in raw or (not raw[name] and text):
            raw[name], used[name] = text, label
        elif text and text != raw[name]:
            extra[label] = text
            if warnings is not None:
                warnings.append(Problem(name, "alias_repeated",
                                        f"“{used[name]}”与“{label}”都是“{name}”，内容不同：已采用“{used[name]}”"
                                        f"的内容，“{label}”的内容作为附加栏目保存，请核对"))
    return raw, extra


def normalize_number(text: str) -> str:
    """编号 compare as one spelling: half-width, upper case, one kind of dash, no spaces."""
    plain = v.to_halfwidth(text).upper()
    plain = re.sub(r"[‐‑‒–—―−－]", "-", plain)
    return re.sub(r"\s+", "", plain)


# Letters and digits OCR takes for one another on a printed underline (measured: TS- read IS-, 7158 read Z158).
CONFUSABLE = {"I": "T1L", "T": "I", "L": "I1", "Z": "27", "O": "0D", "D": "0O", "Q": "0", "S": "5", "B": "8",
              "G": "6", "1": "IL", "0": "OD", "2": "Z", "7": "Z", "5": "S", "8": "B", "6": "G"}
_CODE_SHAPE = re.compile(r"^[A-Z]{1,4}-[0-9A-Z]+(?:-[0-9A-Z]+)*$")


def number_doubt(form: FormDef, text: str, known: Iterable[str] = ()) -> str | None:
    """Why a 编号 read from a scan cannot be trusted as read (None: it can). A code shaped ``XX-2026-0042``
    whose number groups hold a letter (``YS-2026-Z158``), or whose letters are a confusable spelling of a 编号
    prefix the definitions give — this form's entry_number, or ``known``, every form's (``IS-`` for ``TS-``:
    a 投诉处理单 number written on a 物品放行条) — and not themselves one, is for a person to check."""
    plain = normalize_number(text)
    if not _CODE_SHAPE.match(plain):
        return None
    head, *groups = plain.split("-")
    if any(re.search(r"\d", g) and re.search(r"[A-Z]", g) for g in groups):
        return f"编号“{text}”的数字部分夹有字母，可能识别有误"
    prefixes = {p for p in (form.number_prefix, *known) if p}
    if head in prefixes:
        return None
    for prefix in sorted(prefixes, key=lambda p: p != form.number_prefix):
        if len(head) == len(prefix) and all(a == b or b in CONFUSABLE.get(a, "")
                                            for a, b in zip(head, prefix, strict=True)):
            return f"编号“{text}”与编号字头 {prefix}（如 {prefix}-2026-0001）只差易混字母，可能识别有误"
    return None


def scan_doubt(form: FormDef, name: str, text: str, values: Mapping[str, str] | None = None,
               known_prefixes: Iterable[str] = ()) -> str | None:
    """Why a value read from a scan fails its field (a date that is no date, a bad ID number, a 编号 with
    confused letters): such a value is 待核对, never filled as read. None: it passes. ``known_prefixes``:
    the 编号 prefixes of every definition (`FormRegistry.number_prefixes`)."""
    f = form.field(name)
    if name == form.number_field:
        return number_doubt(form, text, known_prefixes)
    if f.type in ("date", "datetime", "money", "number", "phone", "id_number"):
        try:
            _parse(f, text, values or {}, [])
        except ValueProblem as exc:
            return exc.message
    return None


_SPECK = "\\s.·・*:：,，;；'\"`"      # what scanner speckle reads as: a dot, a colon, a star beside the digits
_SPECK_ENDS = re.compile(f"^[{_SPECK}]+|[{_SPECK}]+$")
_SPECK_INSIDE = re.compile(f"[{_SPECK}]")
_DATE_SPECK_TIME = re.compile(f"^(\\d{{4}}-\\d{{1,2}}-\\d{{1,2}})[{_SPECK}]+(\\d{{1,2}}:\\d{{2}})")


def scan_clean(f: FieldDef, text: str) -> str:
    """A value read from a scan with what speckle adds taken away, as far as its type says it cannot be part of
    it: an ID number (`check_id_number`: letters and digits) loses every dot, colon, star or dash, a telephone
    (`normalize_phone`: digits, dashes, brackets) every dot, colon or star; a date, time, number or amount loses
    them at its ends, and a date-time the one between the date and the time (``2026-05-12.19:50``). The value is then checked as
    usual (`scan_doubt`): a speck that hid a digit still fails the check digit or the date."""
    if f.type not in ("id_number", "phone", "date", "datetime", "number", "money"):
        return text
    plain = v.to_halfwidth(text)
    if f.type == "id_number":     # no ID, passport, permit or credit code has a dash: a speck read as one
        return _SPECK_INSIDE.sub("", plain).replace("-", "").replace("—", "")
    if f.type == "phone":
        return _SPECK_INSIDE.sub("", plain)
    plain = _SPECK_ENDS.sub("", plain)
    if f.type == "datetime":
        plain = _DATE_SPECK_TIME.sub(r"\1 \2", plain)
    return plain


def _enum_value(f: FieldDef, text: str) -> str:
    plain = v.to_simplified(v.to_halfwidth(text)).strip()
    for choice in f.choices:
        if plain == choice:
            return choice
    raise ValueProblem(f"“{f.name}”的值“{plain[:20]}”不是可选值（可选：{'、'.join(f.choices)}）", code="bad_enum")


def _parse(f: FieldDef, text: str, values: Mapping[str, str], warnings: list[Problem]) -> str:
    kind = f.type
    serial = v.excel_serial(text) if kind in ("date", "datetime") else None   # a batch cell without a date format
    if kind == "date":
        return (serial.date() if serial else v.parse_date(text)).isoformat()
    if kind == "datetime":
        moment, date_only = (serial, serial.time() == dt.time()) if serial else v.parse_datetime(text)
        if date_only:
            warnings.append(Problem(f.name, "date_only", f"“{f.name}”只填了日期，按当天 00:00 记录"))
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if kind == "money":
        return f"{v.parse_money(text):.2f}"
    if kind == "number":
        return format(v.parse_number(text).normalize(), "f")
    if kind == "enum":
        return _enum_value(f, text)
    if kind == "phone":
        return v.normalize_phone(text)
    if kind == "id_number":
        return v.check_id_number(text, values.get(f.id_type_field or "") or None)
    return text


def check(form: FormDef, labelled: Mapping[str, str], estates: EstateLookup,
          describe: Callable[[str], str] | None = None) -> Checked:
    """Validate labelled values as ``form``; every problem is reported, none raised."""
    out = Checked(form=form, values={}, raw={})
    out.raw, out.extra = map_labels(form, labelled, out.warnings)
    failed: set[str] = set()

    def problem(f: FieldDef, code: str, message: str) -> None:
        failed.add(f.name)
        out.problems.append(Problem(f.name, code, message))

    # Enums first (their defaults drive conditions and ID types), then everything but the room.
    ordered = sorted(form.fields, key=lambda f: {"enum": 0, "estate": 1, "room": 3}.get(f.type, 2))
    estate: str | None = None
    for f in ordered:
        text = out.raw.get(f.name, "")
        if not text and f.default is not None:
            text = f.default
        if not text:
            continue
        try:
            if f.type == "estate":
                estate = estates.resolve(text)
                if estate is None:
                    problem(f, "unknown_estate", f"项目“{text[:30]}”不存在：请先导入该项目的房屋清单，"
                                                 f"或用 hudang estates add 添加")
                    continue
                out.values[f.name] = estate
            elif f.type == "room":
                if estate is None:
                    out.values[f.name] = text
                    if not is_public(text, form.public_rooms):
                        parse_room(text)  # still report a malformed room at once
                    continue
                place = estates.place(estate, text, form.public_rooms)
                out.place = place
                out.values[f.name] = place.display
            elif f.name == form.number_field:
                out.values[f.name] = normalize_number(text)
            else:
                out.values[f.name] = _parse(f, text, out.values, out.warnings)
        except ValueProblem as exc:
            problem(f, exc.code, exc.message if f.name in exc.message else f"“{f.name}”：{exc.message}")

    for f in form.fields:
        if f.name in out.values or f.name in failed:
            continue
        if f.required and not (f.type == "room" and form.room_optional):
            problem(f, "missing", f"缺少必填项“{f.name}”")
        elif f.required_when and f.required_when.holds(out.values):
            cond = f.required_when
            problem(f, "missing_conditional", f"“{cond.field}”为“{cond.equals}”时必须填写“{f.name}”")
    for f in form.fields:
        if f.must_equal_when and f.must_equal_when[0].holds(out.values) and f.name in out.values:
            cond, wanted = f.must_equal_when
            if out.values[f.name] != wanted:
                problem(f, "conditional_value", f"“{cond.field}”为“{cond.equals}”时“{f.name}”应为“{wanted}”")
        for ref in f.not_before:
            mine, other = out.values.get(f.name), out.values.get(ref)
            if mine and other and mine < other and f.name not in failed:
                code = "before_opened" if ref == form.opened_field else "out_of_order"
                problem(f, code, f"“{f.name}”（{mine[:16]}）早于“{ref}”（{other[:16]}）")
    order = {f.name: i for i, f in enumerate(form.fields)}
    out.values = dict(sorted(out.values.items(), key=lambda kv: order.get(kv[0], len(order))))
    if out.place is None and estate is not None and form.room_field and form.room_optional \
            and not out.raw.get(form.room_field):
        out.place = estates.place(estate, "公共", ("公共",))  # no room: the estate's public file
    return out
