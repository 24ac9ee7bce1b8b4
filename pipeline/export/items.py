"""What a household's file hands out (调档): one `Item` per 卷内目录 row, in order, each with where its pages
come from — the original as filed, a letter's PDF, an attachment, or its fields rendered as a filled form.

Masking policy (SPEC §7): without ``full``, a record of a form that holds personal data (a phone or ID
field) is bound as its fields rendered and masked, never as its original, and attachments other than a
letter's 送达回执 are left out (the 备考表 counts them); 文件-type records and letters are bound as filed.
With ``full`` (a reason given, audited) every record is bound as filed, attachments included.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from hudang.archive.catalog import current_versions
from hudang.archive.estates import Place
from hudang.archive.store import Archive
from hudang.forms.binder import kind_of
from hudang.forms.definitions import FormRegistry
from hudang.forms.masking import masked_values
from hudang.forms.values import mask_text
from hudang.pipeline.dunning import fees
from hudang.pipeline.dunning.tracking import letter_state

AUTHOR_FIELDS = ("责任者", "投诉人", "报修人", "申请人", "借用人", "业主姓名", "单位名称")
PERSONAL_TYPES = frozenset({"phone", "id_number"})
RECEIPT = "送达回执"


@dataclass
class Item:
    """One row of the 卷内目录 and the pages behind it."""

    archive_no: str
    author: str
    title: str
    date: str
    note: str = ""
    source: Path | None = None
    """A file to bind as it is (PDF, image, office file); None: ``form`` is rendered instead."""
    source_key: str | None = None
    form: tuple[str, str, list[tuple[str, str]]] | None = None
    """(title, subtitle, label–value pairs) of a filled form."""
    record_id: str | None = None
    fields: dict[str, Any] | None = None
    """The record's fields as the bag's JSON holds them (masked unless full)."""
    originals: list[tuple[str, Path]] = field(default_factory=list)
    """(name in the bag, file) of this household's own untouched originals, for ``full`` only."""
    table: tuple[str, str, list[str], list[list[str]], list[float]] | None = None
    """A generated table page (收费明细): title, subtitle, header, rows, column widths."""


@dataclass
class Collected:
    items: list[Item]
    withheld: int                # attachments or originals left out by masking
    records: int


def _personal(forms: FormRegistry, form_id: str) -> bool:
    try:
        form = forms.by_id(form_id)
    except KeyError:
        return True
    return any(f.type in PERSONAL_TYPES for f in form.fields)


def _form_name(forms: FormRegistry, form_id: str) -> str:
    try:
        return forms.by_id(form_id).name
    except KeyError:
        return form_id


def _title(forms: FormRegistry, form_id: str, values: dict[str, str], number: str | None) -> str:
    if values.get("函号"):
        owed = f" 欠费 {values['欠费金额']} 元" if values.get("欠费金额") else ""
        return f"{values.get('函件类型') or '催缴函'} {values['函号']}{owed}"
    if values.get("题名"):
        return mask_text(values["题名"])
    numbered = f"（编号 {number}）" if number else ""
    try:
        form = forms.by_id(form_id)
    except KeyError:
        return f"{form_id}{numbered}"
    head = form.headline_of(values)
    return f"{form.name}{numbered}" + (f"：{head}" if head else "")


def _in_range(day: str | None, start: dt.date | None, end: dt.date | None) -> bool:
    if not day:
        return start is None and end is None
    d = day[:10]
    return (start is None or d >= start.isoformat()) and (end is None or d <= end.isoformat())


def _record_items(archive: Archive, forms: FormRegistry, row: Any, company: str, full: bool,
                  receipts_only: bool = False) -> tuple[list[Item], int]:
    """A record's item (its pages) and its attachments' items."""
    root = archive.layout.root
    version_dir = root / row["vpath"]
    values: dict[str, str] = json.loads(row["fields"])
    prov = json.loads((version_dir / "provenance.json").read_text(encoding="utf-8")) \
        if (version_dir / "provenance.json").is_file() else {}
    form_name = _form_name(forms, row["form"])
    shown = values if full else masked_values(values, row["form"], forms)
    author = next((values[n] for n in AUTHOR_FIELDS if values.get(n)), "") or company
    item = Item(row["archive_no"], author, _title(forms, row["form"], values, row["number"]), row["form_date"] or "",
                record_id=row["record_id"], fields={"record_id": row["record_id"], "archive_no": row["archive_no"],
                                                    "form": row["form"], "form_name": form_name,
                                                    "version": row["current_version"], "date": row["form_date"],
                                                    "fields": shown, "masked": not full})
    original = version_dir / prov["original"] if prov.get("original") else None
    pdfs = sorted((version_dir / "files").glob("*.pdf")) if (version_dir / "files").is_dir() else []
    bind_original = full or not _personal(forms, row["form"])
    withheld = 0
    if row["form"] == "letter" and pdfs:
        item.source = pdfs[0]
        state = letter_state(archive, row["record_id"])
        item.note = "；".join(x for x in (values.get("函号", ""), state.get("state_text", ""),
                                          f"快递单号 {state['tracking']}" if state.get("tracking") else "") if x)
    elif bind_original and original is not None and original.is_file() and kind_of(original) is not None \
            and original.suffix.lower() not in (".json", ".csv"):
        item.source = original
        item.source_key = f"{row['sha'] or ''}{original.suffix.lower()}" if row["sha"] else None
    else:
        subtitle = f"档号 {row['archive_no']}　第{row['current_version']}版" + ("（个人信息已打码）" if not full else "")
        item.form = (form_name, subtitle, [(k, v) for k, v in shown.items() if v])
        if original is not None and not bind_original:
            item.note = "原件含个人信息，以打码表单代替"
            withheld += 1
        elif prov.get("batch"):
            item.note = f"批量表格第{prov['batch'].get('row', '')}行"
    if full and original is not None and original.is_file() and not prov.get("batch"):
        item.originals.append((f"{row['archive_no']}/v{row['current_version']}/{original.name}", original))
    items = [] if receipts_only else [item]
    for att in archive.conn.execute("SELECT * FROM attachments WHERE record_id = ? ORDER BY unit",
                                    (row["record_id"],)):
        meta_path = root / att["path"] / "attachment.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        stored = root / att["path"] / meta.get("stored_as", "")
        is_receipt = (att["note"] or "") == RECEIPT
        if receipts_only and not is_receipt:
            continue
        if not (full or (row["form"] == "letter" and is_receipt)) or not stored.is_file():
            withheld += 1
            continue
        label = mask_text(att["note"] or "附件")
        items.append(Item(row["archive_no"], author, f"{label}：{mask_text(att['name'])}", (att["at"] or "")[:10],
                          note=f"{row['archive_no']} 的附件", source=stored,
                          source_key=f"{att['sha256']}{stored.suffix.lower()}", record_id=row["record_id"]))
        if full:
            items[-1].originals.append((f"{row['archive_no']}/{att['unit']}/{stored.name}", stored))
    return items, withheld


def _rows(archive: Archive, place: Place) -> list[Any]:
    return current_versions(
        archive.conn, "r.*, v.fields, v.path AS vpath, v.sha256 AS sha",
        "r.estate = ? AND r.household = ? AND r.voided = 0", (place.estate, place.key),
        then="ORDER BY COALESCE(r.form_date, substr(r.filed_at, 1, 10)), r.archive_no")


def household_items(archive: Archive, forms: FormRegistry, place: Place, company: str, *, full: bool,
                    start: dt.date | None, end: dt.date | None) -> Collected:
    """Every live record of the household dated in [start, end], in date order, with its attachments."""
    items: list[Item] = []
    withheld = records = 0
    for row in _rows(archive, place):
        if not _in_range(row["form_date"] or (row["filed_at"] or "")[:10], start, end):
            continue
        made, left = _record_items(archive, forms, row, company, full)
        items += made
        withheld += left
        records += 1
    return Collected(items, withheld, records)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def evidence_items(archive: Archive, forms: FormRegistry, place: Place, company: str, export_id: str,
                   day: dt.date, *, full: bool, start: dt.date | None, end: dt.date | None
                   ) -> tuple[Collected, dict[str, Any]]:
    """诉讼: the fee rows and payments first, then every reminder and each 催缴函 with its 送达回执, by date.

    Also returns the facts of the 欠费及催缴情况说明 (arrears as of ``day``, reminder and letter counts)."""
    rows = [r for r in fees.fee_rows(archive.conn, place.estate, place.key)
            if _in_range(f"{r.period}-01", start and start.replace(day=1), end)]
    table = [[r.item, r.period, _money(r.due), _money(r.paid), r.paid_on.isoformat() if r.paid_on else "未缴",
              _money(max(r.due - r.paid, Decimal(0)))] for r in rows]
    items: list[Item] = []
    if rows:
        items.append(Item(export_id, company, "收费明细及缴费情况（收费台账）", day.isoformat(),
                          note=f"{len(rows)} 行",
                          table=("收费明细及缴费情况", f"{place.address}　截至 {day.isoformat()}",
                                 ["费用项目", "所属期间", "应收", "实收", "收费日期", "欠费"], table,
                                 [40, 25, 25, 25, 30, 25])))
    dated: list[tuple[str, int, list[Item]]] = []
    told = [r for r in fees.reminders(archive.conn, place.estate, place.key)
            if r.method != fees.LETTER and _in_range(r.date.isoformat(), start, end)]
    for i, r in enumerate(told):
        pairs = [("项目", place.estate), ("房号", place.display), ("日期", r.date.isoformat()), ("方式", r.method),
                 ("备注", mask_text(r.note or "")), ("来源", r.source)]
        dated.append((r.date.isoformat(), i, [Item(export_id, company, f"{r.method}催缴记录", r.date.isoformat(),
                                                    note=r.source, form=("催缴记录", f"{place.address}",
                                                                         [p for p in pairs if p[1]]))]))
    letters = 0
    withheld = 0
    for row in _rows(archive, place):
        if row["form"] != "letter" or not _in_range(row["form_date"], start, end):
            continue
        made, left = _record_items(archive, forms, row, company, full=True)
        receipts, _ = _record_items(archive, forms, row, company, full=False, receipts_only=True)
        letters += 1
        withheld += left
        letter = made[0]
        if not full:
            letter.originals = []
        dated.append((row["form_date"] or "", len(dated), [letter, *receipts]))
    for _, _, group in sorted(dated, key=lambda d: (d[0], d[1])):
        items += group
    standing = fees.standings(archive.conn, day, place.estate, place.key)
    s = standing[0] if standing else None
    facts = {"arrears": _money(s.arrears) if s else "0.00", "periods": s.periods if s else [],
             "step": s.step_text if s else "无欠费", "reason": s.reason if s else "",
             "reminders": len(told), "letters": letters, "fee_rows": table}
    return Collected(items, withheld, letters + len(told)), facts
