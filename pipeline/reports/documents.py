"""The monthly report as documents: the DOCX from the docxtpl template and the XLSX with the same tables.

`Tables` holds every table once (display strings for the DOCX, numbers for the XLSX) so the two
files always say the same thing.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from hudang.forms import sheets
from hudang.forms.report_template import template_path
from hudang.pipeline.reports.analysis import analysis, pct
from hudang.pipeline.reports.figures import Details, Month

TITLE = "客服接待月报表"
LIST_ROWS = 100   # rows of a case list printed in the document; the XLSX always has them all

# (row name, section, key, kind) of the summary table, in management's reading order.
SUMMARY = (
    ("投诉总数（件）", "complaints", "total", "count"),
    ("已办结投诉（件）", "complaints", "closed", "count"),
    ("投诉处理率", "complaints", "handling_rate", "rate"),
    ("时限内办结（件）", "complaints", "on_time", "count"),
    ("投诉处理及时率", "complaints", "timely_rate", "rate"),
    ("报修总数（件）", "repairs", "total", "count"),
    ("已完成维修（件）", "repairs", "completed", "count"),
    ("维修完成率", "repairs", "completion_rate", "rate"),
    ("已回访（件）", "repairs", "revisited", "count"),
    ("回访率", "repairs", "revisit_rate", "rate"),
    ("时限内回访（件）", "repairs", "revisit_on_time", "count"),
    ("回访及时率", "repairs", "revisit_timely_rate", "rate"),
    ("返修（件）", "repairs", "rework", "count"),
    ("返修率", "repairs", "rework_rate", "rate"),
    ("有回访结果（件）", "satisfaction", "with_result", "count"),
    ("满意及基本满意（件）", "satisfaction", "satisfied", "count"),
    ("满意率", "satisfaction", "satisfaction_rate", "rate"),
    ("新入住登记（户）", "registrations", "total", "count"),
    ("应收金额（元）", "fees", "billed", "money"),
    ("实收金额（元）", "fees", "collected", "money"),
    ("收缴率", "fees", "collection_rate", "rate"),
)
CATEGORY_TABLES = (("severity_rows", "按严重程度", "complaints", "by_severity"),
                   ("category_rows", "按投诉类别", "complaints", "by_category"),
                   ("department_rows", "按被投诉部门", "complaints", "by_department"),
                   ("repair_rows", "按维修类别", "repairs", "by_category"))


def value(figs: dict[str, Any], section: str, key: str, kind: str) -> int | float | Decimal | None:
    part = figs.get(section)
    if part is None:
        return None
    raw = part[key]
    if raw is None:
        return None
    return Decimal(raw) if kind == "money" else raw  # type: ignore[no-any-return]


def show(v: int | float | Decimal | None, kind: str) -> str:
    if v is None:
        return "—"
    if kind == "rate":
        return pct(float(v))
    if kind == "money":
        return f"{Decimal(v):,.2f}"
    return str(v)


def _signed(diff: int | Decimal, kind: str) -> str:
    if diff == 0:
        return "0"
    sign = "+" if diff > 0 else "−"
    return f"{sign}{abs(Decimal(diff)):,.2f}" if kind == "money" else f"{sign}{abs(diff)}"


def compare(now: Any, before: Any, kind: str) -> tuple[str, str, float | Decimal | int | None, float | None]:
    """Change as shown (count/amount and percent; rates in percentage points) and as numbers."""
    if now is None or before is None:
        return "—", "—", None, None
    if kind == "rate":
        diff = round((now - before) * 100, 2)
        text = "0" if diff == 0 else f"{'+' if diff > 0 else '−'}{abs(diff):.2f}个百分点"
        return text, "—", diff, None
    diff = now - before
    share = float(Decimal(diff) / Decimal(before)) if before else None
    shown = "—" if share is None else ("0.0%" if diff == 0 else f"{'+' if diff > 0 else '−'}{abs(share) * 100:.1f}%")
    return _signed(diff, kind), shown, diff, share


@dataclass
class Tables:
    """Every table of the report, in display strings (`rows`) and numbers (`cells`)."""

    summary: list[dict[str, Any]] = field(default_factory=list)
    categories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fees: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)


def build_tables(figs: dict[str, Any], prev_shown: dict[str, Any], prev_now: dict[str, Any] | None) -> Tables:
    """`prev_shown` is last month as printed (the issued edition when there is one); `prev_now` as counted today."""
    t = Tables()
    for name, section, key, kind in SUMMARY:
        now, before = value(figs, section, key, kind), value(prev_shown, section, key, kind)
        diff_text, pct_text, diff, share = compare(now, before, kind)
        corrected = prev_now is not None and value(prev_now, section, key, kind) != before
        if corrected and prev_now is not None:
            t.corrections.append(f"{name.split('（')[0]} {show(before, kind)}→"
                                 f"{show(value(prev_now, section, key, kind), kind)}")
        t.summary.append({"name": name, "kind": kind, "this_value": now, "last_value": before, "diff_value": diff,
                          "pct_value": share, "this": show(now, kind),
                          "last": show(before, kind) + ("*" if corrected else ""), "diff": diff_text, "pct": pct_text})
    for var, _title, section, key in CATEGORY_TABLES:
        now_map, before_map = figs[section][key], prev_shown[section][key]
        keys = list(dict.fromkeys([*now_map, *before_map]))
        rows = [{"name": k, "this": now_map.get(k, 0), "last": before_map.get(k, 0),
                 "diff": _signed(now_map.get(k, 0) - before_map.get(k, 0), "count"),
                 "diff_value": now_map.get(k, 0) - before_map.get(k, 0)} for k in keys]
        total_now, total_before = sum(now_map.values()), sum(before_map.values())
        rows.append({"name": "合计", "this": total_now, "last": total_before,
                     "diff": _signed(total_now - total_before, "count"), "diff_value": total_now - total_before})
        t.categories[var] = rows
    if figs["fees"] is not None or prev_shown["fees"] is not None:
        for name, key, kind in (("应收金额（元）", "billed", "money"), ("实收金额（元）", "collected", "money"),
                                ("收缴率", "collection_rate", "rate")):
            now, before = value(figs, "fees", key, kind), value(prev_shown, "fees", key, kind)
            t.fees.append({"name": name, "kind": kind, "this_value": now, "last_value": before,
                           "this": show(now, kind), "last": show(before, kind)})
    return t


@dataclass
class Edition:
    """How this run's documents are labelled: a draft, or the Nth issued edition."""

    label: str                         # 草稿 / 第1版（签发）
    note: str = ""                     # printed on the cover
    previous_issued: dict[str, Any] | None = None   # M−1's issued.json, when M−1 was issued


def context(figs: dict[str, Any], details: Details, tables: Tables, edition: Edition, *, month: Month,
            estate_label: str, company: str, centre: str, compiled: str) -> dict[str, Any]:
    prev_shown = edition.previous_issued["figures"] if edition.previous_issued else figs["previous"]
    previous_note = ""
    if edition.previous_issued:
        issued = edition.previous_issued
        previous_note = (f"注：“上月”列取自已签发的{month.previous().chinese}报表（第{issued['edition']}版，"
                         f"{issued['issued_at'][:10]}签发）。")
        previous_note += ("签发后上月数据有更正（标*者，签发数→现数）：" + "；".join(tables.corrections) + "。"
                          if tables.corrections else "签发后上月数据无更正。")
    reviews = sum(1 for c in [*details.cases.complaints, *details.cases.repairs, *details.cases.registrations]
                  if c.review)
    fee_note = ("应收为所属期间为本月的费用合计；实收为其中收费日期在本月末以前的实收金额。" if figs["fees"] is not None
                else f"尚未导入{month.label}的收费台账，本月收费数据暂缺。")
    return {
        "title": TITLE, "estate_label": estate_label, "month_chinese": month.chinese, "company": company,
        "centre": centre or company, "compiled": compiled, "edition": edition.label, "draft_note": edition.note,
        "summary": tables.summary, "previous_note": previous_note,
        "review_note": (f"本月统计中有{reviews}件记录部分内容待核对（扫描件未能完全识别），已按已识别的内容计入。"
                        if reviews else ""),
        **tables.categories,
        "overdue": [{**r, "seq": i} for i, r in enumerate(details.overdue[:LIST_ROWS], 1)],
        "visits": [{**r, "seq": i} for i, r in enumerate(details.visits[:LIST_ROWS], 1)],
        "overdue_note": _cut_note(len(details.overdue), "超期最久"),
        "visits_note": _cut_note(len(details.visits), "超时最久"),
        "fees": tables.fees, "fee_note": fee_note,
        "complaint_limits": details.limits.get("complaint", ""), "visit_limits": details.limits.get("repair", ""),
        "analysis": analysis(figs, prev_shown, details, month.chinese),
    }


def _cut_note(total: int, which: str) -> str:
    if total <= LIST_ROWS:
        return ""
    return f"共{total}件，此处仅列出{which}的{LIST_ROWS}件；完整清单见同名 XLSX 文件。"


def render_docx(template: Path, ctx: dict[str, Any], charts: dict[str, Path], out: Path) -> Path:
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    tpl = DocxTemplate(str(template))
    images = {name: InlineImage(tpl, str(path), width=Mm(160)) for name, path in charts.items()}
    tpl.render({**ctx, **images}, autoescape=True)
    tpl.save(str(out))
    return out


def make_charts(figs: dict[str, Any], prev: dict[str, Any], details: Details, month: Month,
                folder: Path, only: str | None = None) -> dict[str, Path]:
    """The report's charts as PNGs in ``folder`` (``only``: just that one, bars or trend)."""
    from hudang.pipeline.reports.charts import category_bars, trend_lines

    out = {}
    if only in (None, "bars"):
        panels = [(title, figs[section][key], prev[section][key]) for _v, title, section, key in CATEGORY_TABLES]
        out["chart_bars"] = category_bars(panels, folder / "bars.png", month.chinese, month.previous().chinese)
    if only in (None, "trend"):
        out["chart_trend"] = trend_lines(details.trend, folder / "trend.png")
    return out


def write_docx(home_templates: Path, ctx: dict[str, Any], figs: dict[str, Any], prev: dict[str, Any],
               details: Details, month: Month, out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="hudang-charts-") as tmp:
        charts = make_charts(figs, prev, details, month, Path(tmp))
        return render_docx(template_path(home_templates), ctx, charts, out)


# ---- XLSX: one sheet per table, numbers as numbers ----

_FORMATS = {"rate": "0.00%", "money": "#,##0.00", "count": "0"}


def write_xlsx(ctx: dict[str, Any], tables: Tables, details: Details, out: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="D9E2F3")

    def sheet(title: str, headers: list[str], rows: list[list[Any]], formats: list[str | None],
              widths: list[int]) -> Any:
        ws = wb.create_sheet(title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(horizontal="center")
        for row in rows:
            ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
        for cells in ws.iter_rows(min_row=2):   # one pass: ws[ws.max_row] per row would be quadratic
            for cell, fmt in zip(cells, formats, strict=False):
                if fmt and isinstance(cell.value, int | float):
                    cell.number_format = fmt
        for i, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = width
        ws.freeze_panes = "A2"
        return ws

    wb.remove(wb.active)
    summary_rows: list[list[Any]] = []
    summary_formats: list[list[str | None]] = []
    for r in tables.summary:
        fmt = _FORMATS[r["kind"]]
        diff_fmt = "0.00" if r["kind"] == "rate" else fmt
        summary_rows.append([r["name"], r["this_value"], r["last_value"], r["diff_value"], r["pct_value"]])
        summary_formats.append([None, fmt, fmt, diff_fmt, "0.0%"])
    ws = sheet("汇总", ["指标", "本月", "上月", "增减（率为百分点）", "增减幅度"], [], [], [24, 14, 14, 18, 12])
    for row in summary_rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
    for cells, fmts in zip(ws.iter_rows(min_row=2), summary_formats, strict=True):
        for cell, cell_fmt in zip(cells, fmts, strict=True):
            if cell_fmt and isinstance(cell.value, int | float):
                cell.number_format = cell_fmt
    if ctx["previous_note"]:
        ws.append([])
        ws.append([ctx["previous_note"]])
    for var, title, _s, _k in CATEGORY_TABLES:
        sheet(title, ["类别", "本月", "上月", "增减"],
              [[r["name"], r["this"], r["last"], r["diff_value"]] for r in tables.categories[var]],
              [None, "0", "0", "0"], [18, 10, 10, 10])
    sheet("超期未办结投诉", ["序号", "编号", "房号", "投诉时间", "严重程度", "投诉类别", "被投诉部门", "处理期限", "超期天数"],
          [[i, r["number"], r["room"], r["opened"], r["severity"], r["category"], r["department"], r["deadline"],
            r["days_over"]] for i, r in enumerate(details.overdue, 1)],
          [None] * 8 + ["0.00"], [6, 14, 16, 18, 10, 10, 14, 18, 10])
    sheet("回访缺失或超时", ["序号", "编号", "房号", "维修类别", "完成时间", "回访期限", "回访时间", "状态", "超时天数"],
          [[i, r["number"], r["room"], r["category"], r["done"], r["deadline"], r["visited"] or None, r["status"],
            r["days_over"]] for i, r in enumerate(details.visits, 1)],
          [None] * 8 + ["0.00"], [6, 14, 16, 10, 18, 18, 18, 16, 10])
    sheet("收费", ["项目", "本月", "上月"], [[r["name"], r["this_value"], r["last_value"]] for r in tables.fees],
          [None, "#,##0.00", "#,##0.00"], [18, 16, 16])
    fee_ws = wb["收费"]
    for row in fee_ws.iter_rows(min_row=2):
        if row[0].value == "收缴率":
            for cell in row[1:]:
                cell.number_format = "0.00%"
    sheet("近12个月趋势", ["月份", "投诉", "报修"], [[t["month"], t["complaints"], t["repairs"]] for t in details.trend],
          [None, "0", "0"], [12, 10, 10])
    notes = sheet("文字分析说明", ["文字分析说明"], [[p] for p in ctx["analysis"]], [None], [120])
    for row in notes.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    sheets.save(wb, out)
    return out
