"""调档、出证、移交: a household's file handed out as a bound PDF binder and a BagIt ZIP, recorded.

`export` collects the items (`pipeline.export.items`), makes every part a PDF (office files in one
batched LibreOffice call, cached under the home), writes the front matter (卷皮, [欠费及催缴情况说明],
卷内目录) and the 备考表, binds them with stamped, numbered pages (`forms.binder`), packs the bag and
writes the audit entry that `household show` lists. Personal data is masked unless ``full`` with a reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang import __version__
from hudang.archive.paths import safe_component
from hudang.clock import check_range, now
from hudang.errors import NotFound, UsageError
from hudang.forms import binder, binder_pages
from hudang.pipeline.app import records
from hudang.pipeline.app.session import Session
from hudang.pipeline.export import history
from hudang.pipeline.export.bag import write_bag
from hudang.pipeline.export.items import Collected, Item, evidence_items, household_items
from hudang.settings import OfficeSettings

PURPOSES = ("查阅", "诉讼", "移交")
RENDER_VERSION = "binder-pages-1"   # bump when the generated pages change, so the cache makes them anew


@dataclass(frozen=True)
class Exported:
    export_id: str
    household: str
    purpose: str
    full: bool
    binder: str
    bag: str
    items: int
    pages: int
    """Pages of the documents (numbered); the binder also has its front matter and 备考表."""
    binder_pages: int
    office_calls: int
    cached: int
    withheld: int
    unbound: list[str]
    paged: list[str] = field(default_factory=list)
    """文件 records (office files) whose 页数 this export filled in from their first conversion."""

    def as_json(self) -> dict[str, Any]:
        return {"export_id": self.export_id, "household": self.household, "purpose": self.purpose,
                "full": self.full, "binder": self.binder, "bag": self.bag, "items": self.items, "pages": self.pages,
                "binder_pages": self.binder_pages, "office_calls": self.office_calls, "cached": self.cached,
                "withheld": self.withheld, "unbound": self.unbound, "paged": self.paged}


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps([RENDER_VERSION, *parts], ensure_ascii=False, sort_keys=True)
                          .encode("utf-8")).hexdigest()


class _Pages:
    """Generated documents by content: each written as DOCX only when its PDF is not cached yet."""

    def __init__(self, cache: Path, scratch: Path) -> None:
        self.cache, self.scratch = cache, scratch
        self.sources: dict[Path, str] = {}
        self.hits = 0

    def add(self, key: str, write: Any) -> Path:
        cached = self.cache / f"{key}.pdf"
        if cached.is_file():
            self.sources[cached] = key
            self.hits += 1
            return cached
        docx = self.scratch / f"{key}.docx"
        write(docx)
        self.sources[docx] = key
        return docx


def _item_source(item: Item, pages: _Pages) -> Path | None:
    if item.source is not None:
        pdf = binder.kind_of(item.source) == "pdf"   # bound as it is: no cache key needed
        pages.sources[item.source] = "" if pdf else item.source_key or binder.file_key(item.source)
        return item.source
    if item.table is not None:
        title, subtitle, header, rows, widths = item.table
        return pages.add(_key("table", item.table),
                         lambda p: binder_pages.table_page(p, title, subtitle, header, rows, widths))
    if item.form is not None:
        title, subtitle, pairs = item.form
        return pages.add(_key("form", item.form, item.note),
                         lambda p: binder_pages.filled_form(p, title, subtitle, pairs, item.note))
    return None


def _dates(items: list[Item]) -> str:
    days = sorted(i.date for i in items if i.date)
    return f"{days[0]} 至 {days[-1]}" if days else "—"


def export(session: Session, address: str, *, purpose: str = "查阅", start: dt.date | None = None,
           end: dt.date | None = None, full: bool = False, reason: str | None = None) -> Exported:
    """Write the binder and the bag under ``<home>/outputs/调档/`` and record the export (audited)."""
    if purpose not in PURPOSES:
        raise UsageError(f"调档用途只能是 {'、'.join(PURPOSES)}，不能是“{purpose}”", code="bad_purpose")
    if full and not (reason or "").strip():
        raise UsageError("导出完整个人信息（--full）必须用 --reason 写明事由（将写入审计日志）", code="reason_required")
    check_range(start, end)
    view = records.household(session, address)          # NotFound for a household with no file
    archive, home = session.archive, session.home
    place = archive.estates.household(view.household)
    contact = home.contact(place.estate)
    moment = now()
    export_id = f"DC{moment:%Y%m%d-%H%M%S}"
    base = home.outputs_dir / "调档" / safe_component(place.estate)
    while list(base.glob(f"*-{export_id}*")):
        export_id = f"{export_id}-{moment.microsecond:06d}" if "-" not in export_id[10:] else export_id + "x"
    name = safe_component(f"{place.key}-{purpose}-{export_id}")
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)

    facts: dict[str, Any] | None = None
    if purpose == "诉讼":
        collected, facts = evidence_items(archive, session.forms, place, contact.company, export_id,
                                          moment.date(), full=full, start=start, end=end)
    else:
        collected = household_items(archive, session.forms, place, contact.company, full=full, start=start, end=end)
    cache = home.cache_dir / "binder"
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hudang-export-", dir=cache) as tmp:
        scratch = Path(tmp)
        made = _bind(session, place, view.display, collected, facts, purpose, full, reason, export_id,
                     moment, cache, scratch, folder / f"{name}.pdf")
    binder_pdf, pages, binder_total, calls, hits, unbound, counts = made
    paged = _fill_pages(session, collected.items, counts)
    payload: dict[str, Path | bytes] = {f"{name}.pdf": binder_pdf}
    listing = []
    for item in collected.items:
        listing.append({"archive_no": item.archive_no, "title": item.title, "date": item.date,
                        "record_id": item.record_id, "note": item.note})
        if item.fields is not None:
            payload[f"fields/{safe_component(item.archive_no)}.json"] = (
                json.dumps(item.fields, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        for rel, path in item.originals if full else []:
            payload[f"originals/{rel}"] = path
    manifest = {"export_id": export_id, "household": view.household, "display": view.display, "purpose": purpose,
                "full": full, "reason": reason if full else None, "by": session.user,
                "at": moment.isoformat(timespec="seconds"), "from": start.isoformat() if start else None,
                "to": end.isoformat() if end else None, "items": listing, "pages": pages,
                "hudang_version": __version__}
    payload["export.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    info = {"Source-Organization": contact.company, "External-Identifier": export_id,
            "External-Description": f"{view.household} 调档（{purpose}）{'完整信息' if full else '个人信息已打码'}",
            "Bagging-Date": moment.date().isoformat(), "Bag-Software-Agent": f"hudang {__version__}"}
    bag = write_bag(folder / f"{name}.zip", name, payload, info)
    session.audit(history.ACTION, household=view.household, export_id=export_id, purpose=purpose, full=full,
                  reason=reason or "", items=len(collected.items), pages=pages, binder=str(binder_pdf), bag=str(bag),
                  **({"from": start.isoformat()} if start else {}), **({"to": end.isoformat()} if end else {}))
    return Exported(export_id, view.household, purpose, full, str(binder_pdf), str(bag), len(collected.items),
                    pages, binder_total, calls, hits, collected.withheld, unbound, paged)


def _fill_pages(session: Session, items: list[Item], counts: list[int]) -> list[str]:
    """页数 of a 文件 filed as an office file is only known once LibreOffice has made it a PDF (the page count
    Word writes in docProps/app.xml is stale in generated files): the first export that converts it fills it
    in, as a new version of the record (audited as an edit); PDFs and images were counted at intake."""
    from hudang.pipeline.household.documents import FORM_ID

    filled = []
    for item, count in zip(items, counts, strict=True):
        values = (item.fields or {}).get("fields") or {}
        if not count or item.record_id is None or (item.fields or {}).get("form") != FORM_ID or values.get("页数") \
                or item.source is None or binder.kind_of(item.source) != "office":
            continue
        records.edit(session, item.record_id, {"页数": str(count)})
        filled.append(item.archive_no)
    return filled


def _bind(session: Session, place: Any, display: str, collected: Collected, facts: dict[str, Any] | None,
          purpose: str, full: bool, reason: str | None, export_id: str, moment: dt.datetime, cache: Path,
          scratch: Path, dest: Path) -> tuple[Path, int, int, int, int, list[str], list[int]]:
    """The parts as PDFs (one LibreOffice call for all the documents), then front matter and 备考表, bound."""
    home = session.home
    contact = home.contact(place.estate)
    pages = _Pages(cache, scratch)
    wanted = [_item_source(item, pages) for item in collected.items]
    made = binder.make_pdfs(pages.sources, cache, settings=home.office)
    calls, hits = made.office_calls, made.from_cache + pages.hits     # converted files and rendered forms
    rows, sections, unbound, per_item = [], [], [], []
    number = 1
    for item, source in zip(collected.items, wanted, strict=True):
        pdf = made.pdfs.get(source) if source is not None else None
        count = binder.page_count(pdf) if pdf is not None else 0
        note = item.note
        if pdf is None:
            unbound.append(item.archive_no)
            note = "；".join(x for x in (note, "无法转换为PDF，原件见档案") if x)
        else:
            sections.append(binder.Section(pdf, item.archive_no))
        rows.append(binder_pages.TocRow(item.archive_no, item.author, item.title, item.date, count, number, note))
        per_item.append(count)
        number += count
    total = number - 1
    masked = "完整信息（事由：" + (reason or "") + "）" if full else "个人信息已打码"
    front = _Pages(cache, scratch)
    cover_pairs = [("项目", place.estate), ("房号", display), ("起止日期", _dates(collected.items)),
                   ("件数", str(len(collected.items))), ("页数", str(total)),
                   ("保管期限", home.export.retention), ("调档编号", export_id),
                   ("调档用途", purpose), ("调档日期", moment.date().isoformat())]
    heading = f"{place.estate} {display}　调档编号 {export_id}　{masked}"
    docs: list[Path] = [
        front.add(_key("cover", contact.company, cover_pairs, masked),
                  lambda p: binder_pages.cover(p, contact.company, cover_pairs, f"{masked}　{contact.service_centre}")),
    ]
    if facts is not None:
        docs.append(front.add(_key("statement", facts, display, export_id),
                              lambda p: _statement(p, place, display, facts, contact.company, moment.date())))
    toc_rows = list(rows)
    docs.append(front.add(_key("toc", heading, [r.__dict__ for r in toc_rows]),
                          lambda p: binder_pages.contents(p, heading, toc_rows)))
    remarks = [f"本卷共 {len(collected.items)} 件，{total} 页（不含卷皮、卷内目录和本表）。",
               f"本卷为 {display} 住户档案的调档输出，用途：{purpose}；{masked}。"]
    if collected.withheld:
        remarks.append(f"因含个人信息或为附件未随卷装订的原件 {collected.withheld} 份，完整原件需经授权以 --full 导出。")
    if unbound:
        remarks.append(f"无法转换为 PDF、未装订的文件：{'、'.join(unbound)}（原件保存在档案中）。")
    back_pairs = [("立卷单位", contact.company), ("立卷人", session.user), ("立卷时间", moment.date().isoformat()),
                  ("检查人", ""), ("检查时间", "")]
    docs.append(front.add(_key("back", remarks, back_pairs), lambda p: binder_pages.backnote(p, back_pairs, remarks)))
    if front.sources:
        # A few small pages: one LibreOffice instance starts faster than two.
        second = binder.make_pdfs(front.sources, cache, settings=OfficeSettings(
            pdf_instances=1, pdf_batch=home.office.pdf_batch, timeout=home.office.timeout))
        calls += second.office_calls
        hits += second.from_cache
    else:
        second = binder.Made({}, 0, 0, 0)
    generated = [second.pdfs.get(d) for d in docs]
    if any(p is None for p in generated):
        from hudang.errors import ToolMissing

        raise ToolMissing("LibreOffice 未能生成卷皮、卷内目录或备考表，无法装订")
    front_pdfs = [p for p in generated[:-1] if p is not None]
    back_pdf = generated[-1]
    assert back_pdf is not None
    counts = binder.assemble([*(binder.Section(p, None) for p in front_pdfs), *sections,
                              binder.Section(back_pdf, None)], dest)
    return dest, total, sum(counts), calls, hits, unbound, per_item


def _statement(dest: Path, place: Any, display: str, facts: dict[str, Any], company: str, day: dt.date) -> Path:
    """欠费及催缴情况说明: one page, the figures and the steps taken, ahead of the evidence."""
    periods = "、".join(facts["periods"]) or "—"
    paragraphs = [
        f"{place.estate} {display}：截至 {day.isoformat()}，逾期未缴物业服务费等费用合计 {facts['arrears']} 元"
        f"（所属期间 {periods}）。",
        f"我司共进行电话、短信、上门等催缴 {facts['reminders']} 次，发出书面催缴函 {facts['letters']} 份"
        f"（函号、快递单号及签收回执见卷内各件）。目前状态：{facts['step']}。{facts['reason']}",
        "收费明细、历次催缴记录、催缴函及送达回执按日期顺序附后。",
    ]
    rows = [r for r in facts["fee_rows"] if r[-1] != "0.00"][:14]
    return binder_pages.table_page(dest, "欠费及催缴情况说明", f"{company}　{day.isoformat()}",
                                   ["费用项目", "所属期间", "应收", "实收", "收费日期", "欠费"], rows,
                                   [40, 25, 25, 25, 30, 25], paragraphs, [f"{company}（盖章）", day.isoformat()])


@dataclass(frozen=True)
class ExportFile:
    """One file of an earlier 调档 (the binder PDF or the BagIt zip), found by its export ID, never a path."""

    export_id: str
    part: str
    name: str
    path: Path
    media_type: str


def export_file(session: Session, address: str, export_id: str, part: str) -> ExportFile:
    """The binder (``part`` = "binder") or the bag ("bag") of the household's export ``export_id``; audited,
    since a full export holds personal data unmasked."""
    if part not in ("binder", "bag"):
        raise UsageError(f"调档文件只有 binder（卷宗 PDF）和 bag（BagIt 包），不能是“{part}”", code="bad_part")
    view = records.household(session, address)
    found = next((e for e in view.exports if e["export_id"] == export_id), None)
    if found is None or not found.get(part):
        raise NotFound(f"{view.household} 没有调档记录 {export_id}", code="no_export")
    path = Path(found[part])
    root = session.home.outputs_dir.resolve()
    if not path.resolve().is_relative_to(root) or not path.is_file():
        raise NotFound(f"调档 {export_id} 的文件已不在输出目录中（可重新调档）", code="export_gone")
    session.audit("export_download", household=view.household, export_id=export_id, part=part,
                  full=bool(found.get("full")))
    media = "application/pdf" if part == "binder" else "application/zip"
    return ExportFile(export_id, part, path.name, path, media)
