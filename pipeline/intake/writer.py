"""The writer side of intake: one thread files, in order, what the readers hand over.

Each read item goes through the writer stages: duplicate check → one filer chosen by kind (single form,
form batch, import table, scan) → held for the group commit. Each group goes through commit (one durable
archive write) → outcomes (reported only once durable). A stage raises `Rejection`; `file_items`, not the
stage, turns it into the item's outcome. All state of a run lives in its `Run`.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.archive.store import Archive, Filing
from hudang.errors import (
    HudangError,
    IngestStopped,
    NotFound,
    Problem,
    Rejection,
    UnreadableFile,
    UsageError,
    ValueProblem,
    disk_full,
)
from hudang.forms.definitions import FormDef
from hudang.forms.names import extra_fields_warning
from hudang.forms.readers.tabular import write_rows
from hudang.forms.table_kinds import ROSTER
from hudang.forms.validate import Checked, check
from hudang.forms.values import mask_text
from hudang.pipeline.dunning import fees
from hudang.pipeline.household.owners import SELLER
from hudang.pipeline.intake import backlog, imports, tables
from hudang.pipeline.intake import quarantine as q
from hudang.pipeline.intake.outcomes import (
    DUPLICATE,
    FILED,
    IGNORED,
    IMPORTED,
    PARTIAL,
    QUARANTINED,
    STATUS_TEXT,
    Outcome,
    RowOutcome,
    Taken,
)
from hudang.pipeline.intake.readers import Read, item_of
from hudang.pipeline.intake.stages import Context, Item, TableOptions, reject

log = logging.getLogger("hudang.intake")


def problems_json(ps: Iterable[Problem], row: int | None = None) -> list[dict[str, Any]]:
    out = []
    for p in ps:
        entry: dict[str, Any] = {"field": p.field, "code": p.code, "message": mask_text(p.message)}
        if row is not None:
            entry["row"] = row
        out.append(entry)
    return out


@dataclass
class Pending:
    """A filing waiting for the group commit, and the outcome (or batch row) its result completes."""

    item: Item
    filing: Filing
    outcome: Outcome | RowOutcome


@dataclass
class Batch:
    """A batch file's outcome, reported after the group commit that files its rows."""

    item: Item
    outcome: Outcome
    known: bool


def _original(item: Item) -> dict[str, Any]:
    """Where a file left uncopied was found, and what tells it apart from a later file of that name."""
    where = item.origin or item.path
    try:
        st = os.stat(item.path)
        size, mtime = st.st_size, round(st.st_mtime, 3)
    except OSError:
        size, mtime = item.size, None
    return {"path": str(where), "size": size, "mtime": mtime}


class Run:
    """One writer run: the outcomes so far, what waits for the group commit, and the indexer beside it."""

    def __init__(self, ctx: Context, archive: Archive, on_outcome: Callable[[Outcome], None] | None = None,
                 retry_of: str | None = None, index_later: bool = False) -> None:
        self.ctx = ctx
        self.archive = archive
        self.on_outcome = on_outcome
        self.retry_of = retry_of
        self.retried_from: dict[str, Any] = {}
        if retry_of:  # where the file first came from, before it waited in quarantine
            entry: dict[str, Any] = next((e for e in q.entries(ctx.home.quarantine) if e["id"] == retry_of), {})
            self.retried_from = {"quarantine_id": retry_of, "source": entry.get("source"), "at": entry.get("at")}
        self.outcomes: list[Outcome] = []
        self.pending: list[Pending] = []
        self.batches: list[Batch] = []
        self.indexer = backlog.Indexer(ctx.home, ctx.forms, later=index_later)
        self.tables = True   # False: import tables (rosters, ledgers …) are refused, not read in (a web upload
                             # by someone who may not import them)

    def emit(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        log.info("%s %s %s %s", STATUS_TEXT.get(outcome.status, outcome.status), outcome.source,
                 outcome.household or "", "; ".join(e["message"] for e in outcome.errors))
        if self.on_outcome:
            self.on_outcome(outcome)

    def quarantine(self, item: Item, problems: list[dict[str, Any]], *, rows_file: Path | None = None) -> str:
        """Keep the file (or a batch's bad rows) in quarantine; a retried entry keeps its id."""
        root = self.ctx.home.quarantine
        if self.retry_of:
            return q.update(root, self.retry_of, problems, rows_file=rows_file)
        form = (item.form.id, item.form.name) if item.form else None
        if rows_file is None and item.snapshot is None and any(p["code"] == "too_large" for p in problems):
            # Too large to keep a copy of (on every try): reported with where it was, never copied.
            return q.quarantine(root, None, item.source, problems, form=form, name=item.path.name,
                                original=_original(item))
        source = rows_file or item.snapshot or (item.path if item.path.is_file() else None)
        # The rows file has its own format's suffix (a legacy .xls batch's rows come back as .xlsx).
        name = f"{Path(item.path.name).stem}-问题行{rows_file.suffix}" if rows_file else item.path.name
        batch = item.table is not None or (item.extraction is not None and item.extraction.kind == "table")
        table = dataclasses.asdict(item.options) if batch and item.options else None   # a retry keeps them
        return q.quarantine(root, source, item.source, problems, form=form, rows_file=rows_file is not None,
                            sha256=item.sha256, name=name, table=table,
                            document=dict(item.document) if item.document and rows_file is None else None)

    def quarantine_rows(self, item: Item, problems: list[dict[str, Any]], bad: list[Any]) -> str:
        """A batch's bad rows go to quarantine as a file of their own (title rows, header and those rows)."""
        assert item.extraction is not None
        rows_path = self.ctx.snapshots / f"rows-{item.path.stem[:40]}{item.path.suffix.lower()}"
        rows_path = write_rows(rows_path, item.extraction, bad)
        try:
            return self.quarantine(item, problems, rows_file=rows_path)
        finally:
            rows_path.unlink(missing_ok=True)

    def rejected(self, item: Item, rej: Rejection) -> None:
        if any(p.code == "disk_full" for p in rej.problems):  # not the file's fault: the run stops, it waits
            raise OSError(errno.ENOSPC, rej.problems[0].message)
        out = Outcome(item.source, rej.status, form=item.form.id if item.form else None,
                      errors=problems_json(rej.problems))
        if rej.status == QUARANTINED:
            out.detail["quarantine_id"] = self.quarantine(item, out.errors)
            if item.snapshot is None and any(e["code"] == "too_large" for e in out.errors):
                out.detail["not_copied"] = True   # quarantine holds only its report: the file itself is kept
        elif rej.status == DUPLICATE:
            out.detail.update({k: str(v) for k, v in rej.detail.items()})
            out.errors = []
            out.warnings = problems_json(rej.problems)
        elif rej.status == IGNORED:
            out.warnings, out.errors = out.errors, []
        self.emit(out)

    def hold(self, item: Item, taken: Taken) -> None:
        """Report now what files nothing; keep filings (and their outcomes) for the group commit."""
        self.pending += [Pending(item, filing, out) for filing, out in taken.filings]
        if taken.rows:
            self.batches.append(Batch(item, taken.outcome, taken.known))
        elif not taken.filings:
            self.emit(taken.outcome)

    def filing(self, item: Item, form: FormDef, checked: Checked, text: str, batch_row: int | None = None) -> Filing:
        """The filing for one checked form (or batch row), with its provenance and warnings."""
        prov = item.provenance()
        if self.retry_of:
            prov["retried_from"] = self.retried_from
        if batch_row is not None:
            prov["batch"] = {"row": batch_row, "sha256": item.sha256}
        warnings = filing_warnings(self.archive, form, checked, item.warnings)
        extra = extra_fields(checked)
        return Filing(form_id=form.id, form_code=form.code, place=checked.place, values=checked.values,
                      raw=checked.raw, extra=extra, text=text, provenance=prov,
                      original=None if batch_row is not None else item.snapshot,
                      number=checked.number, form_date=checked.form_date, warnings=warnings,
                      form_version=form.version)


def filing_warnings(archive: Archive, form: FormDef, checked: Checked, read: Iterable[Problem] = ()
                    ) -> list[dict[str, Any]]:
    """What a filed form carries as warnings: the reader's, the checks', the arrears notice, the extra fields."""
    warnings = problems_json([*read, *checked.warnings])
    if form.id == "goods_release" and checked.place is not None:  # fees are checked before a 放行条 is signed
        notice = fees.release_warning(archive.conn, checked.place.estate, checked.place.key, checked.form_date)
        if notice:
            warnings.append(notice)
    extra = extra_fields_warning(extra_fields(checked), form.labels, form.name)
    if extra is not None:
        warnings += problems_json([extra])
    return warnings


def extra_fields(checked: Checked) -> dict[str, str]:
    """What the document filled in under names its form lacks: kept on the record, never dropped."""
    return {k: v for k, v in checked.extra.items() if k and v}


# ---- the writer stages, per item ----

def check_duplicate(run: Run, item: Item) -> Taken | None:
    """The same bytes filed before are a duplicate — or, when this claim filed them before a crash, recovered.

    A batch of form rows is checked row by row instead (file SHA + row number), so a run that died
    between its rows resumes instead of calling the whole file a duplicate."""
    assert item.extraction is not None and item.sha256 is not None
    if item.extraction.kind == "table" and item.table is None:
        return None
    ref = run.archive.known_original(item.sha256)
    if not ref:
        return None
    if item.claim_id and run.archive.claim_of(ref) == item.claim_id:
        info = run.archive.describe(ref)   # only the release of the claimed file was missing
        return Taken(Outcome(item.source, info.get("status", FILED), form=info.get("form"),
                             household=info.get("household"), record_id=info.get("record_id"),
                             version=info.get("version"), archive_no=info.get("archive_no"),
                             kind=info.get("kind"), row_count=info.get("rows"), detail={"recovered": True}))
    raise Rejection(DUPLICATE, [Problem(None, "duplicate", f"与已归档的文件内容完全相同（{ref}）")], duplicate_of=ref)


def file_form(run: Run, item: Item) -> Taken:
    """One form: checked against the catalog, then filed with the group."""
    assert item.form is not None and item.extraction is not None
    checked = check(item.form, item.extraction.records[0].fields, run.archive.estates)
    if not checked.ok or checked.place is None:
        raise Rejection(QUARANTINED, checked.problems or [Problem(item.form.room_field, "missing", "无法确定住户")])
    out = Outcome(item.source, FILED, form=item.form.id, household=f"{checked.place.estate}/{checked.place.key}",
                  warnings=problems_json([*item.warnings, *checked.warnings]))
    filing = run.filing(item, item.form, checked, item.extraction.text)
    out.warnings += [w for w in filing.warnings if w["code"] in ("in_arrears", "extra_fields")]
    return Taken(out, [(filing, out)])


def file_batch(run: Run, item: Item) -> Taken:
    """A table of form rows: good rows filed with the group, bad rows quarantined as a file of their own."""
    ext = item.extraction
    assert ext is not None
    if item.form is None:
        raise reject("unknown_form", "无法判断表格中的表单类型")
    option = item.options.estate if item.options else None
    if option and run.archive.estates.resolve(option) is None:
        raise reject("unknown_estate", f"--estate 指定的项目“{option}”不存在", "项目")
    out = Outcome(item.source, FILED, form=item.form.id, rows=[])
    rows: list[RowOutcome] = []
    filings: list[tuple[Filing, Outcome | RowOutcome]] = []
    bad = []
    extra_names: dict[str, None] = {}
    for rec in ext.records:
        fields = tables.merge_room_columns(item.form, rec.fields, run.ctx.tables)
        fields, mismatch = tables.batch_row_estate(item.form, fields, option, run.archive.estates)
        checked = check(item.form, fields, run.archive.estates)
        checked.problems[:0] = mismatch
        extra_names.update(dict.fromkeys(extra_fields(checked)))
        row = RowOutcome(rec.row or 0, FILED)
        rows.append(row)
        if not checked.ok or checked.place is None:
            row.status, row.errors = QUARANTINED, problems_json(checked.problems, rec.row)
            bad.append(rec)
            continue
        row.household = f"{checked.place.estate}/{checked.place.key}"
        row.warnings = problems_json(checked.warnings, rec.row)
        text = "\n".join(f"{k}：{v}" for k, v in rec.fields.items() if v)
        filing = run.filing(item, item.form, checked, text, rec.row)
        row.warnings += [w for w in filing.warnings if w["code"] == "in_arrears"]
        filings.append((filing, row))
    out.rows = rows
    out.errors = [e for r in rows for e in r.errors]
    notice = extra_fields_warning(extra_names, item.form.labels, item.form.name)
    if notice is not None:   # one summary for the file; each filed row's record says it too
        out.warnings = out.warnings + problems_json([notice])
    known = bool(item.sha256 and run.archive.known_original(item.sha256))
    # Order matters for crash safety: bad rows to quarantine (idempotent by SHA-256), then the batch
    # file, then its rows at the next group commit (each row known by file SHA + row number).
    if bad:
        out.status = QUARANTINED if len(bad) == len(ext.records) else PARTIAL
        out.detail["quarantine_id"] = run.quarantine_rows(item, out.errors, bad)
    if len(bad) < len(ext.records) and item.snapshot is not None and not known:
        run.archive.file_import("batch", item.snapshot, item.provenance(),
                                [{"row": r.row, "status": r.status} for r in rows], form=item.form.id)
    return Taken(out, filings, rows=True, known=known)


def table_warnings(item: Item, plan: imports.TablePlan) -> list[dict[str, Any]]:
    """One summary of the columns for the whole file, and where its estate came from."""
    assert item.columns is not None
    notes = [Problem(None, "columns", item.columns.summary())]
    if plan.estate.source and plan.estate.source != "column":
        notes.append(Problem("项目", "estate_from", f"项目“{plan.estate.name}”取自"
                             f"{ESTATE_FROM_TEXT[plan.estate.source]}"))
    return problems_json([*item.warnings, *notes])


ESTATE_FROM_TEXT = {"column": "“项目”列", "option": "--estate", "folder": "所在文件夹名", "title": "表格标题行",
                    "file_name": "文件名"}


def import_table(run: Run, item: Item) -> Taken:
    """A roster, owner list, fee ledger or reminder log: good rows imported at once, bad rows quarantined."""
    ext, kind = item.extraction, item.table
    assert ext is not None and kind is not None and item.snapshot is not None
    plan = imports.plan_table(item, run.archive.estates, run.ctx.forms, run.ctx.home.intake)
    errors = [e for p, row in plan.errors for e in problems_json([p], row or None)]
    out = Outcome(item.source, IMPORTED, kind=kind.id, row_count=len(plan.good), errors=errors,
                  warnings=table_warnings(item, plan),
                  detail={"estate_from": plan.estate.source, **plan.summary(kind.id, run.archive.estates)})
    filings: list[tuple[Filing, Outcome | RowOutcome]] = []
    if plan.good:
        if kind.id == ROSTER:
            for estate in dict.fromkeys(r["estate"] for r in plan.good if r):
                run.archive.add_estate(estate)
            for r in plan.good:
                r["estate"] = run.archive.estates.resolve(r["estate"]) or r["estate"]
        rows = [{k: v for k, v in r.items() if k != "values"} for r in plan.good]
        listed_before = imports.listed_owners(run.archive.conn, rows) if kind.id == ROSTER else {}
        run.archive.file_import(kind.id, item.snapshot, item.provenance(), rows)
        if kind.id == ROSTER:
            imports.roster_owners(item, plan, run.archive.estates, run.ctx.forms, listed_before)
            out.errors += [e for p, row in plan.errors for e in problems_json([p], row)
                           if e not in out.errors]
            out.detail["registrations_new"] = sum(1 for o in plan.owners if not o.unchanged and not o.record_id)
            out.detail["rows_bad"] = len(plan.bad)
            out.detail["rows_ok"] = plan.source_rows - len(plan.bad)
        filings = _owner_filings(run, item, plan, out)
    if plan.bad:
        out.status = PARTIAL if plan.good else QUARANTINED
        # The retry of the bad rows reads them as this file was read: same estate, profile and sheet.
        estate = plan.estate.name if plan.estate.source not in (None, "column") else plan.estate.option
        item.options = TableOptions(estate=estate, profile=item.columns.profile if item.columns else None,
                                    sheet=ext.sheet)
        out.detail["quarantine_id"] = run.quarantine_rows(item, out.errors, plan.bad)
    return Taken(out, filings, rows=bool(filings))


def _owner_filings(run: Run, item: Item, plan: imports.TablePlan, out: Outcome) -> list[tuple[Filing,
                                                                                          Outcome | RowOutcome]]:
    """An owner list's rows as 住户登记表 versions; an unchanged row adds nothing."""
    filings: list[tuple[Filing, Outcome | RowOutcome]] = []
    out.rows = []
    for owner in plan.owners:
        row = RowOutcome(owner.row, FILED)
        out.rows.append(row)
        if owner.unchanged:
            row.status = DUPLICATE
            row.warnings = [{"field": None, "code": "unchanged", "message": "与现有住户登记相同，未新增"}]
            continue
        if owner.review:
            row.warnings = problems_json([Problem(name, "to_review", f"“{name}”未填，已标记待核对")
                                          for name in owner.review], owner.row)
        form = owner.checked.form
        filing = run.filing(item, form, owner.checked, "\n".join(f"{k}：{v}" for k, v in owner.checked.values.items()
                                                                 if v), owner.row)
        filing.review = list(owner.review)
        filing.record_id = owner.record_id
        if owner.seller:
            filing.extra = {**filing.extra, SELLER: owner.seller}
        filing.provenance["batch"] = {"row": owner.row, "sha256": item.sha256, "import": "owners",
                                      **({"block": owner.block} if owner.block > 1 else {})}
        filings.append((filing, row))
    return filings


def file_scan(run: Run, item: Item) -> Taken:
    """A scan: routed documents filed with the group, the rest parked in the unsorted queue."""
    from hudang.pipeline.scans import queue

    return queue.take(item, run.archive, run.ctx.forms, run.ctx.home)


def file_document(run: Run, item: Item) -> Taken:
    """A 文件 (any document, its description given or read from its folder): filed with the group."""
    from hudang.pipeline.household import documents

    filing, warnings = documents.intake_filing(run.ctx.forms, run.archive.estates, item)
    out = Outcome(item.source, FILED, form=filing.form_id, household=filing.place.address, warnings=warnings,
                  detail={"review": filing.review} if filing.review else {})
    return Taken(out, [(filing, out)])


Filer = Callable[[Run, Item], Taken]
FILERS: dict[str, Filer] = {"scan": file_scan, "import": import_table, "batch": file_batch, "form": file_form,
                            "document": file_document}


def kind_of(item: Item) -> str:
    assert item.extraction is not None
    if item.document is not None:
        return "document"
    if item.extraction.kind == "scan":
        return "scan"
    if item.table is not None:
        return "import"
    return "batch" if item.extraction.kind == "table" else "form"


def take(run: Run, item: Item) -> None:
    """The writer stages for one read item, in order: duplicate check → its filer → held for the commit."""
    kind = kind_of(item)
    if kind == "import" and not run.tables:
        taken = Taken(Outcome(item.source, IGNORED, kind=item.table.id if item.table else None, errors=[
            {"field": None, "code": "tables_not_allowed",
             "message": "房屋清单、收费台账等导入表只能由管理员上传，未接收"}]))
    else:
        taken = check_duplicate(run, item) or FILERS[kind](run, item)
    run.hold(item, taken)


# ---- the writer stages, per group ----

def commit(run: Run) -> None:
    """Group commit: everything pending becomes durable at once; each result completes its outcome."""
    if not run.pending:
        return
    filed = run.archive.file([p.filing for p in run.pending])
    run.indexer.add(r.record_id for r in filed if r.record_id and not r.duplicate_of)
    for p, result in zip(run.pending, filed, strict=True):
        out = p.outcome
        if result.duplicate_of:
            out.status = DUPLICATE
            out.warnings = out.warnings + [{"field": None, "code": "duplicate",
                                            "message": f"与已归档的记录相同（{result.duplicate_of}）"}]
            if isinstance(out, Outcome):
                out.detail["duplicate_of"] = result.duplicate_of
        out.record_id, out.version, out.archive_no = result.record_id or None, result.version or None, \
            result.archive_no or None
        out.household = f"{result.place.estate}/{result.place.key}"
        out.warnings = out.warnings + result.warnings
        if result.moved_from and isinstance(out, Outcome):
            out.detail["moved_from"] = result.moved_from


def report(run: Run) -> None:
    """Outcomes of the group, now durable: single files first, then batches (each after all its rows)."""
    for p in run.pending:
        if isinstance(p.outcome, Outcome):
            run.emit(p.outcome)
    for batch in run.batches:
        out = batch.outcome
        if batch.known and not any(r.status == FILED for r in out.rows or []):
            ref = run.archive.known_original(batch.item.sha256 or "") or ""
            if batch.item.claim_id and run.archive.claim_of(ref) == batch.item.claim_id:
                out.detail["recovered"] = True  # this claim filed it before a restart
            else:
                out.status, out.errors = DUPLICATE, []
                out.detail["duplicate_of"] = ref
        run.emit(out)
    run.pending, run.batches = [], []


Defer = Callable[[Item, Rejection], bool]


def file_items(ctx: Context, items: list[Item], results: Iterable[Read], *,
               on_outcome: Callable[[Outcome], None] | None = None, retry_of: str | None = None,
               defer: Defer | None = None, tables: bool = True, index_later: bool = False) -> list[Outcome]:
    """The writer: take read results in order, file in group commits; every item gets one outcome
    (or, when ``defer`` says so, is handed back to the caller untouched). Records waiting in the index backlog
    are indexed with this run's (one commit); with ``index_later`` this run's records join them there instead,
    for the next writer (a web upload with more batches to come)."""
    archive = Archive(ctx.home)
    run = Run(ctx, archive, on_outcome, retry_of, index_later)
    run.tables = tables
    snapshots: list[Path] = []   # private copies to drop once their outcome is out (not whole items)

    def flush() -> None:
        commit(run)
        report(run)
        for snap in snapshots:
            shutil.rmtree(snap.parent, ignore_errors=True)
        snapshots.clear()

    try:
        with archive.writer():
            run.indexer.add(backlog.waiting(ctx.home))
            group = ctx.home.limits.group_commit
            for result in results:
                item = item_of(result)
                if item.snapshot is not None:
                    snapshots.append(item.snapshot)
                if isinstance(result, tuple):
                    if defer is None or not defer(*result):
                        run.rejected(*result)
                else:
                    try:
                        take(run, result)
                    except Rejection as rej:
                        run.rejected(result, rej)
                    except (UsageError, NotFound, ValueProblem, UnreadableFile) as exc:
                        # a rule of the archive refusing what this file says: that file's outcome, never the
                        # batch's (the archive itself failing — disk, lock, integrity — still stops the run)
                        run.rejected(result, Rejection(QUARANTINED, [Problem(exc.field, exc.code, exc.message)]))
                if len(run.pending) >= group:
                    flush()
            flush()
            run.indexer.finish()
    except Exception as exc:
        # The archive refused (disk full — said by the OS or by SQLite —, permissions …): what was reported
        # stays true and durable; files not yet reported were not filed and can simply be taken in again.
        if not isinstance(exc, (HudangError, OSError)) and not disk_full(exc):
            raise
        raise IngestStopped(exc, run.outcomes, items) from exc
    finally:
        run.indexer.join()
        archive.close()
        for snap in snapshots:
            shutil.rmtree(snap.parent, ignore_errors=True)
    return run.outcomes
