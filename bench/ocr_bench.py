#!/usr/bin/env python3
"""OCR benchmark (`make bench`): `forms.ocr.ocr()` (OCRmyPDF, chi_sim+chi_tra) on generated pages with known text.

Prints figures and ratios, never asserts them (timed assertions do not belong in tests). Measures:
- speed: seconds per page and pages per minute with 1 worker and with 2 (a ProcessPoolExecutor over the
  pages, each calling `ocr()`), for a typical form page (~300 characters) and a dense page (~2,000), by
  wall clock and as CPU seconds of the OCR processes (the CPU figure moves less when the machine is shared);
- character error rate on the same pages, Simplified and Traditional, clean 300 dpi print and a 200 dpi
  scan turned by ±1.2° with noise (as samples/scanning.fill_page does), beside plain `tesseract PAGE.png -
  -l chi_sim` and `-l chi_sim+chi_tra` on the same page images, timed and scored the same way.
  CER = Levenshtein distance / reference length, both sides normalised: white space removed, zhconv to
  Simplified, full-width to half-width;
- what the parts cost: one page (`--probe`, a typical Simplified scan by default) through OCRmyPDF directly,
  with the very command `ocr()` runs (`forms.ocr.ocrmypdf_command`, `-v 1` instead of `-q`) and with one thing
  changed at a time (`--output-type pdf`, no `--deskew`, `--rotate-pages` as for a page without a QR code, the
  fpdf2 `hocr` renderer instead of `sandwich`, `--optimize 0`), a time line of the full run read from
  OCRmyPDF's log, and the start-up of `python -m ocrmypdf` alone.
Goals from issue 6, on 2 cores: ≤ 4 s per typical page per worker; CER ≤ 2% on clean 300 dpi print and
≤ 5% on the 200 dpi, rotated, noisy scan. The load average is printed beside every figure.

Texts come from a fixed seed (物业 complaint and repair vocabulary, names, rooms, dates, telephone numbers);
the Traditional pages are the same texts through `zhconv.convert(text, "zh-hant")`, drawn with the TC face
of Noto Sans CJK. Everything is written under build/bench/ocr-<pid>/ and removed unless `--keep`.

    .venv/bin/python bench/ocr_bench.py [--quick] [--pages 2] [--dense-pages 1] [--seed 6] [--probe KEY]
                                        [--keep] [--json F]
"""

from __future__ import annotations

import difflib
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common as c
import zhconv
from common import met
from PIL import Image, ImageDraw, ImageFont
from scanning import FONT, SC, TC, typed_page  # the page helpers the tests and the demo use

from hudang.forms.ocr import LANGS, ocr, ocrmypdf_command
from hudang.forms.scans import as_pdf

TIME_GOAL, CLEAN_GOAL, SCAN_GOAL = 4.0, 0.02, 0.05
CONDITIONS = {"clean": dict(dpi=300, rotate=0.0, noise=0.0), "scan": dict(dpi=200, rotate=1.2, noise=0.08)}
CONDITION_NAMES = {"clean": "clean 300 dpi", "scan": "200 dpi ±1.2° noise"}
SCRIPTS = {"sc": SC, "tc": TC}
OMP = {**os.environ, "OMP_THREAD_LIMIT": "1"}

# ---------------------------------------------------------------------------------------------- texts

ESTATES = ("金第花园", "翠湖苑", "阳光新城", "锦绣华庭", "滨江名邸", "御景湾")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰建国燕华玉珍志红海鹏飞雪梅晓东文斌丹宇浩然佳琪欣怡子涵俊"
WORKERS = ("李强", "王建军", "陈师傅", "赵志刚", "孙海涛", "刘德明")
DEPARTMENTS = ("工程部", "客服部", "秩序维护部", "环境部", "绿化组")
PROBLEMS = ("卫生间顶部渗漏水，墙面已经发霉", "厨房下水管堵塞，污水倒灌", "楼道灯不亮已有一周", "电梯运行时有异响并且经常停运",
            "门禁卡无法识别，进出不便", "地下车库雨后积水", "外墙瓷砖脱落，存在安全隐患", "楼上夜间装修噪音扰民",
            "宠物粪便无人清理", "绿化带垃圾未及时清运", "阳台推拉门变形关不严", "入户门锁芯损坏", "水表读数异常，水费偏高",
            "暖气片不热，室内温度只有十四度", "消防通道被杂物堵塞", "小区内车辆乱停放，占用消防车道", "垃圾桶满溢散发异味",
            "监控探头损坏，夜间看不清", "高峰时段水压偏低", "化粪池返味严重", "窗户密封条老化漏风", "地漏返臭",
            "客厅插座跳闸", "单元门闭门器损坏", "楼顶防水层开裂")
CAUSES = ("楼上住户防水层破损", "排水立管接口松动", "灯具镇流器老化", "曳引机钢丝绳需要润滑", "读卡器受潮",
          "排水泵浮球卡滞", "外墙砂浆空鼓", "闭门器液压油泄漏", "水表机芯磨损", "进户阀门未完全打开")
FIXES = ("更换了密封圈并做闭水试验", "疏通了管道并清理了存水弯", "更换了灯具和镇流器", "联系电梯维保单位进行检修",
         "更换了读卡器", "清理了浮球并试运行正常", "拆除了松动瓷砖并拉设警戒线", "更换了闭门器", "更换了水表",
         "重新打开阀门并排气")
DEMANDS = ("尽快维修", "赔偿损失", "加强巡查", "给出书面答复", "减免当月物业费", "限期整改")
RESULTS = ("非常满意", "满意", "基本满意", "不满意，要求返修")


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def room(rng: random.Random) -> str:
    return f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 32)}{rng.randint(1, 4):02d}室"


def date(rng: random.Random) -> str:
    return f"2026年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"


def clock(rng: random.Random) -> str:
    return f"{rng.randint(7, 21):02d}:{rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50)):02d}"


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"


def sentence(rng: random.Random) -> str:
    n, w = name(rng), rng.choice(WORKERS)
    return rng.choice((
        f"{date(rng)}{clock(rng)}，{rng.choice(ESTATES)}{room(rng)}业主{n}来电反映{rng.choice(PROBLEMS)}，要求{rng.choice(DEMANDS)}。",
        f"{n}（{room(rng)}，电话{phone(rng)}）投诉{rng.choice(PROBLEMS)}，客服部已登记并派单。",
        f"{rng.choice(DEPARTMENTS)}{w}于{date(rng)}上门检查，发现{rng.choice(CAUSES)}，已{rng.choice(FIXES)}。",
        f"经核实，{rng.choice(CAUSES)}，客服部已与业主{n}沟通，约定{date(rng)}前处理完毕。",
        f"{date(rng)}回访业主{n}，对处理结果表示{rng.choice(RESULTS)}，回访人{name(rng)}。",
        f"本月共受理报修{rng.randint(80, 260)}件，投诉{rng.randint(5, 40)}件，及时完成率{rng.randint(85, 99)}.{rng.randint(0, 9)}%。",
        f"材料费用{rng.randint(20, 900)}元由{rng.choice(('业主承担', '维修基金列支', '物业公司承担'))}，收据编号SJ{rng.randint(100000, 999999)}。",
    ))


def typical_text(rng: random.Random) -> list[str]:
    """A filled-in form of about 300 characters: labelled lines and two or three sentences of content."""
    form = rng.choice(("报修登记表", "投诉处理单"))
    estate, person, when = rng.choice(ESTATES), name(rng), date(rng)
    head = [f"{estate}物业服务中心{form}", f"编号：{'BX' if form == '报修登记表' else 'TS'}2026{rng.randint(0, 99999):05d}",
            f"项目：{estate}　房号：{room(rng)}", f"{'报修人' if form == '报修登记表' else '投诉人'}：{person}　联系电话：{phone(rng)}",
            f"{'报修时间' if form == '报修登记表' else '投诉时间'}：{when} {clock(rng)}",
            f"{'报修内容' if form == '报修登记表' else '投诉内容'}：{rng.choice(PROBLEMS)}。"]
    tail = [f"处理人员：{rng.choice(WORKERS)}　完成时间：{date(rng)} {clock(rng)}", f"回访意见：{rng.choice(RESULTS)}"]
    body: list[str] = ["处理情况："]
    while sum(map(len, head + body + tail)) < 285:
        body.append(sentence(rng))
    return head + ["".join(body)] + tail


def dense_text(rng: random.Random) -> list[str]:
    """A dense page of about 2,000 characters: a monthly account of complaints and repairs in paragraphs."""
    estate = rng.choice(ESTATES)
    lines = [f"{estate}物业服务中心{rng.randint(1, 12)}月客户服务情况说明"]
    while sum(map(len, lines)) < 1960:
        lines.append("".join(sentence(rng) for _ in range(rng.randint(3, 6))))
    return lines


def wrap(lines: list[str], font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    out: list[str] = []
    for line in lines:
        current = ""
        for ch in line:
            if current and font.getlength(current + ch) > width:
                out.append(current)
                current = ""
            current += ch
        out.append(current)
    return out


def dense_page(lines: list[str], *, dpi: int, face: int) -> Image.Image:
    """An A4 page of 10.5 pt (五号) print, 1.5 line spacing, 0.75 in margins, like a typed report."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, int(10.5 * dpi / 72), index=face)
    step = 10.5 * 1.5 / 72 * dpi
    for i, line in enumerate(lines):
        draw.text((int(0.75 * dpi), int(0.7 * dpi + i * step)), line, font=font, fill=0)
    image.info["dpi"] = (dpi, dpi)
    return image


def scanned(image: Image.Image, rotate: float, noise: float, dpi: int) -> Image.Image:
    """Turn and speckle a page the way samples/scanning.fill_page does."""
    if rotate:
        image = image.rotate(rotate, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if noise:
        image = Image.blend(image, Image.effect_noise(image.size, 40).convert("L"), noise)
    image.info["dpi"] = (dpi, dpi)
    return image


# ---------------------------------------------------------------------------------------------- scoring

_FULL = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SPACE = re.compile(r"\s+")


def score_form(text: str) -> str:
    """Both sides of the CER: Simplified, half-width, no white space (and no NULs)."""
    text = zhconv.convert(text.replace("\x00", ""), "zh-hans").translate(_FULL)
    return _SPACE.sub("", text)


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute = 1), bit-parallel after Myers/Hyyrö: O(len(a)·len(b)/word)."""
    if len(a) < len(b):
        a, b = b, a
    m = len(b)
    if m == 0:
        return len(a)
    peq: dict[str, int] = {}
    for i, ch in enumerate(b):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    full, top = (1 << m) - 1, 1 << (m - 1)
    pv, mv, dist = full, 0, m
    for ch in a:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & full
        mh = pv & xh
        if ph & top:
            dist += 1
        elif mh & top:
            dist -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv
    return dist


def _levenshtein_slow(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def check_levenshtein() -> None:
    rng = random.Random(0)
    for _ in range(300):
        a = "".join(rng.choice("报修渗漏水ab1") for _ in range(rng.randint(0, 70)))
        b = "".join(rng.choice("报修渗漏水ab1") for _ in range(rng.randint(0, 70)))
        if levenshtein(a, b) != _levenshtein_slow(a, b):
            raise SystemExit(f"levenshtein is wrong on {a!r} {b!r}")


def lost_runs(reference: str, got: str, at_least: int = 12) -> list[str]:
    """Stretches of the reference the OCR text has nothing for (a dropped line shows up here)."""
    ref, hyp = score_form(reference), score_form(got)
    blocks = difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes()
    runs = [ref[i1:i2] for op, i1, i2, j1, j2 in blocks if op in ("delete", "replace") and i2 - i1 - (j2 - j1) >= at_least]
    return [r if len(r) <= 40 else r[:37] + "…" for r in sorted(runs, key=len, reverse=True)[:3]]


@dataclass
class Score:
    errors: int = 0
    length: int = 0
    worst: float = 0.0

    def add(self, reference: str, got: str) -> float:
        ref, hyp = score_form(reference), score_form(got)
        d = levenshtein(ref, hyp)
        self.errors += d
        self.length += len(ref)
        self.worst = max(self.worst, d / max(1, len(ref)))
        return d / max(1, len(ref))

    @property
    def cer(self) -> float:
        return self.errors / max(1, self.length)


# ---------------------------------------------------------------------------------------------- pages


@dataclass
class Page:
    key: str
    kind: str          # typical | dense
    script: str        # sc | tc
    condition: str     # clean | scan
    png: Path
    pdf: Path
    reference: str
    results: dict[str, Any] = field(default_factory=dict)


def make_pages(work: Path, kind: str, per_cell: int, rng: random.Random) -> list[Page]:
    pages: list[Page] = []
    for i in range(per_cell):
        for condition, how in CONDITIONS.items():
            lines_sc = typical_text(rng) if kind == "typical" else dense_text(rng)
            for script, face in SCRIPTS.items():
                lines = lines_sc if script == "sc" else [zhconv.convert(line, "zh-hant") for line in lines_sc]
                dpi = int(how["dpi"])
                if kind == "typical":
                    font = ImageFont.truetype(FONT, int(12 * dpi / 72), index=face)
                    lines = wrap(lines, font, 6.3 * dpi)
                    image = typed_page(lines, dpi=dpi, face=face)
                else:
                    font = ImageFont.truetype(FONT, int(10.5 * dpi / 72), index=face)
                    lines = wrap(lines, font, 6.7 * dpi)
                    image = dense_page(lines, dpi=dpi, face=face)
                sign = 1 if i % 2 == 0 else -1
                image = scanned(image, sign * float(how["rotate"]), float(how["noise"]), dpi)
                key = f"{kind}-{script}-{condition}-{i + 1}"
                folder = work / key
                folder.mkdir(parents=True)
                png = folder / "page.png"
                image.save(png, dpi=(dpi, dpi))
                pages.append(Page(key, kind, script, condition, png, as_pdf(png, "image", folder), "\n".join(lines)))
    return pages


# ---------------------------------------------------------------------------------------------- running


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def children_cpu() -> float:
    return c.cpu()[1]


def _ocr_job(job: tuple[str, str]) -> dict[str, Any]:
    pdf, workdir = job
    shutil.rmtree(workdir, ignore_errors=True)
    cpu, start = children_cpu(), time.perf_counter()
    result = ocr(Path(pdf), Path(workdir))
    return {"wall": time.perf_counter() - start, "cpu": children_cpu() - cpu, "raw": result.raw,
            "text": result.text, "pdfa": result.pdfa, "note": result.note, "bytes": result.pdf.stat().st_size}


@dataclass
class Run:
    kind: str
    workers: int
    pages: int
    wall: float
    latencies: list[float]
    cpus: list[float]
    load_before: str
    load_after: str

    @property
    def per_page(self) -> float:
        return self.wall / self.pages

    @property
    def per_page_worker(self) -> float:
        return self.wall * self.workers / self.pages

    @property
    def per_minute(self) -> float:
        return 60 * self.pages / self.wall


def run_pool(pages: list[Page], workers: int, tag: str) -> Run:
    jobs = [(str(p.pdf), str(p.pdf.parent / f"ocr-{tag}")) for p in pages]
    before = load()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        start = time.perf_counter()
        outs = list(pool.map(_ocr_job, jobs))
        wall = time.perf_counter() - start
    for page, out in zip(pages, outs, strict=True):
        page.results[tag] = out
    return Run(pages[0].kind, workers, len(pages), wall, [o["wall"] for o in outs], [o["cpu"] for o in outs],
               before, load())


def run_tesseract(page: Page, langs: str) -> dict[str, Any]:
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(["tesseract", str(page.png), "-", "-l", langs], capture_output=True, text=True,
                          env=OMP, timeout=600)
    return {"wall": time.perf_counter() - start, "cpu": children_cpu() - cpu, "raw": done.stdout}


# One thing changed at a time in the command `ocr()` runs: (label, ocrmypdf_command keywords, option → new value).
VARIANTS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("as ocr()", {}, {}),
    ("--output-type pdf", {"output_type": "pdf"}, {}),
    ("no --deskew", {"deskew": False}, {}),
    ("+ --rotate-pages (no QR code)", {"rotate_pages": True}, {}),
    ("--pdf-renderer hocr (fpdf2)", {}, {"--pdf-renderer": "hocr"}),
    ("--optimize 0", {}, {"--optimize": "0"}),
]
QUICK_VARIANTS = {"as ocr()"}


def variant_command(src: Path, dest: Path, sidecar: Path, keywords: dict[str, Any],
                    values: dict[str, str]) -> list[str]:
    """The product's command with one change, logging (`-v 1`) instead of quiet, for the time line."""
    command = ocrmypdf_command(src, dest, sidecar, **keywords)
    for option, value in values.items():
        command[command.index(option) + 1] = value
    return [word for part in command for word in (("-v", "1") if part == "-q" else (part,))]


MARKS = [  # (step, log line that starts it); a step lasts until the next step's line
    ("start-up (python, imports, tool versions)", None),
    ("rasterise preview", re.compile(r"Rasterizing page 1")),
    ("orientation: tesseract osd --psm 0", re.compile(r"'-l', 'osd', '--psm', '0'")),
    ("rasterise page", re.compile(r"Rasterize with|page is facing")),
    ("deskew: tesseract --psm 2, rotate, save PNG", re.compile(r"'--psm', '2'")),
    ("page image into PDF", re.compile(r"OCR image needs|^\s*\d+ convert$")),
    ("OCR: tesseract hocr+txt", re.compile(r"Running: \['tesseract', '-l', '[^']+', '[^']+_ocr\.png'")),
    ("text layer (fpdf2 + Noto CJK, or sandwich)", re.compile(r"Emplacement update|Parsing \d+ pages|Grafting")),
    ("PDF/A (speculative, or Ghostscript)", re.compile(r"Postprocessing")),
    ("optimise", re.compile(r"Running: \['tesseract', '--version'\]$|Optimizable images|Optimize ratio")),
    ("exit", re.compile(r"Output file is|The output file")),
]


def run_ocrmypdf(command: list[str]) -> dict[str, Any]:
    cpu, start = children_cpu(), time.perf_counter()
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=OMP)
    assert proc.stderr is not None
    log: list[tuple[float, str]] = []
    for line in proc.stderr:
        log.append((time.perf_counter() - start, line.rstrip()))
    proc.wait()
    wall = time.perf_counter() - start
    return {"wall": wall, "cpu": children_cpu() - cpu, "log": log, "rc": proc.returncode}


def timeline(log: list[tuple[float, str]], wall: float) -> list[tuple[str, float]]:
    seen: list[tuple[str, float]] = [(MARKS[0][0], 0.0)]
    for step, pattern in MARKS[1:]:
        after = seen[-1][1]
        hit = next((t for t, line in log if t >= after and pattern is not None and pattern.search(line)), None)
        if hit is not None:
            seen.append((step, hit))
    return [(step, (seen[i + 1][1] if i + 1 < len(seen) else wall) - t) for i, (step, t) in enumerate(seen)]


# ---------------------------------------------------------------------------------------------- report


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def print_speed(runs: list[Run]) -> None:
    print("\n## Speed: ocr() per page (OCRmyPDF --jobs 1, OMP_THREAD_LIMIT=1, one process per worker)")
    print(f"{'page':8} {'workers':>7} {'pages':>5} {'wall s':>7} {'s/page':>7} {'s/page/worker':>13} "
          f"{'latency med':>11} {'CPU s/page':>10} {'pages/min':>9}  load 1/5 min before→after")
    for r in runs:
        print(f"{r.kind:8} {r.workers:7d} {r.pages:5d} {r.wall:7.1f} {r.per_page:7.2f} {r.per_page_worker:13.2f} "
              f"{statistics.median(r.latencies):11.2f} {statistics.mean(r.cpus):10.2f} {r.per_minute:9.1f}  "
              f"{r.load_before}→{r.load_after}")
    for kind in ("typical", "dense"):
        one = next((r for r in runs if r.kind == kind and r.workers == 1), None)
        two = next((r for r in runs if r.kind == kind and r.workers == 2), None)
        if one and two:
            print(f"{kind}: 2 workers give {two.per_minute / one.per_minute:.2f}× the pages per minute of 1 "
                  f"(each page's latency {statistics.median(two.latencies) / statistics.median(one.latencies):.2f}×)")


def main(argv: list[str] | None = None) -> int:
    parser = c.parser(__doc__, seed=6)
    parser.add_argument("--pages", type=int, default=2,
                        help="typical pages per script and condition (default 2: 8 pages)")
    parser.add_argument("--dense-pages", type=int, default=1,
                        help="dense pages per script and condition (default 1: 4 pages; 0 leaves them out)")
    parser.add_argument("--probe", default="typical-sc-scan-1",
                        help="page for the cost variants, KIND-SCRIPT-CONDITION-N (default typical-sc-scan-1)")
    args = c.parse(parser, argv, "ocr_bench", pages=1, dense_pages=0)

    check_levenshtein()
    from hudang.forms.ocr import check_tools

    check_tools()
    tesseract_version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    ocrmypdf_version = subprocess.run([sys.executable, "-m", "ocrmypdf", "--version"], capture_output=True,
                                      text=True).stdout.strip()
    c.header("OCR bench", ocrmypdf=ocrmypdf_version, tesseract=tesseract_version, languages=LANGS)
    print("  (load average is 1/5 minutes; above the core count the wall-clock figures are inflated by other work)")
    began = time.perf_counter()
    with c.work_dir("ocr", args.keep) as work:
        rng = random.Random(args.seed)
        typical = make_pages(work, "typical", args.pages, rng)
        dense = make_pages(work, "dense", args.dense_pages, rng)
        kinds = [(kind, pages) for kind, pages in (("typical", typical), ("dense", dense)) if pages]
        for kind, pages in kinds:
            sizes = [len(score_form(p.reference)) for p in pages]
            print(f"{kind}: {len(pages)} pages, {min(sizes)}–{max(sizes)} characters after normalisation")

        # ---- speed and CER of ocr(): 1 worker, then 2, over the same pages
        runs: list[Run] = []
        for _, pages in kinds:
            runs.append(run_pool(pages, 1, "w1"))
            print(f"  {pages[0].kind}, 1 worker: {runs[-1].wall:.1f} s (load {runs[-1].load_after})", flush=True)
            if args.quick and pages is dense:
                continue
            runs.append(run_pool(pages, 2, "w2"))
            print(f"  {pages[0].kind}, 2 workers: {runs[-1].wall:.1f} s (load {runs[-1].load_after})", flush=True)

        # ---- plain tesseract on the same page images
        for page in typical + dense:
            for langs in ("chi_sim", "chi_sim+chi_tra"):
                page.results[f"tess {langs}"] = run_tesseract(page, langs)
        print(f"  tesseract baseline done (load {load()})", flush=True)

        # ---- what the parts cost, on one page (by default the first typical Simplified scan)
        probes = [p for p in typical + dense if p.key == args.probe]
        variants = [v for v in VARIANTS if not args.quick or v[0] in QUICK_VARIANTS]
        costs: list[dict[str, Any]] = []
        for probe in probes:
            for label, keywords, values in variants:
                folder = probe.pdf.parent / f"variant-{len(costs)}"
                folder.mkdir()
                out = run_ocrmypdf(variant_command(probe.pdf, folder / "out.pdf", folder / "out.txt", keywords,
                                                   values))
                text = (folder / "out.txt").read_text(encoding="utf-8") if (folder / "out.txt").is_file() else ""
                log = "\n".join(line for _, line in out["log"])
                costs.append({"page": probe.key, "variant": label, "wall": out["wall"], "cpu": out["cpu"],
                              "rc": out["rc"], "cer": Score().add(probe.reference, text),
                              "bytes": (folder / "out.pdf").stat().st_size if (folder / "out.pdf").is_file() else 0,
                              "ghostscript": "output_type" not in keywords and "skipping Ghostscript" not in log,
                              "tesseract_runs": len(re.findall(r"Running: \['tesseract', '-l'", log)),
                              "timeline": timeline(out["log"], out["wall"]), "load": load()})
        startup = []
        for _ in range(3):
            cpu, start = children_cpu(), time.perf_counter()
            subprocess.run([sys.executable, "-m", "ocrmypdf", "--version"], capture_output=True, env=OMP)
            startup.append((time.perf_counter() - start, children_cpu() - cpu))
        print(f"  cost variants done (load {load()}); bench took {time.perf_counter() - began:.0f} s so far")

        # ================================================================ report
        print_speed(runs)

        print("\n## Character error rate (Levenshtein / reference length; white space removed, Simplified, half-width)")
        engines = ["w1", "tess chi_sim", "tess chi_sim+chi_tra"]
        names = {"w1": "ocr()", "tess chi_sim": "tesseract chi_sim", "tess chi_sim+chi_tra": "tesseract sim+tra"}
        print(f"{'page':8} {'script':6} {'condition':20} {'pages':>5} {'chars':>6} " +
              " ".join(f"{names[e]:>22}" for e in engines) + "   (CER, worst page in brackets)")
        table: dict[tuple[str, str, str, str], Score] = {}
        for kind, pages in kinds:
            for script in SCRIPTS:
                for condition in CONDITIONS:
                    cell = [p for p in pages if p.script == script and p.condition == condition]
                    scores = []
                    for engine in engines:
                        s = Score()
                        for p in cell:
                            p.results[engine]["cer"] = s.add(p.reference, p.results[engine]["raw"])
                        table[(kind, script, condition, engine)] = s
                        scores.append(f"{pct(s.cer):>9} [{pct(s.worst):>8}]  ")
                    print(f"{kind:8} {script.upper():6} {CONDITION_NAMES[condition]:20} {len(cell):5d} "
                          f"{sum(len(score_form(p.reference)) for p in cell):6d} " + " ".join(f"{x:>22}" for x in scores))
        same = all(p.results["w2"]["raw"] == p.results["w1"]["raw"] for p in typical + dense if "w2" in p.results)
        check = Score()
        for p in typical + dense:
            check.add(p.reference, p.results["w1"]["text"])
        print(f"ocr().text (the project's normalise) scores {pct(check.cer)} overall against {pct(sum(table[k].errors for k in table if k[3] == 'w1') / max(1, sum(table[k].length for k in table if k[3] == 'w1')))} for .raw; "
              f"2-worker text identical to 1-worker: {'yes' if same else 'NO'}")
        for p in typical + dense:
            goal = CLEAN_GOAL if p.condition == "clean" else SCAN_GOAL
            if p.results["w1"]["cer"] > goal:
                lost = lost_runs(p.reference, p.results["w1"]["raw"])
                print(f"  {p.key}: CER {pct(p.results['w1']['cer'])} > {pct(goal)}"
                      + (f"; longest runs missing from the OCR text: {' | '.join(lost)}" if lost else ""))
        notes = {p.results["w1"]["note"] for p in typical + dense if p.results["w1"]["note"]}
        print(f"PDF/A made for {sum(p.results['w1']['pdfa'] for p in typical + dense)} of {len(typical + dense)} pages"
              + (f"; notes: {'; '.join(sorted(notes))}" if notes else ""))

        print("\n## Plain tesseract on the page PNGs (same pages; no rotation/deskew, no PDF) vs ocr(), 1 worker")
        for kind, pages in kinds:
            plain = f"{kind}: {names['tess chi_sim+chi_tra']}"
            tess = c.Table([("wall", "wall s/page", ".2f"), ("cpu", "CPU s/page", ".2f")], baseline=plain,
                           ratios=["wall", "cpu"], width=32)
            for engine in engines:
                tess.add(f"{kind}: {names[engine]}", wall=statistics.mean(p.results[engine]["wall"] for p in pages),
                         cpu=statistics.mean(p.results[engine]["cpu"] for p in pages))
            tess.print()

        print(f"\n## What the parts cost (OCRmyPDF run directly on {args.probe}, -v 1, one run each)")
        print(f"{'page':22} {'variant':28} {'wall s':>7} {'CPU s':>6} {'tess runs':>9} {'KiB':>6} {'CER':>7}  gs  load")
        for cost in costs:
            print(f"{cost['page']:22} {cost['variant']:28} {cost['wall']:7.2f} {cost['cpu']:6.2f} "
                  f"{cost['tesseract_runs']:9d} {cost['bytes'] / 1024:6.0f} {pct(cost['cer']):>7}  "
                  f"{'yes' if cost['ghostscript'] else 'no':3} {cost['load']}")
        wall, cpu = min(startup)
        print(f"{'(start-up alone)':22} {'python -m ocrmypdf --version':28} {wall:7.2f} {cpu:6.2f}  (best of 3)")
        for probe in probes:
            full = next(x for x in costs if x["page"] == probe.key and x["variant"] == VARIANTS[0][0])
            print(f"\nTime line of the full command on {probe.key} ({full['wall']:.2f} s wall, from the log's line times):")
            for step, seconds in full["timeline"]:
                print(f"  {seconds:6.2f} s  {100 * seconds / full['wall']:4.0f}%  {step}")
            base = full["cpu"]
            for cost in costs:
                if cost["page"] == probe.key and cost is not full:
                    print(f"  {cost['variant']:28} saves {base - cost['cpu']:5.2f} CPU s "
                          f"({100 * (base - cost['cpu']) / base:3.0f}%), {full['wall'] - cost['wall']:5.2f} s wall")

        print("\n## Goals (issue 6, 2 cores)")
        typical_runs = [r for r in runs if r.kind == "typical"]
        for r in typical_runs:
            print(f"≤ {TIME_GOAL:g} s per typical page per worker, {r.workers} worker(s): {r.per_page_worker:.2f} s wall "
                  f"(CPU {statistics.mean(r.cpus):.2f} s), load {r.load_before}→{r.load_after}: "
                  f"{met(r.per_page_worker <= TIME_GOAL)}")
        for condition, goal in (("clean", CLEAN_GOAL), ("scan", SCAN_GOAL)):
            for kind, _ in kinds:
                for script in SCRIPTS:
                    s = table[(kind, script, condition, "w1")]
                    print(f"CER ≤ {pct(goal)} on {CONDITION_NAMES[condition]}, {kind} {script.upper()}: "
                          f"{pct(s.cer)} (worst page {pct(s.worst)}): {met(s.cer <= goal)}")
        c.write_json(args.json, {
            "runs": [r.__dict__ | {"per_page": r.per_page, "per_page_worker": r.per_page_worker,
                                   "per_minute": r.per_minute} for r in runs],
            "cer": {"/".join(k): {"cer": v.cer, "worst": v.worst, "chars": v.length} for k, v in table.items()},
            "costs": costs, "startup": startup,
            "pages": {p.key: {e: {k: v for k, v in r.items() if k not in ("raw", "text")}
                              for e, r in p.results.items()} for p in typical + dense},
        }, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
