#!/usr/bin/env python3
"""Dunning-letters benchmark (`make bench`): 5,000 催缴函 for 5,000 households, DOCX, PDF and filing.

Prints figures, never asserts them. In one process, on one generated data home (10 estates × 500 rooms, no room
key shared between estates unless `--same-room-keys`; every household owes 2–6 months and had a 电话 reminder
four months before the as-of 2026-11-26, so each is due a letter):

1. **The run**: `letters.dunning_run`; every phase of `DunningRun.timings`, "ladder + numbers" (wall − phases),
   and CPU seconds of this process and of the render workers. DOCX letters/s end to end including filing =
   letters / (docx + file + index). By default the run's PDF phase is skipped (`office.to_pdf` raises
   ToolMissing, as on a host without LibreOffice) and PDFs are measured in [3] through the same `to_pdf`;
   5,000 PDFs alone would take 8–25 minutes. `--full-pdf` lets the run convert everything. A check follows:
   distinct files and records, and 50 letters read back for their own number, owner, estate, room and amount.
2. **Template cost**: `--template-n` letters, serially, in-process, five ways taking turns letter by letter: a
   fresh `DocxTemplate` from bytes read once (construct / render / save timed apart), `Template.render` (the code
   path), a fresh one from disk, one object re-used (from BytesIO, from the path); wall and CPU ms a letter, and
   every output read back.
3. **PDF**: `to_pdf` of `--pdf-letters` of the run's DOCX with the home's settings (instances 2, batch 50),
   `instances=1` on `--one-instance` letters, and the naive baseline: one `soffice --headless --convert-to pdf`
   process per letter for `--naive` letters, one after another, all sharing one LibreOffice profile created and
   warmed beforehand (untimed), like a user's default profile; `to_pdf` of those same letters in one call; with
   `--naive-parallel` also the baseline two at a time.

Goals (issue 7): DOCX ≥ 50 letters/s on 2 cores, PDF ≥ 10 letters/s, batched ≥ 8× one process per letter. The load
average (what `uptime` prints) is shown at each step, and beside each rate a "free cores" figure: the same work at
its measured CPU seconds if the cores were the bench's alone (a bound: no disk waits, no contention). With
`--profile auto` (default) a missed DOCX goal cProfiles `Template.render` and the parent of a 500-letter run into
build/bench/profile-letters-*.txt (kept, with build/bench/letters_bench.json); the work folder build/bench/letters-*/
is removed afterwards (`--keep` keeps it).

    .venv/bin/python bench/letters_bench.py [--quick] [--json F] [--letters 5000] [--estates 10] [--same-room-keys] [--full-pdf]
                                            [--pdf-letters 400] [--one-instance 100] [--naive 50] [--naive-parallel]
                                            [--template-n 200] [--workers N] [--profile auto|always|never] [--keep]
"""

from __future__ import annotations

import os

os.environ["HUDANG_NOW"] = "2026-11-26T10:00:00+08:00"   # "today" for the ladder and the run, before hudang loads

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as dt  # noqa: E402
import io  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import common as c  # noqa: E402
from common import cpu_timed, load, met, timed  # noqa: E402

from hudang.archive.store import Archive  # noqa: E402
from hudang.errors import ToolMissing  # noqa: E402
from hudang.forms import office  # noqa: E402
from hudang.forms.definitions import load_forms  # noqa: E402
from hudang.forms.documents import A4, Template  # noqa: E402
from hudang.pipeline.dunning import letters as letters_mod  # noqa: E402
from hudang.pipeline.dunning.letters import Letter  # noqa: E402
from hudang.pipeline.intake import runner  # noqa: E402
from hudang.settings import Home, load_home  # noqa: E402

AS_OF = dt.date(2026, 11, 26)
REMINDED = dt.date(2026, 7, 26)      # four months before the as-of: a letter is due (≥ 3 calendar months)
DOCX_GOAL, PDF_GOAL, RATIO_GOAL = 50.0, 10.0, 8.0
ESTATES = ("金第花园", "翠湖苑", "阳光新城", "锦绣江南", "御景湾", "香榭丽舍", "碧水云天", "滨江壹号", "紫荆花园", "龙湖春天",
           "幸福里", "南山名苑", "明珠苑", "万科城", "世纪城", "书香门第", "华府天地", "蓝湾国际", "金色家园", "梧桐苑")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "建国伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红玲鹏辉晨宇浩然子涵欣怡梓轩"


# ---------------------------------------------------------------- the data home

def rooms_for(n: int, estates: int, same_keys: bool) -> list[tuple[str, int, int, str]]:
    """n rooms spread evenly over the estates: (estate, 楼栋, 单元, 房号), 2 units × 25 floors × 2 a building.

    Building numbers carry on from one estate to the next (estate 2 starts at 6栋 when each has 5), so no two
    estates share a room key; with ``same_keys`` every estate starts at 1栋 (1-1-101 in each), as real ones do."""
    names = ESTATES[:estates]
    per = -(-n // len(names))
    buildings = -(-per // 100)
    out = []
    for e, name in enumerate(names):
        count = min(per, n - e * per)
        for i in range(max(0, count)):
            building, rest = divmod(i, 100)
            unit, rest = divmod(rest, 50)
            floor, door = divmod(rest, 2)
            first = 1 if same_keys else 1 + e * buildings
            out.append((name, first + building, unit + 1, f"{floor + 1}{door + 1:02d}"))
    return out


def write_sources(folder: Path, n: int, estates: int, seed: int, same_keys: bool = False) -> dict[str, int]:
    """Roster, ledger (2026-01…10 物业服务费, a third also 停车费; 2–6 months owed, starting by June) and one 电话
    reminder per household on REMINDED."""
    rng = random.Random(seed)
    rooms = rooms_for(n, estates, same_keys)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"rooms": len(rooms), "ledger_rows": 0, "owed_rows": 0}
    with open(folder / "房屋清单.csv", "w", newline="", encoding="utf-8-sig") as roster, \
            open(folder / "收费台账.csv", "w", newline="", encoding="utf-8-sig") as ledger, \
            open(folder / "催缴记录.csv", "w", newline="", encoding="utf-8-sig") as log:
        r_out, l_out, m_out = csv.writer(roster), csv.writer(ledger), csv.writer(log)
        r_out.writerow(["项目", "楼栋", "单元", "房号", "建筑面积", "业主姓名"])
        l_out.writerow(["项目", "房号", "费用项目", "所属期间", "应收金额", "实收金额", "收费日期"])
        m_out.writerow(["项目", "房号", "日期", "方式", "备注"])
        for estate, building, unit, number in rooms:
            area = round(rng.uniform(55, 160), 2)
            owner = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
            r_out.writerow([estate, f"{building}栋", f"{unit}单元", number, f"{area:.2f}", owner])
            key = f"{building}-{unit}-{number}"
            start = rng.randint(2, 6)
            owed = set(range(start, min(10, start + rng.randint(2, 6) - 1) + 1))
            items = [("物业服务费", round(area * 2.6, 2))] + ([("停车费", 150.0)] if rng.random() < 1 / 3 else [])
            for item, due in items:
                for month in range(1, 11):
                    period = f"2026-{month:02d}"
                    if month in owed:
                        partial = round(due * 0.4, 2) if rng.random() < 0.15 else 0.0
                        paid_on = f"2026-{month:02d}-20" if partial else ""
                        l_out.writerow([estate, key, item, period, f"{due:.2f}", f"{partial:.2f}", paid_on])
                        counts["owed_rows"] += 1
                    else:
                        l_out.writerow([estate, key, item, period, f"{due:.2f}", f"{due:.2f}",
                                        f"2026-{month:02d}-{rng.randint(1, 28):02d}"])
                    counts["ledger_rows"] += 1
            m_out.writerow([estate, key, REMINDED.isoformat(), "电话", "业主称月底缴"])
    return counts


def build_home(work: Path, n: int, estates: int, seed: int, same_keys: bool = False) -> tuple[Home, dict[str, Any]]:
    home = c.fresh_home(work / "home")
    src = work / "sources"
    info: dict[str, Any] = write_sources(src, n, estates, seed, same_keys)
    statuses = []
    for name in ("房屋清单.csv", "收费台账.csv", "催缴记录.csv"):   # rooms first: the ledger checks them
        statuses += [o.status for o in runner.ingest(home, [src / name])]
    info["ingest"] = statuses
    return load_home(home.root), info


# ---------------------------------------------------------------- helpers

def docx_text(path: Path) -> str:
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


# ---------------------------------------------------------------- 1. the run

def run_letters(home: Home, workers: int) -> tuple[Any, float, float, float, Archive]:
    """The run, its wall time, and the CPU seconds of this process and of the render workers (and soffice)."""
    archive = Archive(home)
    forms = load_forms([home.forms_dir])
    os.sync()
    run, wall, own, kids = cpu_timed(lambda: letters_mod.dunning_run(home, archive, forms, AS_OF, workers=workers))
    return run, wall, own, kids, archive


def check_run(run: Any, archive: Archive, sample: int) -> dict[str, Any]:
    """Not a timing: are there as many files and records as letters, and does a sample say the right things?"""
    letters = run.letters
    step = max(1, len(letters) // max(1, sample))
    wrong = []
    for x in letters[::step][:sample]:
        text = docx_text(x.docx) if x.docx and x.docx.is_file() else ""
        s = x.standing
        if not all(v in text for v in (x.number, x.owner, s.estate, x.display, f"{s.arrears:.2f}")):
            wrong.append(f"{s.household} {x.number}")
    records = archive.conn.execute("SELECT COUNT(*) FROM records WHERE form = 'letter'").fetchone()[0]
    return {"docx_files": len({x.docx for x in letters if x.docx}), "pdf_files": len({x.pdf for x in letters if x.pdf}),
            "record_ids": len({x.record_id for x in letters if x.record_id}), "letter_records": records,
            "sampled": len(letters[::step][:sample]), "wrong": wrong}


# ---------------------------------------------------------------- 2. template cost

WAYS = (("fresh_bytes", "fresh DocxTemplate from cached bytes, timed in parts"),
        ("template_render", "Template.render (the code path: fresh from bytes)"),
        ("fresh_disk", "fresh DocxTemplate loaded from disk each time"),
        ("reuse_bytes", "one DocxTemplate re-used (made from BytesIO once)"),
        ("reuse_path", "one DocxTemplate re-used (made from the path once)"))


def template_cost(home: Home, jobs: list[tuple[dict[str, Any], Letter]], out: Path) -> dict[str, Any]:
    """Seconds (wall and CPU) per way of getting a template object, over the same letters.

    The ways take turns letter by letter, in a rotating order, so a burst of load from other jobs on the
    machine falls on all of them alike. Every output is read back for its own number, owner and 大写."""
    from docxtpl import DocxTemplate

    template = Template.load(letters_mod.TEMPLATE, home.templates_dir)
    path = template.path
    res: dict[str, Any] = {"template": str(path), "template_kib": len(template.data) / 1024,
                           "wall": dict.fromkeys((w for w, _ in WAYS), 0.0),
                           "cpu": dict.fromkeys((w for w, _ in WAYS), 0.0),
                           "parts": {"construct": 0.0, "render": 0.0, "save": 0.0}, "errors": {}}
    for way, _ in WAYS:
        (out / way).mkdir(parents=True)
        res["errors"][way] = []

    def finish(doc: Any) -> None:   # what Template.render does after the render: force A4
        for section in doc.docx.sections:
            if section.page_width != A4[0] or section.page_height != A4[1]:
                section.page_width, section.page_height = A4

    def fresh_bytes(ctx: dict[str, Any], dest: Path) -> None:   # Template.render's steps, timed apart
        a = time.perf_counter()
        doc = DocxTemplate(io.BytesIO(template.data))
        doc.init_docx()                      # docxtpl opens the package lazily; count that as construction
        b = time.perf_counter()
        doc.render(ctx, autoescape=True)
        finish(doc)
        d = time.perf_counter()
        doc.save(str(dest))
        parts = res["parts"]
        parts["construct"] += b - a
        parts["render"] += d - b
        parts["save"] += time.perf_counter() - d

    def fresh_disk(ctx: dict[str, Any], dest: Path) -> None:
        doc = DocxTemplate(str(path))
        doc.render(ctx, autoescape=True)
        finish(doc)
        doc.save(str(dest))

    shared = {"reuse_bytes": DocxTemplate(io.BytesIO(template.data)), "reuse_path": DocxTemplate(str(path))}

    def reuse(which: str) -> Callable[[dict[str, Any], Path], None]:
        def go(ctx: dict[str, Any], dest: Path) -> None:
            doc = shared[which]
            doc.render(ctx, autoescape=True)
            finish(doc)
            doc.save(str(dest))
        return go

    fns: dict[str, Callable[[dict[str, Any], Path], None]] = {
        "fresh_bytes": fresh_bytes, "template_render": lambda ctx, dest: template.render(ctx, dest),
        "fresh_disk": fresh_disk, "reuse_bytes": reuse("reuse_bytes"), "reuse_path": reuse("reuse_path")}
    order = [w for w, _ in WAYS]
    for i, (ctx, _) in enumerate(jobs):
        turn = order[i % len(order):] + order[:i % len(order)]
        for way in turn:
            w, cp = time.perf_counter(), time.process_time()
            try:
                fns[way](ctx, out / way / f"{i}.docx")
            except Exception as exc:   # noqa: BLE001 — report what a way does, whatever it is
                res["errors"][way].append(f"letter {i}: {type(exc).__name__}: {exc}"[:160])
            res["wall"][way] += time.perf_counter() - w
            res["cpu"][way] += time.process_time() - cp
    res["right"] = {}
    for way in order:
        right = 0
        for i, (ctx, _) in enumerate(jobs):
            dest = out / way / f"{i}.docx"
            text = docx_text(dest) if dest.is_file() else ""
            right += all(ctx[k] in text for k in ("number", "owner", "amount_upper", "room"))
        res["right"][way] = right
    return res


# ---------------------------------------------------------------- 3. PDF

def naive_pdf(soffice: str, docs: list[Path], outdir: Path, profiles: list[Path]) -> tuple[float, int]:
    """One soffice process per letter; with two profiles, two at a time. Profiles exist already (warmed)."""
    outdir.mkdir(parents=True, exist_ok=True)

    def one(doc: Path, profile: Path) -> None:
        subprocess.run([soffice, "--headless", f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf",
                        "--outdir", str(outdir), str(doc)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**os.environ, "HOME": str(profile)}, timeout=300, check=False)

    t = time.perf_counter()
    if len(profiles) == 1:
        for doc in docs:
            one(doc, profiles[0])
    else:
        halves = [docs[i::len(profiles)] for i in range(len(profiles))]
        with ThreadPoolExecutor(len(profiles)) as pool:
            def share(k: int) -> None:
                for doc in halves[k]:
                    one(doc, profiles[k])
            list(pool.map(share, range(len(profiles))))
    seconds = time.perf_counter() - t
    made = sum(1 for d in docs if (outdir / f"{d.stem}.pdf").is_file())
    return seconds, made


def warm_profile(soffice: str, profile: Path, doc: Path, scratch: Path) -> float:
    """Create a LibreOffice profile with one conversion (untimed in the baseline); returns how long it took."""
    t = time.perf_counter()
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf",
                    "--outdir", str(scratch), str(doc)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "HOME": str(profile)}, timeout=300, check=False)
    return time.perf_counter() - t


# ---------------------------------------------------------------- main

@contextmanager
def pdf_elsewhere() -> Iterator[None]:
    """Bench only: the run's PDF phase raises ToolMissing at once (DOCX only, like a host without LibreOffice);
    the PDFs are then measured on a sample through the very same `office.to_pdf`."""
    real = office.to_pdf

    def skip(*_: Any, **__: Any) -> Any:
        raise ToolMissing("bench: PDFs measured separately")
    office.to_pdf = skip  # type: ignore[assignment]
    try:
        yield
    finally:
        office.to_pdf = real  # type: ignore[assignment]


def pdf_figures(args: argparse.Namespace, home: Home, work: Path, docs: list[Path], run_pdf: float | None,
                n: int) -> dict[str, Any]:
    """[3]: the batched conversion (the run's phase, or a sample through to_pdf), instances=1, and naive."""
    pdf: dict[str, Any] = {}
    soffice = office.find_soffice()
    if soffice is None:
        print("\n[3] PDF: LibreOffice not found, skipped")
        return pdf
    inst, batch, timeout = home.office.pdf_instances, home.office.pdf_batch, home.office.timeout
    if run_pdf is None and args.pdf_letters <= 0:
        print("\n[3] PDF: skipped (--pdf-letters 0)")
        return pdf
    if run_pdf is not None:
        pdf.update(batched_letters=n, batched_s=run_pdf, batched_rate=n / run_pdf, batched_source="the run's pdf phase")
        print(f"\n[3] PDF: the run converted all {n} letters (instances={inst}, batch {batch}) in {run_pdf:.1f} s; "
              f"{load()}")
    else:
        step = max(1, len(docs) // args.pdf_letters)
        sample = docs[::step][:args.pdf_letters]
        print(f"\n[3] PDF: office.to_pdf of {len(sample)} of the run's DOCX (every {step}th), instances={inst}, "
              f"batch {batch}, as in the run's pdf phase; {load()}")
        conv, secs, _, kids = cpu_timed(lambda: office.to_pdf(sample, work / "pdf-batched", instances=inst,
                                                              batch=batch, timeout=timeout))
        ok = sum(1 for v in conv.pdfs.values() if v)
        pdf.update(batched_letters=len(sample), batched_s=secs, batched_rate=len(sample) / secs,
                   batched_cpu=kids / len(sample),
                   batched_source=f"to_pdf of {len(sample)} letters", batched_calls=conv.calls,
                   batched_timeouts=conv.timeouts, batched_ok=ok)
        print(f"  {secs:6.1f} s, {len(sample) / secs:5.1f} letters/s, {ok} PDFs, {conv.calls} soffice calls, "
              f"{conv.timeouts} time-outs; soffice CPU {1000 * kids / len(sample):.0f} ms a letter; {load()}")
    if args.one_instance:
        sample = docs[:min(args.one_instance, len(docs))]
        conv, secs = timed(lambda: office.to_pdf(sample, work / "pdf-i1", instances=1, batch=batch, timeout=timeout))
        pdf.update(i1_letters=len(sample), i1_s=secs, i1_rate=len(sample) / secs)
        print(f"  instances=1, {len(sample)} letters: {secs:6.1f} s, {len(sample) / secs:5.1f} letters/s, "
              f"{conv.calls} calls; {load()}")

    naive_docs = docs[:min(args.naive, len(docs))]
    profiles = [work / "naive-profile-0", work / "naive-profile-1"][:2 if args.naive_parallel else 1]
    warm = [warm_profile(soffice, pr, docs[-1], work / "warm") for pr in profiles]
    print(f"  naive baseline: {len(naive_docs)} letters, one `soffice --headless --convert-to pdf` per letter, one "
          f"after another, one profile shared by all (created and warmed first by one conversion, untimed: "
          f"{', '.join(f'{w:.1f}' for w in warm)} s); {load()}")
    (secs, made), _, _, kids = cpu_timed(lambda: naive_pdf(soffice, naive_docs, work / "naive-1", profiles[:1]))
    pdf.update(naive_letters=len(naive_docs), naive_s=secs, naive_rate=len(naive_docs) / secs, naive_made=made,
               naive_cpu=kids / len(naive_docs))
    print(f"  naive, one at a time: {secs:6.1f} s, {len(naive_docs) / secs:5.2f} letters/s "
          f"({1000 * secs / len(naive_docs):.0f} ms a letter), {made} PDFs; soffice CPU "
          f"{1000 * kids / len(naive_docs):.0f} ms a letter; {load()}")
    conv, bsecs = timed(lambda: office.to_pdf(naive_docs, work / "pdf-same", instances=inst, batch=batch,
                                              timeout=timeout))
    pdf.update(same_s=bsecs, same_rate=len(naive_docs) / bsecs, same_calls=conv.calls)
    print(f"  batched, the same {len(naive_docs)} letters (to_pdf, instances={inst}, batch {batch}): {bsecs:6.1f} s, "
          f"{len(naive_docs) / bsecs:5.1f} letters/s, {conv.calls} soffice call(s), fresh profiles included")
    if args.naive_parallel:
        secs2, made2 = naive_pdf(soffice, naive_docs, work / "naive-2", profiles)
        pdf.update(naive2_s=secs2, naive2_rate=len(naive_docs) / secs2)
        print(f"  naive, two at a time (two warmed profiles): {secs2:6.1f} s, {len(naive_docs) / secs2:5.2f} "
              f"letters/s, {made2} PDFs")
    return pdf


def main(argv: list[str] | None = None) -> int:
    cores = c.CORES
    parser = c.parser(__doc__, seed=7)
    parser.add_argument("--letters", type=int, default=5000, help="households, each due a letter (default 5000)")
    parser.add_argument("--estates", type=int, default=10,
                        help=f"estates they are spread over, evenly (1…{len(ESTATES)}, default 10)")
    parser.add_argument("--same-room-keys", action="store_true",
                        help="every estate numbers its buildings from 1, as real estates do (default: they carry on)")
    parser.add_argument("--full-pdf", action="store_true",
                        help="let the run convert all its letters to PDF itself (5,000 take 8–25 min on 2 cores)")
    parser.add_argument("--pdf-letters", type=int, default=400,
                        help="without --full-pdf: letters converted by the batched to_pdf (default 400; 0 skips PDFs)")
    parser.add_argument("--one-instance", type=int, default=100,
                        help="letters for the to_pdf run with instances=1 (0 skips; default 100)")
    parser.add_argument("--naive", type=int, default=50, help="letters for the one-soffice-per-letter baseline")
    parser.add_argument("--naive-parallel", action="store_true",
                        help="also run the baseline two at a time with two profiles")
    parser.add_argument("--template-n", type=int, default=200, help="letters per template variant (default 200)")
    parser.add_argument("--workers", type=int, default=cores, help=f"DOCX render processes (default cores = {cores})")
    parser.add_argument("--profile", choices=["auto", "always", "never"], default="auto",
                        help="cProfile render and filing when the DOCX goal is missed (auto), always, or never")
    args = c.parse(parser, argv, "letters_bench", letters=120, estates=2, pdf_letters=12, one_instance=0, naive=3,
                   template_n=10, profile="never")
    args.estates = max(1, min(args.estates, len(ESTATES)))

    began = time.perf_counter()
    summary: dict[str, Any] = {"cores": cores, "workers": args.workers, "letters": args.letters,
                               "estates": args.estates, "same_room_keys": args.same_room_keys,
                               "full_pdf": args.full_pdf, "loads": {}}

    def mark(when: str) -> str:
        summary["loads"][when] = os.getloadavg()
        return load()

    print(f"hudang letters bench — {cores} cores, {args.workers} render workers, {args.letters} households in "
          f"{args.estates} estates{' (the same room keys in each)' if args.same_room_keys else ''}, as-of {AS_OF}; "
          f"{c.code_state()}")
    print(f"  {mark('start')} at the start")
    with c.work_dir("letters", args.keep) as work:
        (home, info), setup_s = timed(lambda: build_home(work, args.letters, args.estates, args.seed,
                                                         args.same_room_keys))
        print(f"set-up: {info['rooms']} rooms, {info['ledger_rows']} ledger rows ({info['owed_rows']} owed), "
              f"{info['rooms']} 电话 reminders on {REMINDED}; ingested ({', '.join(info['ingest'])}) in {setup_s:.1f} s")
        print(f"  office settings: pdf_instances={home.office.pdf_instances} pdf_batch={home.office.pdf_batch} "
              f"pdf_timeout={home.office.timeout:g}s; group_commit={home.limits.group_commit}")

        # 1. the run
        how = "PDFs included" if args.full_pdf else "PDF phase skipped (measured in [3])"
        print(f"\n[1] dunning_run, {args.workers} workers, {how}; {mark('run_before')} before")
        if args.full_pdf:
            run, wall, own_cpu, kids_cpu, archive = run_letters(home, args.workers)
        else:
            with pdf_elsewhere():
                run, wall, own_cpu, kids_cpu, archive = run_letters(home, args.workers)
        n = len(run.letters)
        t = run.timings
        pdfs = sum(1 for x in run.letters if x.pdf)
        ladder_s = wall - sum(t.values())
        print(f"  {n} letters (expected {args.letters}), {pdfs} PDFs; warnings: {run.warnings or 'none'}")
        print(f"  {mark('run_after')} after")
        print(f"  {'phase':28} {'seconds':>8} {'letters/s':>10}")
        for name, secs in [("ladder + numbers (wall − Σ)", ladder_s), *t.items()]:
            print(f"  {name:28} {secs:8.2f} {n / secs if secs > 0.001 else float('inf'):10.1f}")
        print(f"  {'wall':28} {wall:8.2f} {n / wall:10.1f}")
        who = "render workers and soffice" if args.full_pdf else "render workers"
        print(f"  CPU: this process {own_cpu:.1f} s ({1000 * own_cpu / n:.1f} ms a letter: ladder, filing, index, "
              f"list), {who} {kids_cpu:.1f} s ({1000 * kids_cpu / n:.1f} ms a letter)")
        docx_core = t["docx"] + t["file"] + t["index"]
        chk = check_run(run, archive, 50)
        print(f"  check: {chk['docx_files']} distinct DOCX, {chk['pdf_files']} distinct PDFs, "
              f"{chk['record_ids']} distinct record ids, {chk['letter_records']} letter records in the catalog; "
              f"{chk['sampled'] - len(chk['wrong'])}/{chk['sampled']} sampled DOCX show their own number, owner, "
              f"estate, room and amount")
        if chk["wrong"] or len({chk["docx_files"], chk["record_ids"], chk["letter_records"], n}) > 1:
            print(f"  !! letters collide: {n} letters, but the counts above differ; wrong e.g. {chk['wrong'][:3]}")
        summary["check"] = chk
        summary["run"] = {"wall_s": wall, "ladder_s": ladder_s, "timings": t, "letters": n, "pdfs": pdfs,
                          "cpu_self_s": own_cpu, "cpu_children_s": kids_cpu,
                          "warnings": run.warnings}
        archive.close()

        # 2. template cost
        k = min(args.template_n, n)
        print(f"\n[2] template cost: {k} letters each way, serially, in-process; {mark('template')}")
        jobs = [(letters_mod.context_for(x, home, AS_OF), x) for x in run.letters[:k]]
        tc = template_cost(home, jobs, work / "template")

        def ms(s: float) -> float:
            return 1000 * s / k

        p = tc["parts"]
        print(f"  template {Path(tc['template']).name}, {tc['template_kib']:.0f} KiB; the ways take turns letter by "
              "letter; each output read back for its number, owner, room and 大写")
        print(f"  {'way':54} {'wall ms':>8} {'CPU ms':>7}  right")
        for way, label in WAYS:
            print(f"  {label:54} {ms(tc['wall'][way]):8.2f} {ms(tc['cpu'][way]):7.2f}  {tc['right'][way]}/{k}")
            if way == "fresh_bytes":
                for part, text in (("construct", "construct: open the zip, parse its XML parts"),
                                   ("render", "render: jinja over the XML, tables, A4"),
                                   ("save", "save: serialize and zip the DOCX")):
                    print(f"  {'  ' + text:54} {ms(p[part]):8.2f}")
            if tc["errors"][way]:
                print(f"    {len(tc['errors'][way])} errors, first: {tc['errors'][way][0]}")
        total = tc["wall"]["fresh_bytes"]
        print(f"  → a fresh object costs {ms(p['construct']):.1f} ms of {ms(total):.1f} ms a letter "
              f"({100 * p['construct'] / total:.0f}%); re-using one object saves nothing, because docxtpl "
              "0.20's render() reloads the template by itself once the object has rendered (init_docx(reload=True)).")
        summary["template"] = tc

        # 3. PDF
        docs = [x.docx for x in run.letters if x.docx]
        pdf = pdf_figures(args, home, work, docs, t.get("pdf") if args.full_pdf else None, n)
        summary["pdf"] = pdf

        # the table: measured wall-clock figures, and beside them what the CPU seconds say the same work would
        # reach if this process had the cores to itself (a bound, not a measurement: no disk waits, no contention)
        docx_rate = n / docx_core
        free = min(args.workers, cores)
        docx_free = None if args.full_pdf else n / (kids_cpu / free + own_cpu)
        print(f"\n=== figures: {n} letters, {cores} cores, {args.workers} workers; {mark('table')} ===")
        print("  load averages (1 min) along the way: " + "; ".join(
            f"{w} {a[0]:.1f}" for w, a in summary["loads"].items()))
        print("  'free cores' = the same work at its measured CPU seconds, if the cores were this bench's alone")
        print(f"{'figure':60} {'measured':>9} {'free cores':>10}  goal (on measured)")

        def row(label: str, value: float, free_value: float | None = None, goal: str = "", fmt: str = ".1f") -> None:
            est = f"{free_value:{fmt}}" if free_value is not None else ""
            print(f"{label:60} {value:9{fmt}} {est:>10}  {goal}")

        row("DOCX letters/s incl. filing = n / (docx + file + index)", docx_rate, docx_free,
            f"≥ {DOCX_GOAL:g}/s {met(docx_rate >= DOCX_GOAL)}")
        row("  the same, ladder + numbering counted too", n / (docx_core + ladder_s))
        row("  render alone (docx phase)", n / t["docx"], None if args.full_pdf else n * free / kids_cpu)
        row("  filing alone (file phase)", n / t["file"])
        row("  indexing alone (index phase)", n / t["index"])
        row("  serial Template.render in one process (from [2])", 1000 / ms(tc["wall"]["template_render"]),
            1000 / ms(tc["cpu"]["template_render"]))
        summary["figures"] = {"docx_rate": docx_rate, "docx_rate_free_cores": docx_free, "run_wall_rate": n / wall}
        if "batched_rate" in pdf:
            rate = pdf["batched_rate"]
            pdf_free = min(home.office.pdf_instances, cores) / pdf["batched_cpu"] if "batched_cpu" in pdf else None
            naive_free = 1 / pdf["naive_cpu"]
            whole = wall if args.full_pdf else wall + n / rate
            if args.full_pdf:
                row("whole run letters/s (wall, PDF, print file and list incl.)", n / whole)
            else:
                row("whole run letters/s, estimated: DOCX-only wall + n / PDF rate", n / whole,
                    n / (n / docx_free + n / pdf_free) if docx_free and pdf_free else None)
                row("  the run without PDFs (wall, mailing list incl.)", n / wall)
            row(f"PDF letters/s, batched ({pdf['batched_source']})", rate, pdf_free,
                f"≥ {PDF_GOAL:g}/s {met(rate >= PDF_GOAL)}")
            if "i1_rate" in pdf:
                row(f"  to_pdf instances=1, {pdf['i1_letters']} letters", pdf["i1_rate"])
            row(f"  to_pdf of the {pdf['naive_letters']} baseline letters (1 call, fresh profile)", pdf["same_rate"])
            row(f"PDF letters/s, naive: one soffice per letter, {pdf['naive_letters']} letters", pdf["naive_rate"],
                naive_free, fmt=".2f")
            if "naive2_rate" in pdf:
                row("  naive, two at a time", pdf["naive2_rate"], fmt=".2f")
            ratio = rate / pdf["naive_rate"]
            row("ratio batched / naive (×)", ratio, pdf_free / naive_free if pdf_free else None,
                f"≥ {RATIO_GOAL:g}× {met(ratio >= RATIO_GOAL)}")
            row(f"  ratio on the same {pdf['naive_letters']} letters, one batch (×)",
                pdf["same_rate"] / pdf["naive_rate"])
            if "naive2_rate" in pdf:
                row("  ratio batched / naive two at a time (×)", rate / pdf["naive2_rate"])
            summary["figures"].update(pdf_rate=rate, pdf_rate_free_cores=pdf_free, whole_rate=n / whole,
                                      ratio=ratio, ratio_free_cores=pdf_free / naive_free if pdf_free else None,
                                      whole_estimated=not args.full_pdf)
        if cores != 2:
            print(f"  (measured on {cores} cores; the goals are stated for 2)")

        below = docx_rate < DOCX_GOAL
        if args.profile == "always" or (args.profile == "auto" and below):
            print("\nprofiling" + (" (DOCX goal missed)" if below else "") + " …")
            template = Template.load(letters_mod.TEMPLATE, home.templates_dir)
            folder = work / "profile-render"
            folder.mkdir()
            dest = c.BUILD / "profile-letters-render.txt"
            top = c.profile_to(dest, f"Template.render of {k} letters, serially, in-process",
                               lambda _: [template.render(ctx, folder / f"{i}.docx") for i, (ctx, _) in enumerate(jobs)])
            print(f"{dest.relative_to(c.ROOT)} — top by own time:\n    " + "\n    ".join(top))
            m = min(args.letters, 500)
            prof_home, _ = build_home(work / "prof", m, args.estates, args.seed, args.same_room_keys)
            archive2 = Archive(prof_home)
            forms = load_forms([prof_home.forms_dir])
            dest = c.BUILD / "profile-letters-run.txt"
            with pdf_elsewhere():
                top = c.profile_to(dest, f"dunning_run of {m} letters, DOCX only: the parent process (ladder, "
                                 "numbers, filing, index, mailing list; the render workers are other processes)",
                                   lambda _: letters_mod.dunning_run(prof_home, archive2, forms, AS_OF,
                                                                     workers=args.workers))
            archive2.close()
            print(f"{dest.relative_to(c.ROOT)} — top by own time:\n    " + "\n    ".join(top))

        c.write_json(args.json, summary, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
