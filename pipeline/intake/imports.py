"""What an import table would bring in (SPEC §12) — worked out without writing, so `ingest --dry-run` shows the
same plan that the writer then files: rows kept and refused, estates and rooms created, households touched,
ledger months, owner registrations new or changed.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.archive import catalog
from hudang.archive.estates import Estates
from hudang.errors import Problem
from hudang.forms.definitions import FieldDef, FormDef, FormRegistry
from hudang.forms.readers.model import RawRecord
from hudang.forms.table_kinds import LEDGER, OWNERS, ROSTER
from hudang.forms.validate import Checked, check
from hudang.pipeline.intake import tables
from hudang.pipeline.intake.stages import Item

# An owner list seldom has these; its rows are kept with them empty and 待核对 (SPEC §12), while a 住户登记表
# filled at move-in still needs them.
OWNER_OPTIONAL = ("入住日期", "证件号码", "联系电话")


@dataclass
class OwnerRow:
    row: int
    checked: Checked
    record_id: str | None          # the household's registration this row is a new version of
    review: list[str]
    unchanged: bool = False
    block: int = 1                 # the side-by-side block the row was in
    seller: str = ""               # a 过户 from an owner only the roster named: that owner (kept as 原业主)


@dataclass
class TablePlan:
    good: list[dict[str, Any]] = field(default_factory=list)
    bad: list[RawRecord] = field(default_factory=list)
    errors: list[tuple[Problem, int]] = field(default_factory=list)
    estate: tables.FileEstate = field(default_factory=tables.FileEstate)
    owners: list[OwnerRow] = field(default_factory=list)
    source_rows: int = 0

    def summary(self, kind: str, estates: Estates) -> dict[str, Any]:
        """What the file would create: rows, rooms, households, ledger months (for --dry-run and the outcome)."""
        out: dict[str, Any] = {"rows_read": self.source_rows, "rows_ok": self.source_rows - len(self.bad),
                               "rows_bad": len(self.bad)}
        names = {r.get("estate") for r in self.good if r.get("estate")}
        out["estates_new"] = sorted(n for n in names if estates.resolve(n) is None)
        if kind == ROSTER:
            out["rooms"] = len({(r["estate"], r["key"]) for r in self.good})
        else:
            out["households"] = len({(r.get("estate"), r.get("household")) for r in self.good})
        if kind == LEDGER:
            out["ledger_months"] = len(self.good)
        if kind == OWNERS:
            out["registrations_new"] = sum(1 for o in self.owners if not o.unchanged and o.record_id is None)
            out["registrations_changed"] = sum(1 for o in self.owners if not o.unchanged and o.record_id)
            out["registrations_unchanged"] = sum(1 for o in self.owners if o.unchanged)
        return out


def _folders(item: Item, intake: Path | None) -> list[str]:
    """Folder names from the file up to the path given (or the intake folder), nearest first."""
    names, folder = [], (item.origin or item.path).parent
    stop = intake if item.in_intake else item.root
    while folder != folder.parent:
        names.append(folder.name)
        if folder == stop or folder == item.root:
            break
        folder = folder.parent
    return names


def owner_form(form: FormDef) -> FormDef:
    """The registration form as an owner list fills it: 入住日期, 证件号码, 联系电话 not required."""
    fields: tuple[FieldDef, ...] = tuple(dataclasses.replace(f, required=False) if f.name in OWNER_OPTIONAL else f
                                         for f in form.fields)
    return dataclasses.replace(form, fields=fields)


def _current_registration(estates: Estates, form_id: str, estate: str,
                          household: str) -> tuple[str, dict[str, Any]] | None:
    rows = catalog.current_versions(estates.conn, "r.record_id, v.fields",
                                    "r.form = ? AND r.estate = ? AND r.household = ? AND r.voided = 0",
                                    (form_id, estate, household), then="ORDER BY r.filed_at DESC LIMIT 1")
    if not rows:
        return None
    return str(rows[0]["record_id"]), json.loads(rows[0]["fields"] or "{}")


def plan_table(item: Item, estates: Estates, forms: FormRegistry, intake: Path | None) -> TablePlan:
    """Check every row of an import table against the catalog as it stands; nothing is written."""
    ext, columns = item.extraction, item.columns
    assert ext is not None and columns is not None
    plan = TablePlan()
    option = item.options.estate if item.options else None
    plan.estate = tables.file_estate(columns, estates, option=option, folders=_folders(item, intake), ext=ext,
                                     file_name=(item.origin or item.path).name)
    if plan.estate.problems:
        plan.errors += [(p, 0) for p in plan.estate.problems]
        plan.bad = list(ext.records)
        plan.source_rows = len(ext.records)
        return plan
    if "项目" not in columns.found and plan.estate.name is None:
        plan.errors.append((Problem("项目", "no_estate", "无法确定项目：表中没有“项目”列，请用 --estate 指定项目，"
                                                       "或把文件放进以项目命名的子文件夹"), 0))
        plan.bad = list(ext.records)
        plan.source_rows = len(ext.records)
        return plan
    bad_ids: set[int] = set()
    form = forms.get(columns.kind.form) if columns.kind.form else None
    for rec, block, values in tables.rows_of(ext, columns):
        plan.source_rows += 1
        row_no = rec.row or 0
        rows, problems = tables.check_row(columns, values, row_no, estates, plan.estate)
        if not problems and form is not None:
            owner, problems = _owner(form, rows[0], estates)
            if owner is not None:
                owner.block = block + 1
                plan.owners.append(owner)
        if problems:
            plan.errors += [(p, row_no) for p in problems]
            if id(rec) not in bad_ids:
                bad_ids.add(id(rec))
                plan.bad.append(rec)
        else:
            plan.good += [{**r, **({"block": block + 1} if len(columns.blocks) > 1 else {})} for r in rows]
    return plan


def listed_owners(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> dict[tuple[str, str], str | None]:
    """Each room's owner as the catalog's roster names it now, read before a roster import replaces it."""
    out: dict[tuple[str, str], str | None] = {}
    for r in rows:
        found = conn.execute("SELECT owner FROM rooms WHERE estate = ? AND key = ?",
                             (r["estate"], r["key"])).fetchone()
        out[(r["estate"], r["key"])] = found[0] if found else None
    return out


def roster_owners(item: Item, plan: TablePlan, estates: Estates, forms: FormRegistry,
                  listed_before: dict[tuple[str, str], str | None] | None = None) -> None:
    """A room list that names each room's owner with a phone or ID (HC 资产信息) also registers the owners;
    run once the rooms are in the catalog, so each owner's room is found. A row whose owner cannot be
    registered (a bad ID or phone) keeps its room and goes to the problem rows, to be fixed and retried.

    ``listed_before`` is each room's owner as the roster named it before this import (the import has
    replaced it by now): a household whose owner only the roster ever named, listed with a different
    owner, is a 过户 from the import date too — registered, with the roster's earlier owner as seller."""
    columns, ext = item.columns, item.extraction
    assert columns is not None and ext is not None
    records = {rec.row: rec for rec in ext.records}
    from hudang.pipeline.household.owners import history, names

    form = forms.get("registration")
    if form is None or "业主姓名" not in columns.found:
        return
    contacts = bool({"联系电话", "证件号码"} & set(columns.found))
    for row in plan.good:
        values = row.get("values") or {}
        if not values.get("业主姓名"):
            continue
        before = (listed_before or {}).get((row["estate"], row["key"]))
        if not contacts:
            # A plain room list registers nobody, except a 过户: a different owner than the registered one,
            # or, where nobody registered, than the owner the roster named before.
            period = history(estates.conn, row["estate"], row["key"]).current
            new = set(names(values["业主姓名"]))
            if period is not None and period.latest is not None:
                if set(period.owners) == new:
                    continue
            elif not names(before) or set(names(before)) == new:
                continue
        owner, problems = _owner(form, {"estate": row["estate"], "household": row["key"], "row": row["row"],
                                        "values": values}, estates, listed=before)
        if owner is not None:
            plan.owners.append(owner)
            continue
        plan.errors += [(p, row["row"]) for p in problems]
        rec = records.get(row["row"])
        if rec is not None and all(rec is not b for b in plan.bad):
            plan.bad.append(rec)


def _owner(form: FormDef, row: dict[str, Any], estates: Estates, *, listed: str | None = None
           ) -> tuple[OwnerRow | None, list[Problem]]:
    """An owner-list row as a 住户登记表: checked like the form, its missing move-in fields marked 待核对.

    A row naming a different owner than the household's current registration is a 过户 from the import date:
    a new registration (the earlier one stays, no longer current) with 过户日期 = today; `owners.py` reads it
    as any registration and marks it as inferred from an import. Where nobody registered yet, the owner the
    roster names (``listed``, else the room's owner in the catalog) is the one a different name replaces:
    a 过户 as well, the roster's owner kept on the new registration as 原业主 (the seller)."""
    from hudang.clock import now
    from hudang.pipeline.household.owners import history, names

    place_text = estates.conn.execute("SELECT display FROM rooms WHERE estate = ? AND key = ?",
                                      (row["estate"], row["household"])).fetchone()
    fields = {"项目": row["estate"], "房号": place_text[0] if place_text else row["household"], **row["values"]}
    period = history(estates.conn, row["estate"], row["household"]).current
    current = (period.latest.record_id, dict(period.latest.values)) if period is not None and period.latest \
        else _current_registration(estates, form.id, row["estate"], row["household"])
    named = set(names(fields.get("业主姓名")))
    transfer = current is not None and bool(named) \
        and named != set(names(current[1].get("业主姓名") or current[1].get("单位名称")))
    seller = ""
    if current is None:
        if listed is None:
            room = estates.conn.execute("SELECT owner FROM rooms WHERE estate = ? AND key = ?",
                                        (row["estate"], row["household"])).fetchone()
            listed = room[0] if room else None
        if named and names(listed) and set(names(listed)) != named:
            transfer, seller = True, "、".join(names(listed))
    if transfer and form.field("过户日期") is not None and not fields.get("过户日期"):
        fields["过户日期"] = now().date().isoformat()
    elif current is not None and current[1].get("过户日期") and not fields.get("过户日期"):
        fields["过户日期"] = current[1]["过户日期"]      # a list never says when: the 过户 keeps its date
    checked = check(owner_form(form), fields, estates)
    if not checked.ok:
        return None, checked.problems
    review = [name for name in OWNER_OPTIONAL if not checked.values.get(name)]
    record_id, unchanged = None, False
    if current is not None and not transfer:
        record_id = current[0]
        unchanged = {k: v for k, v in current[1].items() if v} == {k: v for k, v in checked.values.items() if v}
    return OwnerRow(row["row"], checked, record_id, review, unchanged, seller=seller), []
