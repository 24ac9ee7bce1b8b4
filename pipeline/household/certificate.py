"""欠费证明 / 无欠费证明 (the certificate a 过户 needs): every unpaid amount of the periods up to a date,
or a statement that there is none, on one page; numbered 〔YYYY〕证字第NNN号 per estate and year.

Numbers come from the archive (the 文件 records of 类别 证明 that carry one, voided ones included), taken
under the writer lock, so they are never reused and survive a rebuild. The certificate is filed in the
household as a 文件 (its PDF the original, the DOCX beside it).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from hudang.archive.estates import Place
from hudang.errors import UsageError
from hudang.forms import office
from hudang.forms.documents import Template
from hudang.pipeline.dunning import fees
from hudang.pipeline.household import documents, owners

TEMPLATE = "arrears_certificate.docx"
CATEGORY = "证明"
TITLE_ARREARS, TITLE_NONE = "欠费证明", "无欠费证明"
NOT_YET_DUE = "未到期"
OVERDUE = "逾期"
_NUMBER = re.compile(r"〔(\d{4})〕证字第(\d+)号")


def number_text(year: int, serial: int) -> str:
    return f"〔{year}〕证字第{serial:03d}号"


def next_number(conn: sqlite3.Connection, estate: str, year: int) -> str:
    """The next free number of the estate's year, from every certificate filed (voided ones too)."""
    used = [int(m[2]) for (n,) in conn.execute(
        "SELECT number FROM records WHERE form = ? AND estate = ? AND number LIKE ?",
        (documents.FORM_ID, estate, f"〔{year}〕证字第%号")) if (m := _NUMBER.fullmatch(n or ""))]
    return number_text(year, max(used, default=0) + 1)


@dataclass(frozen=True)
class Line:
    item: str
    period: str
    due: Decimal
    paid: Decimal
    owed: Decimal
    overdue: bool
    owner: str

    def as_json(self) -> dict[str, Any]:
        return {"item": self.item, "period": self.period, "due": f"{self.due:.2f}", "paid": f"{self.paid:.2f}",
                "owed": f"{self.owed:.2f}", "state": OVERDUE if self.overdue else NOT_YET_DUE, "owner": self.owner}


def unpaid(conn: sqlite3.Connection, place: Place, day: dt.date) -> list[Line]:
    """Every ledger row of a period begun by ``day`` with something left to pay at ``day`` — those whose
    period has not ended yet are not overdue (marked 未到期) — and whose period it was (the owner then)."""
    history = owners.history(conn, place.estate, place.key)
    out = []
    for row in fees.fee_rows(conn, place.estate, place.key):
        if row.period[:7] > f"{day.year:04d}-{day.month:02d}":
            continue
        left = max(fees.ZERO, row.due - row.paid_at(day))
        if left <= 0:
            continue
        held = history.owner_at(fees.period_end(row.period))
        out.append(Line(row.item, row.period, row.due, row.paid_at(day), left, row.overdue_at(day),
                        held.name if held else ""))
    return sorted(out, key=lambda r: (r.period, r.item))


def context(place: Place, display: str, owner: str, lines: list[Line], number: str, day: dt.date, issued: dt.date,
            contact: Any) -> dict[str, Any]:
    from hudang.pipeline.dunning.letters import cn_date

    total = sum((r.owed for r in lines), fees.ZERO)
    overdue = sum((r.owed for r in lines if r.overdue), fees.ZERO)
    title = TITLE_ARREARS if lines else TITLE_NONE
    statement = (f"该房屋以下费用尚未缴清，合计人民币 {total:.2f} 元：" if lines else
                 f"该房屋所属期间截至{day.year}年{day.month}月的物业服务费等各项费用均已缴清，无欠费。")
    return {"company": contact.company, "service_centre": contact.service_centre, "phone": contact.phone,
            "title": title, "title_spaced": "  ".join(title), "number": number, "estate": place.estate,
            "room": display, "owner": owner or "—", "as_of_text": cn_date(day), "statement": statement,
            "rows": [r.as_json() for r in lines], "total": f"{total:.2f}", "overdue_total": f"{overdue:.2f}",
            "date_text": cn_date(issued)}


def render(home: Any, data: dict[str, Any], workdir: Path) -> tuple[Path, Path | None, list[str]]:
    """The DOCX from the template (the data home's copy wins), and its PDF when LibreOffice is there."""
    docx = workdir / f"{data['title']}-{data['number']}.docx"
    Template.load(TEMPLATE, home.templates_dir).render(data, docx)
    pdf, warnings = office.pdf_beside(docx, workdir, timeout=home.office.timeout)
    return docx, pdf, warnings


def pages_of(pdf: Path | None) -> int | None:
    if pdf is None:
        return None
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def issue(home: Any, archive: Any, forms: Any, address: str, day: dt.date, issued: dt.date,
          user: str) -> dict[str, Any]:
    """Number, write and file one certificate; returns what the doors show (files copied to outputs/证明/)."""
    import shutil

    from hudang.archive.store import Filing
    from hudang.clock import stamp

    if day > issued:
        raise UsageError(f"--as-of（{day}）不能晚于出具日期（{issued}）：证明只能证明已经发生的缴费情况",
                         code="future_certificate")
    with archive.writer(), tempfile.TemporaryDirectory(prefix="hudang-cert-") as tmp:
        place = archive.estates.household(address, strict=True)
        owner, _, _ = owners.current_owner(archive.conn, place.estate, place.key)
        lines = unpaid(archive.conn, place, day)
        number = next_number(archive.conn, place.estate, day.year)
        data = context(place, place.display, owner, lines, number, day, issued, home.contact(place.estate))
        docx, pdf, warnings = render(home, data, Path(tmp))
        if not fees.fee_rows(archive.conn, place.estate, place.key):
            warnings.append("收费台账中没有这一户的记录：请确认台账已导入，再交付《无欠费证明》")
        checked = documents.describe(forms, archive.estates, place.address, data["title"], category=CATEGORY,
                                     author=data["company"], date=issued.isoformat(), pages=pages_of(pdf),
                                     note=f"截至{day.isoformat()}" + (f"，未缴合计 {data['total']} 元" if lines else "，无欠费"))
        assert checked.ok, checked.problems
        checked.values["文号"] = number
        original = pdf or docx
        text = "\n".join([data["title"], number, f"兹证明：{data['estate']}{data['room']}（现业主：{data['owner']}），"
                          f"截至{data['as_of_text']}，{data['statement']}",
                          *(f"{r['item']} {r['period']} 未缴 {r['owed']} 元 {r['state']} {r['owner']}" for r in data["rows"])])
        filing = Filing(form_id=documents.FORM_ID, form_code=documents.form_of(forms).code, place=checked.place or place,
                        values=checked.values, raw=dict(checked.values), text=text,
                        provenance={"source_name": original.name, "received_at": stamp(), "generated": "certificate",
                                    "as_of": day.isoformat(), "by": user},
                        original=original, number=number, form_date=issued.isoformat(),
                        extra_files=[(docx.name, docx)] if pdf else [], form_version=documents.form_of(forms).version)
        [filed] = archive.file([filing])
        folder = home.outputs_dir / "证明" / place.estate
        folder.mkdir(parents=True, exist_ok=True)
        kept = {}
        for kind, path in (("docx", docx), ("pdf", pdf)):
            if path is not None:
                target = folder / f"{place.key}-{path.name}"
                shutil.copyfile(path, target)
                kept[kind] = str(target)
    from hudang.pipeline.intake import backlog
    backlog.index_records(home, archive.conn, forms, [filed.record_id])
    return {"household": place.address, "number": number, "title": data["title"], "as_of": day.isoformat(),
            "owner": data["owner"], "rows": data["rows"], "total": data["total"], "record_id": filed.record_id,
            "archive_no": filed.archive_no, "docx": kept.get("docx"), "pdf": kept.get("pdf"), "warnings": warnings}
