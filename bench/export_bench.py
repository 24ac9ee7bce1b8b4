#!/usr/bin/env python3
"""Export (调档) benchmark (`make bench`): one household with 200 records — ~100 DOCX complaints, text PDFs and
JSON repairs — handed out as binder + BagIt ZIP, first with an empty conversion cache, then again (cached).

Prints figures, never asserts them: wall seconds, CPU seconds of this process and of its LibreOffice children
(`soffice`, waited for) and the load average, for the first `--full` export (LibreOffice converts the ~100 DOCX
and the ~80 filled forms in batches), the second (everything from the cache under <home>/cache/binder/), and a
masked export. Goals (issue 15): first ≤ 60 s, second ≤ 10 s on 2 cores.

    .venv/bin/python bench/export_bench.py [--quick] [--records 200] [--json F] [--keep]
"""

from __future__ import annotations

import os

os.environ["HUDANG_NOW"] = "2026-11-26T10:00:00+08:00"

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import common as c  # noqa: E402
import docx  # noqa: E402
from common import cpu_timed, load, met  # noqa: E402

HOUSE = "金第花园/3-2-1201"


def _docx(path: Path, i: int) -> None:
    doc = docx.Document()
    doc.add_paragraph("投诉处理单")
    pairs = {"编号": f"TS-{i:04d}", "项目": "金第花园", "投诉人": "张三", "投诉时间": f"2026-{1 + i % 11:02d}-03 09:30",
             "投诉人房号": "3-2-1201", "联系电话": "13912345678", "接报人": "李客服", "严重程度": "轻微",
             "投诉内容": f"第{i}次投诉：楼上卫生间渗漏水，天花板发霉。" * 3}
    table = doc.add_table(rows=len(pairs), cols=2)
    for row, (k, v) in zip(table.rows, pairs.items(), strict=True):
        row.cells[0].text, row.cells[1].text = k, v
    doc.save(str(path))


def _pdf(path: Path, i: int) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    cv = canvas.Canvas(str(path))
    cv.setFont("STSong-Light", 12)
    lines = ["投诉处理单", f"编号：TP-{i:04d}", "项目：金第花园", "投诉人：李四", f"投诉时间：2026-{1 + i % 11:02d}-10 10:00",
             "投诉人房号：3栋2单元1201", "联系电话：13912345678", "接报人：李客服", f"投诉内容：电梯噪音扰民 {i}"]
    for n, text in enumerate(lines):
        cv.drawString(50, 800 - 30 * n, text)
    cv.showPage()
    cv.save()


def build(work: Path, n: int) -> Path:
    from hudang.pipeline.intake import runner

    roster = work / "房屋清单.csv"
    roster.write_text("项目,楼栋,单元,房号,业主姓名\n金第花园,3栋,2单元,1201,王建国\n", encoding="utf-8-sig")
    home = c.fresh_home(work / "home", [roster])
    files = work / "in"
    files.mkdir()
    paths = []
    for i in range(n):
        if i % 2 == 0:
            p = files / f"投诉{i}.docx"
            _docx(p, i)
        elif i % 10 == 1:
            p = files / f"投诉{i}.pdf"
            _pdf(p, i)
        else:
            p = files / f"报修{i}.json"
            p.write_text(json.dumps({"表单": "维修工作单", "字段": {
                "编号": f"WX-{i:04d}", "项目": "金第花园", "房号": "3-2-1201", "报修人": "王建国",
                "联系电话": "13812345678", "报修时间": f"2026-{1 + i % 11:02d}-05 08:00",
                "报修内容": f"厨房水龙头漏水 {i}"}}, ensure_ascii=False), encoding="utf-8")
        paths.append(p)
    outs = runner.ingest(home, paths)
    filed = sum(1 for o in outs if o.status == "filed")
    print(f"household with {filed} records filed ({sum(1 for p in paths if p.suffix == '.docx')} DOCX)")
    return home.root


def main(argv: list[str] | None = None) -> int:
    p = c.parser(__doc__)
    p.add_argument("--records", type=int, default=200)
    args = c.parse(p, argv, "export_bench", records=20)
    began = time.perf_counter()
    c.header("export bench", records=args.records)
    from hudang.pipeline.app.export import export
    from hudang.pipeline.app.session import Session

    summary: dict[str, Any] = {"records": args.records}
    with c.work_dir("export", args.keep) as work:
        root = build(work, args.records)
        table = c.Table([("seconds", "wall s", ".1f"), ("cpu", "cpu s", ".1f"), ("office", "soffice cpu s", ".1f"),
                         ("pages", "pages", ".0f"), ("calls", "soffice", ".0f")])
        for name, full in (("first --full (empty cache)", True), ("second --full (cached)", True),
                           ("masked (cached originals unused)", False)):
            with Session.open(root, "bench") as s:
                result, seconds, mine, kids = cpu_timed(lambda s=s, full=full: export(
                    s, HOUSE, full=full, reason="基准测试" if full else None))
            table.add(name, f"{load()}", seconds=seconds, cpu=mine, office=kids, pages=result.binder_pages,
                      calls=result.office_calls)
            summary[name] = {"seconds": round(seconds, 2), "cpu_s": round(mine, 2), "soffice_cpu_s": round(kids, 2),
                             "binder_pages": result.binder_pages, "office_calls": result.office_calls,
                             "cached": result.cached, "bag_mb": round(Path(result.bag).stat().st_size / 1e6, 2)}
        table.print()
        first, second = summary["first --full (empty cache)"]["seconds"], summary["second --full (cached)"]["seconds"]
        print(f"goal first ≤ 60 s: {met(first <= 60)}; second ≤ 10 s: {met(second <= 10)}")
        c.write_json(args.json, summary, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
