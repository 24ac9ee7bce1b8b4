"""A form entered by hand (the web's 新建 page): checked exactly as intake checks a dropped form, numbered
by hudang when its definition says how (``entry_number``), and filed as a JSON original — all under the
archive's writer lock, so two clerks entering at once never get the same 编号.

The JSON original is the file the intake's JSON reader takes (``{"表单": …, "字段": …}``), so it can be
read again like any other; the 编号 is derived from the catalog (rebuilt from the archive), so it survives
`hudang rebuild`.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import string
import tempfile
import uuid
from pathlib import Path
from typing import Any

from hudang.archive import catalog
from hudang.archive.estates import Place
from hudang.archive.store import Archive, Filing
from hudang.clock import now, stamp
from hudang.errors import FormInvalid, Problem
from hudang.forms.definitions import FormDef
from hudang.forms.validate import Checked, check
from hudang.forms.values import mask_text
from hudang.pipeline.intake.writer import filing_warnings

VIA = "网页录入"


def _pattern(fmt: str, month: str) -> tuple[str, re.Pattern[str]]:
    """The literal prefix of this month's numbers and a regex whose group 1 is the running number."""
    prefix, regex, seen_seq = "", "", False
    for literal, name, spec, _ in string.Formatter().parse(fmt):
        regex += re.escape(literal)
        if not seen_seq:
            prefix += literal
        if name == "month":
            regex += re.escape(month)
            if not seen_seq:
                prefix += month
        elif name == "seq":
            regex += r"(\d+)"
            seen_seq = True
        elif name is not None:
            regex += re.escape(format("", spec or ""))
    return prefix, re.compile(regex)


def next_number(archive: Archive, form: FormDef, estate: str, checked: Checked) -> str:
    """The next free 编号 of ``form`` in ``estate`` for the month the case was opened (voided ones count)."""
    assert form.entry_number is not None
    opened = checked.values.get(form.opened_field or "") or checked.values.get(form.date_field or "")
    month = opened[:7].replace("-", "") if opened else now().strftime("%Y%m")
    prefix, regex = _pattern(form.entry_number, month)
    taken = [int(m.group(1)) for n in catalog.numbers_like(archive.conn, form.id, estate, prefix)
             if (m := regex.fullmatch(n))]
    return form.entry_number.format(month=month, seq=max(taken, default=0) + 1)


def _refuse(form: FormDef, problems: list[Problem]) -> FormInvalid:
    fields: dict[str, str] = {}
    general: list[str] = []
    for p in problems:
        if p.field:
            fields.setdefault(p.field, mask_text(p.message))
        else:
            general.append(mask_text(p.message))
    return FormInvalid(fields, general=general)


def prepare(form: FormDef, place: Place, values: dict[str, str]) -> dict[str, str]:
    """The page's values as labelled values of the form; the household comes from the page's address."""
    names = {f.name for f in form.fields}
    given = {k: (v or "").strip() for k, v in values.items()}
    problems = [Problem(k, "unknown_field", f"“{form.name}”没有字段“{k}”") for k in given if k not in names]
    if form.entry_number and form.number_field and given.get(form.number_field):
        problems.append(Problem(form.number_field, "numbered_by_system",
                                f"“{form.number_field}”由系统编号，请留空"))
    if problems:
        raise _refuse(form, problems)
    given = {k: v for k, v in given.items() if v}
    given[form.estate_field] = place.estate
    if form.room_field and not given.get(form.room_field):
        given[form.room_field] = place.display
    return given


def _checked(archive: Archive, form: FormDef, place: Place, values: dict[str, str]) -> Checked:
    """The intake's own check (forms.validate.check), and the household it finds must be the page's."""
    checked = check(form, values, archive.estates)
    if checked.ok and checked.place is None:
        checked.problems.append(Problem(form.room_field, "missing", "无法确定住户"))
    if checked.ok and checked.place is not None and (checked.place.estate, checked.place.key) != \
            (place.estate, place.key):
        checked.problems.append(Problem(form.room_field, "other_household",
                                        f"“{form.room_field}”（{checked.place.display}）与所选住户"
                                        f"（{place.estate}/{place.display}）不一致"))
    if not checked.ok:
        raise _refuse(form, checked.problems)
    return checked


def enter(archive: Archive, form: FormDef, place: Place, values: dict[str, str], user: str,
          home_tmp: Path) -> dict[str, Any]:
    """File one hand-entered form; raises `FormInvalid` (every field's problem, nothing filed)."""
    labelled = prepare(form, place, values)
    _checked(archive, form, place, labelled)        # refuse before waiting for the writer lock
    folder = Path(tempfile.mkdtemp(prefix="entry-", dir=home_tmp))
    try:
        with archive.writer():
            checked = _checked(archive, form, place, labelled)
            if form.entry_number and form.number_field:
                labelled[form.number_field] = next_number(archive, form, place.estate, checked)
                checked = _checked(archive, form, place, labelled)
            at = stamp()
            entered = {"方式": VIA, "录入人": user, "时间": at, "标识": uuid.uuid4().hex}
            data = json.dumps({"表单": form.name, "字段": labelled, "录入": entered}, ensure_ascii=False, indent=2)
            original = folder / "original.json"
            original.write_bytes(data.encode("utf-8"))
            sha = hashlib.sha256(original.read_bytes()).hexdigest()
            provenance = {"source_name": f"{VIA}-{form.name}.json", "received_at": at, "sha256": sha,
                          "size": original.stat().st_size, "detected_type": "json",
                          "entered": {"via": VIA, "by": user, "at": at}}
            text = "\n".join([f"表单：{form.name}", *(f"{k}：{v}" for k, v in labelled.items())])
            filing = Filing(form_id=form.id, form_code=form.code, place=checked.place or place,
                            values=checked.values, raw=dict(checked.raw), text=text, provenance=provenance,
                            original=original, number=checked.number, form_date=checked.form_date,
                            warnings=filing_warnings(archive, form, checked))
            [filed] = archive.file([filing])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"record_id": filed.record_id, "version": filed.version, "archive_no": filed.archive_no,
            "form": form.id, "household": f"{filed.place.estate}/{filed.place.key}", "number": checked.number,
            "entered_by": user, "entered_at": at, "warnings": [*filing.warnings, *filed.warnings]}
