"""`hudang ingest --dry-run`: read every file and check it as filing would, writing nothing (SPEC §12).

Archive records are never deleted, so a wrong column mapping must be seen before: each import table reports the
rows, rooms, households and ledger months it would create; a form or batch the household it would go to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from hudang.archive import catalog
from hudang.archive.estates import Estates, normalize_name
from hudang.archive.store import Archive
from hudang.errors import Rejection
from hudang.forms.table_kinds import ROSTER
from hudang.forms.validate import check
from hudang.pipeline.intake import imports, tables
from hudang.pipeline.intake.outcomes import PREVIEW, Outcome
from hudang.pipeline.intake.readers import Read
from hudang.pipeline.intake.stages import Context, Item
from hudang.pipeline.intake.writer import problems_json, table_warnings


def preview_items(ctx: Context, results: Iterable[Read]) -> list[Outcome]:
    """Each file's outcome as filing would give it. The checks run against a copy of the catalog in memory, so
    a room list previewed before a fee ledger in the same run makes its rooms known to it, and nothing is
    written (or locked) in the data home."""
    archive = Archive(ctx.home)
    copy = sqlite3.connect(":memory:")
    archive.conn.backup(copy)
    archive.conn.close()
    copy.row_factory = sqlite3.Row
    archive.conn, archive.estates = copy, Estates(copy)
    outcomes: list[Outcome] = []
    try:
        for result in results:
            if isinstance(result, tuple):
                item, rej = result
                outcomes.append(Outcome(item.source, rej.status, errors=problems_json(rej.problems),
                                        detail={"dry_run": True}))
                continue
            try:
                outcomes.append(_preview(ctx, archive, result))
            except Rejection as rej:
                outcomes.append(Outcome(result.source, rej.status, errors=problems_json(rej.problems),
                                        detail={"dry_run": True}))
    finally:
        archive.close()
    return outcomes


def _preview(ctx: Context, archive: Archive, item: Item) -> Outcome:
    ext = item.extraction
    assert ext is not None
    if item.table is not None:
        plan = imports.plan_table(item, archive.estates, ctx.forms, ctx.home.intake)
        errors = [e for p, row in plan.errors for e in problems_json([p], row or None)]
        out = Outcome(item.source, PREVIEW, kind=item.table.id, row_count=len(plan.good), errors=errors,
                      warnings=table_warnings(item, plan),
                      detail={"dry_run": True, "estate_from": plan.estate.source,
                              **plan.summary(item.table.id, archive.estates)})
        if item.table.id == ROSTER:   # later files of this run see these rooms (in the copy only)
            for row in plan.good:
                if archive.estates.resolve(row["estate"]) is None:
                    catalog.put_estate(archive.conn, {"name": row["estate"], "code": "E??"}, normalize_name)
                catalog.put_room(archive.conn, archive.estates.resolve(row["estate"]) or row["estate"], row,
                                 "dry-run")
        return out
    if ext.kind == "scan" or item.form is None:
        return Outcome(item.source, PREVIEW, detail={"dry_run": True, "scan": ext.kind == "scan"})
    households, errors = set(), []
    for rec in ext.records:
        checked = check(item.form, tables.merge_room_columns(item.form, rec.fields, ctx.tables), archive.estates)
        if checked.place is not None and checked.ok:
            households.add(checked.place.address)
        errors += problems_json(checked.problems, rec.row)
    out = Outcome(item.source, PREVIEW, form=item.form.id, errors=errors,
                  detail={"dry_run": True, "records": len(ext.records) - len({e.get("row") for e in errors}),
                          "households": len(households)})
    if len(households) == 1:
        out.household = next(iter(households))
    return out
