#!/usr/bin/env python3
"""Monthly-report benchmark (`make bench`): the 客服接待月报表 over an archive of 50,000 records (12 months).

Prints, never asserts. Measures, each as the median of `--rounds`:
- figures alone: `figures.figures()` in-process (the §9 figures for M and M−1), and the
  `hudang report monthly M --figures-only --json` command by wall clock (process start included);
- DOCX + XLSX: `editions.monthly(..., pdf=False)` in-process: figures, lists, 12-month trend,
  two matplotlib charts, the docxtpl render and the workbook;
- PDF separately: LibreOffice headless converting that DOCX.
Goals from the issue: figures ≤ 1 s, DOCX + XLSX ≤ 5 s on 2 cores. Baseline in the same run: counting the two
months' records in the catalog (one indexed SQL pass, the least any figures call does); the documents are set
against the figures they are made from.

The archive is built through the real intake (CSV batches of complaints, repairs and registrations, one per
form and month, plus a fee ledger), with fsync switched off during set-up only. Building takes a few
minutes, so the home is kept under build/bench/report-home-<records>-<seed>/ and reused by later runs
(`--fresh` rebuilds it, `--clean` removes it afterwards).

    .venv/bin/python bench/report_bench.py [--quick] [--records 50000] [--month 2026-10] [--rounds 3] [--fresh]
                                           [--clean] [--no-pdf] [--json F]
"""

from __future__ import annotations

import csv
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import common as c

from hudang.archive.catalog import connect
from hudang.archive.store import Archive
from hudang.forms.definitions import load_forms
from hudang.pipeline.intake import runner
from hudang.pipeline.reports import editions, figures
from hudang.settings import Home, load_home

FIGURES_GOAL, DOCUMENTS_GOAL = 1.0, 5.0
ESTATES = ("金第花园", "翠湖苑", "阳光新城")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
DEPARTMENTS = ("工程部", "客服部", "保安部", "保洁部", "绿化部", "")
COMPLAINT_KINDS = ("有效投诉", "求助型", "咨询型", "发泄型", "")
REPAIR_KINDS = ("安全设施", "渗漏水", "水电", "门窗", "公共设施", "其他")
CONTENT = ("楼上卫生间渗漏水", "电梯经常停运", "小区绿化带有垃圾", "夜间噪音扰民", "车位被占用", "门禁卡失灵",
           "水管爆裂", "外墙渗水", "楼道灯不亮", "宠物粪便无人清理")
WEIGHTS = {"complaint": 0.4, "repair": 0.45, "registration": 0.15}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(rng: random.Random) -> str:
    body = f"340302{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def months_ending(last: figures.Month, n: int = 12) -> list[figures.Month]:
    return [last.back(i) for i in range(n - 1, -1, -1)]


def room(rng: random.Random) -> str:
    return f"{rng.randint(1, 30)}-{rng.randint(1, 3)}-{rng.randint(1, 28)}{rng.randint(1, 4):02d}"


def when(rng: random.Random, month: figures.Month) -> datetime:
    return month.start + timedelta(days=rng.randint(0, (month.last_day.day - 1)), hours=rng.randint(7, 21),
                                   minutes=rng.randint(0, 59))


def fmt(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


def complaint_row(rng: random.Random, n: int, month: figures.Month) -> list[str]:
    opened = when(rng, month)
    severity = rng.choices(("重大", "重要", "轻微"), (1, 4, 10))[0]
    done = opened + timedelta(hours=rng.randint(2, 24 * 8)) if rng.random() < 0.9 else None
    visit = done + timedelta(hours=rng.randint(1, 72)) if done and rng.random() < 0.8 else None
    return [f"TS{n:06d}", rng.choice(ESTATES), rng.choice(SURNAMES) + "先生", fmt(opened), room(rng),
            f"139{rng.randint(10000000, 99999999)}", "李客服", severity, rng.choice(COMPLAINT_KINDS),
            rng.choice(DEPARTMENTS), rng.choice(CONTENT), fmt(done) if done else "", fmt(visit) if visit else "",
            rng.choice(("满意", "满意", "基本满意", "不满意")) if visit else ""]


def repair_row(rng: random.Random, n: int, month: figures.Month) -> list[str]:
    opened = when(rng, month)
    done = opened + timedelta(hours=rng.randint(1, 96)) if rng.random() < 0.92 else None
    visit = done + timedelta(hours=rng.randint(1, 90)) if done and rng.random() < 0.85 else None
    return [f"WX{n:06d}", rng.choice(ESTATES), room(rng), rng.choice(SURNAMES) + "女士",
            f"137{rng.randint(10000000, 99999999)}", fmt(opened), rng.choice(CONTENT), rng.choice(REPAIR_KINDS),
            fmt(done) if done else "", fmt(visit) if visit else "",
            rng.choice(("满意", "基本满意", "不满意")) if visit else "", "是" if rng.random() < 0.05 else "否"]


def registration_row(rng: random.Random, n: int, month: figures.Month) -> list[str]:
    return [rng.choice(ESTATES), room(rng), rng.choice(SURNAMES) + "某", make_id(rng),
            f"138{rng.randint(10000000, 99999999)}", when(rng, month).date().isoformat()]


HEADERS = {
    "complaint": ["编号", "项目", "投诉人", "投诉时间", "投诉人房号", "联系电话", "接报人", "严重程度", "投诉类别",
                  "被投诉部门", "投诉内容", "完成时间", "回访时间", "回访结果"],
    "repair": ["编号", "项目", "房号", "报修人", "联系电话", "报修时间", "报修内容", "维修类别", "完成时间", "回访时间",
               "回访结果", "返修"],
    "registration": ["项目", "房号", "业主姓名", "证件号码", "联系电话", "入住日期"],
}
FOLDERS = {"complaint": "投诉处理单", "repair": "维修工作单", "registration": "住户登记表"}
MAKERS: dict[str, Callable[[random.Random, int, figures.Month], list[str]]] = {
    "complaint": complaint_row, "repair": repair_row, "registration": registration_row}


def write_sources(folder: Path, rng: random.Random, records: int, last: figures.Month) -> None:
    months = months_ending(last)
    serial = 0
    for form, share in WEIGHTS.items():
        per_month = round(records * share / len(months))
        target = folder / FOLDERS[form]
        target.mkdir(parents=True)
        for month in months:
            with open(target / f"{month.label}.csv", "w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                out.writerow(HEADERS[form])
                for _ in range(per_month):
                    serial += 1
                    out.writerow(MAKERS[form](rng, serial, month))
    with open(folder / "收费台账.csv", "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["项目", "房号", "费用项目", "所属期间", "应收金额", "实收金额", "收费日期"])
        for month in months:
            for i in range(600):
                paid = rng.random() < 0.85
                paid_on = month.start.date() + timedelta(days=rng.randint(0, 45))
                out.writerow([ESTATES[i % 3], f"{i // 60 + 1}-1-{i % 60 + 101}", "物业费", month.label, "286.50",
                              "286.50" if paid else "0", paid_on.isoformat() if paid else ""])


def build_home(root: Path, records: int, seed: int, last: figures.Month) -> Home:
    if root.exists():
        shutil.rmtree(root)
    c.fresh_home(root)
    home = c.set_config(root, "filing", "group_commit", 4096)   # set-up only: file the batches in large groups
    archive = Archive(home)
    with archive.writer():
        for name in ESTATES:
            archive.add_estate(name)
    archive.close()
    with tempfile.TemporaryDirectory(dir=c.BUILD) as tmp:
        write_sources(Path(tmp), random.Random(seed), records, last)
        with c.no_fsync():
            outcomes = runner.ingest(home, [Path(tmp)], workers=2)
    rows = [r for o in outcomes for r in (o.rows or [])]
    bad = [r for r in rows if r.status != "filed"]
    print(f"  ingested {len(outcomes)} files ({', '.join(sorted({o.status for o in outcomes}))}), {len(rows)} rows, "
          f"{len(bad)} rows not filed")
    (root / ".bench-ready").write_text("ok\n")
    return home


def count_records(conn: sqlite3.Connection, month: figures.Month) -> dict[str, int]:
    """The baseline: the records of M and M−1 counted by form, one indexed SQL pass and nothing else."""
    first, last = month.back(1).start.date().isoformat(), month.last_day.isoformat()
    return {row[0]: row[1] for row in conn.execute("SELECT form, COUNT(*) FROM records WHERE voided = 0 AND "
                                                   "form_date BETWEEN ? AND ? GROUP BY form", (first, last))}


def main(argv: list[str] | None = None) -> int:
    parser = c.parser(__doc__, rounds=3, seed=8)
    parser.add_argument("--records", type=int, default=50000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--fresh", action="store_true", help="rebuild the archive even when a kept one exists")
    parser.add_argument("--clean", action="store_true", help="remove the archive afterwards")
    parser.add_argument("--no-pdf", action="store_true", help="skip the LibreOffice timing")
    args = c.parse(parser, argv, "report_bench", records=1200)
    began = time.perf_counter()
    month = figures.Month.parse(args.month)
    c.BUILD.mkdir(parents=True, exist_ok=True)
    root = c.BUILD / f"report-home-{args.records}-{args.seed}"
    c.header("report bench", records=args.records, months=f"12 ending {month.label}", rounds=args.rounds)
    if args.fresh or not (root / ".bench-ready").is_file():
        print(f"  building {root.relative_to(c.ROOT)} …")
        _, secs = c.timed(lambda: build_home(root, args.records, args.seed, month))
        print(f"  built in {secs:.0f} s")
    else:
        print(f"  reusing {root.relative_to(c.ROOT)}")
    home = load_home(root)
    conn = connect(home.catalog_path)
    live = conn.execute("SELECT COUNT(*) FROM records WHERE voided = 0").fetchone()[0]
    print(f"  catalog: {live} live records, "
          f"{conn.execute('SELECT COUNT(*) FROM fee_rows').fetchone()[0]} ledger rows")

    def measured(fn: Callable[[], object]) -> tuple[c.Rounds, c.Meter]:
        with c.metered() as meter:
            got = c.rounds(fn, args.rounds)
        return got, meter

    forms = load_forms([home.forms_dir])
    base, base_m = measured(lambda: count_records(conn, month))
    fig, fig_m = measured(lambda: figures.figures(conn, forms, month, None))
    est, est_m = measured(lambda: figures.figures(conn, forms, month, ESTATES[0]))
    cli, cli_m = measured(lambda: c.hudang(root, "report", "monthly", month.label, "--figures-only", "--json"))
    print(f"\nfigures, median of {args.rounds} (rounds: in-process {fig.text()}; CLI {cli.text()})")
    baseline = "baseline: count M and M−1's records (SQL)"
    table = c.Table([("seconds", "seconds", ".3f")], baseline=baseline, ratios=["seconds"], width=52)
    table.add("figures.figures() in-process, M and M−1", fig_m.text(), seconds=fig.median)
    table.add(f"  the same for one estate ({ESTATES[0]})", est_m.text(), seconds=est.median)
    table.add("hudang report monthly --figures-only (CLI, wall)", cli_m.text(), seconds=cli.median)
    table.add(baseline, base_m.text(), seconds=base.median)
    table.print()
    data = fig.value
    print(f"  M: {data['complaints']['total']} complaints, {data['repairs']['total']} repairs, "
          f"{data['registrations']['total']} registrations; fees {data['fees']}; baseline counted {base.value}")
    print(f"goal figures ≤ {FIGURES_GOAL:g} s: {fig.median:.3f} s {c.met(fig.median <= FIGURES_GOAL)}")

    docs, docs_m = measured(lambda: editions.monthly(home, conn, month.label, None, pdf=False))
    docx = Path(next(p for p in docs.value.data["outputs"] if p.endswith(".docx")))
    print(f"\ndocuments, median of {args.rounds} (rounds: DOCX + XLSX {docs.text()}; the first includes importing "
          f"matplotlib); {docx.name} {docx.stat().st_size // 1024} KiB")
    table = c.Table([("seconds", "seconds", ".3f")], baseline="figures.figures() (from above)", ratios=["seconds"],
                    width=52)
    table.add("DOCX + XLSX: editions.monthly(pdf=False)", docs_m.text(), seconds=docs.median)
    pdf = None
    if not args.no_pdf and shutil.which("soffice"):
        with tempfile.TemporaryDirectory() as tmp:
            pdf, pdf_m = measured(lambda: editions.to_pdf(docx, Path(tmp) / "r.pdf", home.office.timeout))
        table.add("PDF of that DOCX (LibreOffice headless)", pdf_m.text(), seconds=pdf.median)
    table.add("figures.figures() (from above)", seconds=fig.median)
    table.print()
    print(f"goal DOCX + XLSX ≤ {DOCUMENTS_GOAL:g} s: {docs.median:.3f} s {c.met(docs.median <= DOCUMENTS_GOAL)}")
    conn.close()
    c.write_json(args.json, {
        "records": args.records, "month": month.label, "live_records": live,
        "seconds": {"baseline_count": base.seconds, "figures": fig.seconds, "figures_one_estate": est.seconds,
                    "cli_figures_only": cli.seconds, "docx_xlsx": docs.seconds, "pdf": pdf and pdf.seconds},
        "meters": {"figures": fig_m.as_json(), "docx_xlsx": docs_m.as_json()}}, began)
    if args.clean:
        shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
