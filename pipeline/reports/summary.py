"""The one-page 户档摘要 of a household: who lives there, what is open, what is owed, what is on file."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hudang.archive.catalog import current_versions
from hudang.archive.estates import Place
from hudang.archive.store import Archive
from hudang.forms import office
from hudang.forms.documents import Template
from hudang.forms.values import mask_text
from hudang.pipeline.dunning import fees
from hudang.settings import Home

TEMPLATE = "household_summary.docx"
MAX_RECORDS = 22          # what fits on the page beside the rest; the count says how many more there are


def _state(form: str, values: dict[str, str], letter: dict[str, Any] | None) -> str:
    if letter:
        return str(letter["state_text"])
    if form == "complaint":
        if not values.get("完成时间"):
            return "处理中"
        return "已回访" if values.get("回访结果") else "已办结"
    if form == "repair":
        if not values.get("完成时间"):
            return "待维修"
        return "已回访" if values.get("回访时间") else "已完成待回访"
    return "已归档"


def summary_data(archive: Archive, place: Place, view: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """What the page shows, masked as SPEC §7 says; also what `--json` prints.

    ``view`` is the household's file as the archivist sees it (the application layer's household view)."""
    reg = (view["registration"] or {}).get("fields", {})
    current = {r["record_id"]: json.loads(r["fields"]) for r in current_versions(
        archive.conn, "v.record_id, v.fields", "r.estate = ? AND r.household = ?", (place.estate, place.key))}
    records, open_items = [], []
    for rec in view["records"]:
        values = current.get(rec["record_id"], {})
        state = _state(rec["form"], values, rec.get("letter"))
        records.append({"date": rec["date"] or "", "archive_no": rec["archive_no"], "form": rec["form_name"],
                        "summary": rec["summary"], "state": state, "record_id": rec["record_id"]})
        if state in ("处理中", "待维修"):
            number = f"（编号 {rec['number']}）" if rec["number"] else ""
            open_items.append(f"{rec['date'] or ''} {rec['form_name']}{number}：{rec['summary'] or '—'}——{state}")
    standings = fees.standings(archive.conn, day, place.estate, place.key)
    told = fees.reminders(archive.conn, place.estate, place.key)
    s = standings[0] if standings else fees.standing(place.estate, place.key, [], told, day)
    shown = records[-MAX_RECORDS:]
    return {
        "household": place.address, "estate": place.estate, "room": view["display"],
        "owner": (view["owners"][-1]["name"] if view.get("owners") else None)   # the current owner, after any 过户
        or reg.get("业主姓名") or reg.get("单位名称") or view.get("owner") or "—",
        "phone": reg.get("联系电话") or "—", "id_number": reg.get("证件号码") or "—",
        "moved_in": reg.get("入住日期") or "—", "members": mask_text(reg.get("家庭成员") or "—"),
        "plates": reg.get("车牌号") or "—", "area": f"{view['area']} ㎡" if view.get("area") else "—",
        "registration_no": (view["registration"] or {}).get("archive_no") or "尚未登记",
        "as_of": day.isoformat(), "arrears": f"{s.arrears:.2f}", "periods": s.periods, "step": s.step_text,
        "step_code": s.step, "reason": s.reason if s.step != fees.STEP_NONE else "",
        "open_items": open_items, "records": shown, "record_count": len(records),
        "records_note": f"，列出最近 {len(shown)} 件" if len(shown) < len(records) else "",
    }


def write_summary(home: Home, data: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """DOCX from the template (the data home's copy wins), then a PDF; without LibreOffice, DOCX and a message."""
    from hudang.pipeline.dunning.letters import cn_date

    contact = home.contact(data["estate"])
    context = {**data, "as_of_text": cn_date(day), "date_text": cn_date(day), "company": contact.company,
               "service_centre": contact.service_centre,
               "periods_text": f"（所属期间 {'、'.join(data['periods'])}）" if data["periods"] else "",
               "open_none": "" if data["open_items"] else "无未办结的投诉或报修。"}
    folder = home.outputs_dir / "户档摘要" / data["estate"]
    folder.mkdir(parents=True, exist_ok=True)
    docx = folder / f"户档摘要-{data['household'].split('/', 1)[1]}-{day.isoformat()}.docx"
    Template.load(TEMPLATE, home.templates_dir).render(context, docx)
    pdf, warnings = office.pdf_beside(docx, folder, timeout=home.office.timeout)
    return {"docx": str(docx), "pdf": str(pdf) if pdf else None, "warnings": warnings}
