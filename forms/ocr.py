"""OCR of scanned pages: a Chinese recognizer (RapidOCR or Tesseract) supplies OCRmyPDF's text layer; OCRmyPDF
makes the searchable PDF/A beside the untouched original.

The recognizer runs inside OCRmyPDF, as its OCR engine (forms/ocr_engine.py, loaded with ``--plugin``), once per
page; each page's lines — text, box and confidence — are also written as JSON for reading our forms field by field.

- **RapidOCR** (``rapidocr-onnxruntime``: PP-OCRv4 detection and recognition as ONNX models inside the wheel) reads
  forms whole, lines touching table borders and lines in speckle included, and gives a box and a confidence for
  every line. Its dictionary lacks many Traditional characters (說 繫 盡 擾 鄰 別).
- **Tesseract** (chi_sim+chi_tra, through its TSV output) is the fallback when the ONNX runtime cannot load, and
  reads Traditional pages.
- **Script per page**: the default engine reads the page; when at least ``TRADITIONAL_SHARE`` of its Chinese
  characters are Traditional-only (a character zhconv changes when converting to Simplified), the page is read
  again with Tesseract ``chi_tra`` and that reading is kept (measured by bench/ocr_bench.py).

Facts measured on this stack (OCRmyPDF 17, Tesseract 5.3): ``eng`` in Tesseract's language list turns Chinese
names into Latin letters, so it is left out; chi_tra answers some Simplified print in Traditional characters, so the
text is normalised to Simplified (the raw text is kept too). One page at a time per process (one thread for
onnxruntime and ``OMP_THREAD_LIMIT=1`` for Tesseract, ``--jobs 1``): the pool gives one job per core.

OCRmyPDF runs in one long-lived worker process per reading process (`OcrWorker`, forms/ocr_worker.py), so its
imports and the recognizer's models are paid once per worker rather than once per document.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from hudang.errors import ToolMissing, UnreadableFile
from hudang.forms.values import to_halfwidth, to_simplified

ENGINES = ("rapidocr", "tesseract")
LANGS = "chi_sim+chi_tra"
TRADITIONAL_SHARE = 0.08   # of a page's Chinese characters, Traditional-only: the page is read with chi_tra
DET_SIDE = 1600            # RapidOCR finds text lines on the page scaled to this longest side (bench/README.md:
                           # 1280 lost words of speckled letters, 1600 read them as 2000 did)
REC_BATCH = 1              # lines recognised a call: a batch is padded to its widest line, and a form's short labels
                           # in a batch with a long line cost as much as it (bench/README.md: 1.7 → 1.35 CPU s a page)
INSTALL = ("请安装 Tesseract 及中文语言包（Debian/Ubuntu：sudo apt-get install tesseract-ocr tesseract-ocr-chi-sim "
           "tesseract-ocr-chi-tra ghostscript，或运行 make setup）")
RAPID_INSTALL = ("RapidOCR（Python 包 rapidocr-onnxruntime==1.4.4，需要系统库 libgl1 libglib2.0-0；运行 make setup "
                 "即可安装）")
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
_MARK = r"[,.;:!?]"   # half-width after normalising: Tesseract sets them apart from the Chinese round them
_GAP = re.compile(rf"(?<={_CJK})[ \t]+(?={_CJK}|{_MARK})|(?<={_MARK})[ \t]+(?={_CJK})")
_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Line:
    """One recognised line: its text as the engine gave it, its box on the page image (left, top, right,
    bottom in pixels) and the engine's confidence (0–1)."""

    text: str
    box: tuple[float, float, float, float]
    confidence: float


@dataclass
class PageText:
    """One page as read: the image it was read from (size, dpi), its lines in reading order, which engine
    read them and the script it was classified as ("sc" Simplified, "tc" Traditional)."""

    width: int
    height: int
    dpi: float
    lines: list[Line]
    engine: str
    script: str = "sc"
    traditional: float = 0.0        # share of Traditional-only characters in the default engine's reading
    codes: list[dict[str, Any]] = field(default_factory=list)   # our QR codes found on this image (forms/qr.py)
    oriented: bool = False          # RapidOCR's line direction classifier read it (upside down or not), or its QR
                                    # code had turned it upright: no need to try it turned over

    @property
    def text(self) -> str:
        """One line of text per row of the page; lines side by side in a row (a label and the value in the
        box beside it) joined by two spaces."""
        return "\n".join("  ".join(line.text for line in row) for row in rows(self.lines))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageText:
        lines = [Line(ln["text"], tuple(ln["box"]), float(ln["confidence"])) for ln in data["lines"]]  # type: ignore[arg-type]
        return cls(data["width"], data["height"], data["dpi"], lines, data["engine"], data.get("script", "sc"),
                   data.get("traditional", 0.0), data.get("codes", []), data.get("oriented", False))


@dataclass(frozen=True)
class OcrResult:
    pdf: Path              # searchable PDF (PDF/A when it could be made)
    text: str              # normalised: Simplified, half-width, no spaces between Chinese characters
    raw: str               # as the recognizer gave it
    pdfa: bool
    note: str = ""
    pages: list[PageText] = field(default_factory=list)
    engine: str = ""


# ---------------------------------------------------------------- recognizers

class Recognizer(Protocol):
    name: str

    def read(self, image: Any) -> list[Line]:
        """The lines of one page image (PIL), in reading order."""
        ...


class RapidOcr:
    """PP-OCRv4 through onnxruntime, one thread (the pool runs one page per core). ``upright``: the page's QR
    code already turned it the right way up, so the per-line direction classifier (for lines upside down) is
    skipped.

    RapidOCR's own call detects and recognises on the page scaled to ``max_side_len`` (2000 px). Here detection
    runs on a copy scaled to DET_SIDE and the lines it finds are cut for recognition from the 2000 px page as
    before (recognition scales every line to 48 px high, so its cost does not depend on the page's size, only
    its accuracy does): detection's cost falls with the pixels, recognition reads what it read."""

    name = "rapidocr"

    def __init__(self, upright: bool = False, det_side: int | None = None) -> None:
        self._engine = _rapid_engine()
        self.upright = upright
        self.det_side = DET_SIDE if det_side is None else det_side
        self.turned = 0.0     # of the last page's lines, the share its direction classifier found upside down

    def read(self, image: Any) -> list[Line]:
        import numpy as np

        engine = self._engine
        self.turned = 0.0
        img = np.asarray(image.convert("RGB"))
        raw_h, raw_w = img.shape[:2]
        page, ratio_h, ratio_w = engine.preprocess(img)          # longest side at most max_side_len
        h, w = page.shape[:2]
        if h <= engine.min_height or w / h > engine.width_height_ratio:   # a strip, not a page: RapidOCR's way
            result, _ = engine(img, use_cls=not self.upright)
            quads = [(np.asarray(q, dtype=np.float32), t, s) for q, t, s in result or []]
        else:
            quads = self._read(page, ratio_w, ratio_h)
        lines = []
        for quad, text, score in quads:
            xs = [min(max(0.0, float(p[0])), raw_w) for p in quad]
            ys = [min(max(0.0, float(p[1])), raw_h) for p in quad]
            if text.strip():
                lines.append(Line(text.strip(), (min(xs), min(ys), max(xs), max(ys)), float(score)))
        return reading_order(lines)

    def _read(self, page: Any, ratio_w: float, ratio_h: float) -> list[tuple[Any, str, float]]:
        """Detection on the page scaled to det_side, recognition of the lines cut from ``page``; quads in the
        original image's pixels."""
        import cv2
        import numpy as np

        engine = self._engine
        h, w = page.shape[:2]
        small = page
        if self.det_side and max(h, w) > self.det_side:
            f = self.det_side / max(h, w)
            small = cv2.resize(page, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        boxes, _ = engine.auto_text_det(small)
        if not boxes:
            return []
        up = np.array([w / small.shape[1], h / small.shape[0]], dtype=np.float32)
        boxes = [(np.asarray(b, dtype=np.float32) * up).astype(np.float32) for b in boxes]
        crops = engine.get_crop_img_list(page, boxes)
        if not self.upright:
            crops, directions, _ = engine.text_cls(crops)
            self.turned = sum(1 for label, score in directions if "180" in label and score > engine.text_cls.cls_thresh
                              ) / len(directions)
        recognised, _ = engine.text_rec(crops, False)
        back = np.array([ratio_w, ratio_h], dtype=np.float32)
        return [(box * back, str(found[0]), float(found[1])) for box, found in zip(boxes, recognised, strict=True)
                if float(found[1]) >= engine.text_score]


@lru_cache(maxsize=1)
def _rapid_engine() -> Any:
    """The models, loaded once per process (0.7 s). ToolMissing when the package or its runtime cannot load."""
    try:
        from rapidocr_onnxruntime import RapidOCR
    except Exception as exc:  # ImportError, or OSError from a missing libGL under opencv
        raise ToolMissing(f"无法加载 {RAPID_INSTALL}：{str(exc)[:160]}") from exc
    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, rec_batch_num=REC_BATCH)


def rapid_available() -> str | None:
    """None when RapidOCR loads here, else why not (a Chinese message naming the package)."""
    if os.environ.get("HUDANG_NO_RAPIDOCR"):   # tests and the bench: as if the package were absent
        return f"无法加载 {RAPID_INSTALL}：已按 HUDANG_NO_RAPIDOCR 停用"
    return _rapid_importable()


@lru_cache(maxsize=1)
def _rapid_importable() -> str | None:
    """The package and its runtime import here. The models are not loaded: a process that only asks (the
    service, a command deciding whether the queue can run) starts no onnxruntime threads, which abort at exit."""
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except Exception as exc:  # ImportError, or OSError from a missing libGL under opencv
        return f"无法加载 {RAPID_INSTALL}：{str(exc)[:160]}"
    return None


class Tesseract:
    """Tesseract 5 through its TSV output (a box and a confidence for every word), grouped into lines."""

    name = "tesseract"

    def __init__(self, langs: str = LANGS, psm: int = 3) -> None:
        self.langs, self.psm = langs, psm

    def read(self, image: Any) -> list[Line]:
        import io

        buf = io.BytesIO()
        image.save(buf, format="PNG", dpi=image.info.get("dpi", (300, 300)))
        command = ["tesseract", "stdin", "stdout", "-l", self.langs, "--psm", str(self.psm), "tsv"]
        done = subprocess.run(command, input=buf.getvalue(), capture_output=True, timeout=300,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        if done.returncode != 0:
            raise UnreadableFile(f"Tesseract 识别失败：{done.stderr.decode('utf-8', 'replace')[-200:]}",
                                 code="ocr_failed")
        groups: dict[tuple[str, ...], list[list[str]]] = {}
        for row in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
            cols = row.split("\t")
            if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
                continue
            groups.setdefault(tuple(cols[1:5]), []).append(cols)
        segments: list[list[list[str]]] = []
        for words in groups.values():   # a line split where a wide gap parts its words (two table cells)
            height = max(int(w[9]) for w in words)
            segments.append([words[0]])
            for before, word in zip(words, words[1:], strict=False):
                if int(word[6]) - (int(before[6]) + int(before[8])) > 1.2 * height:
                    segments.append([])
                segments[-1].append(word)
        lines = []
        for words in segments:
            text = ""
            for w in words:
                piece = w[11].strip()
                if text and not (_HAN.match(text[-1]) and _HAN.match(piece[0])):
                    text += " "
                text += piece
            left = min(int(w[6]) for w in words)
            top = min(int(w[7]) for w in words)
            right = max(int(w[6]) + int(w[8]) for w in words)
            bottom = max(int(w[7]) + int(w[9]) for w in words)
            conf = sum(max(0.0, float(w[10])) for w in words) / len(words) / 100
            lines.append(Line(text, (left, top, right, bottom), conf))
        return reading_order(lines)


def rows(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped into rows (middles within half a line height of the row's), top to bottom, each row
    left to right."""
    out: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.box[1] + ln.box[3]) / 2):
        middle = (line.box[1] + line.box[3]) / 2
        if out:
            last = out[-1]
            height = max(ln.box[3] - ln.box[1] for ln in last)
            if abs(middle - sum((ln.box[1] + ln.box[3]) / 2 for ln in last) / len(last)) < height / 2:
                last.append(line)
                continue
        out.append([line])
    return [sorted(row, key=lambda ln: ln.box[0]) for row in out]


def reading_order(lines: list[Line]) -> list[Line]:
    """Top to bottom, left to right within a row."""
    return [ln for row in rows(lines) for ln in row]


def traditional_share(text: str) -> float:
    """Share of the Chinese characters that only Traditional script writes (zhconv changes them)."""
    han = _HAN.findall(text)
    if not han:
        return 0.0
    return sum(1 for ch in han if to_simplified(ch) != ch) / len(han)


def recognizer(engine: str, upright: bool = False) -> tuple[Recognizer, str]:
    """The engine asked for, or Tesseract with a note saying why (RapidOCR could not load)."""
    if engine == "rapidocr":
        why = rapid_available()
        if why is None:
            return RapidOcr(upright), ""
        return Tesseract(), f"{why}；已改用 Tesseract 识别"
    return Tesseract(), ""


SPECK_PX = 9         # a speck: at most this many dark pixels at 200 dpi (scaled by area) …
SPECK_WINDOW = 11    # … alone in a window this many pixels wide round each of them (scaled by dpi)


def despeckle(grey: Any, dpi: float) -> Any:
    """Scanner speckle taken off a grey page: a dark pixel with at most SPECK_PX dark pixels in the
    SPECK_WINDOW-wide square round it (itself included) is made white. Strokes of text, and a decimal point
    beside its digits, have more ink round them and stay. Tesseract dropped whole lines in speckle; a 3×3 median
    filter recovered most but thinned strokes (bench/README.md, Traditional pages read with chi_tra: CER 2.7 %
    speckled with the median, 1.4 % with this; clean pages unchanged)."""
    import numpy as np
    from PIL import Image

    scale = (dpi or 200) / 200
    k = max(3, round(SPECK_WINDOW * scale) | 1)
    most = max(1, round(SPECK_PX * scale * scale))
    pixels = np.asarray(grey)
    dark = (pixels < 160).astype(np.int32)
    summed = np.pad(dark, ((k // 2 + 1, k // 2), (k // 2 + 1, k // 2))).cumsum(0).cumsum(1)
    near = summed[k:, k:] - summed[:-k, k:] - summed[k:, :-k] + summed[:-k, :-k]
    out = pixels.copy()
    out[(dark > 0) & (near <= most)] = 255
    return Image.fromarray(out)


def preprocess(image: Any, engine: str) -> Any:
    """What each engine reads: grey; for Tesseract with isolated specks taken off (`despeckle`: speckle made it
    drop whole lines; the bench measures it). RapidOCR reads the page as scanned. The archived original is never
    touched."""
    grey = image.convert("L")
    dpi = image.info.get("dpi", (300, 300))
    if engine == "tesseract":
        grey = despeckle(grey, float(dpi[0] or 300))
    grey.info["dpi"] = dpi
    return grey


def read_page(image: Any, engine: str, dpi: float = 0, upright: bool = False) -> PageText:
    """Read one page image with ``engine`` (falling back as `recognizer` does), Traditional pages with chi_tra.
    ``upright``: turned the right way up by its QR code (no line direction classifier). A page RapidOCR's
    classifier found upside down (most of its lines) is given to chi_tra turned over, its boxes turned back."""
    chosen, _ = recognizer(engine, upright)
    lines = chosen.read(preprocess(image, chosen.name))
    share = traditional_share("".join(ln.text for ln in lines))
    oriented = upright or chosen.name == "rapidocr"
    page = PageText(image.width, image.height, dpi or float(image.info.get("dpi", (0, 0))[0] or 0), lines,
                    chosen.name, "sc", share, oriented=oriented)
    if chosen.name == "rapidocr" and share >= TRADITIONAL_SHARE:
        over = not upright and getattr(chosen, "turned", 0.0) > 0.5
        page.lines = Tesseract("chi_tra").read(preprocess(image.rotate(180) if over else image, "tesseract"))
        if over:
            w, h = image.width, image.height
            page.lines = reading_order([Line(ln.text, (w - ln.box[2], h - ln.box[3], w - ln.box[0], h - ln.box[1]),
                                             ln.confidence) for ln in page.lines])
        page.engine, page.script = "tesseract", "tc"
    elif share >= TRADITIONAL_SHARE:
        page.script = "tc"
    return page


# ---------------------------------------------------------------- tools and OCRmyPDF

@lru_cache(maxsize=1)
def _languages(tesseract: str) -> frozenset[str]:
    out = subprocess.run([tesseract, "--list-langs"], capture_output=True, text=True, timeout=30)
    return frozenset(line.strip() for line in out.stdout.splitlines()[1:])


def check_tools(engine: str = "tesseract") -> str:
    """Raise `ToolMissing` naming what to install when OCR cannot run here; returns a note when the engine
    asked for cannot load and Tesseract stands in."""
    note = ""
    if engine == "rapidocr":
        why = rapid_available()
        if why is None:
            if shutil.which("gs") is None:
                raise ToolMissing(f"找不到 Ghostscript（OCRmyPDF 需要它）：{INSTALL}")
            return ""
        note = f"{why}；已改用 Tesseract 识别"
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise ToolMissing(f"找不到 Tesseract，无法识别扫描件文字：{INSTALL}"
                          + (f"；{RAPID_INSTALL}也无法加载" if note else ""))
    missing = {"chi_sim", "chi_tra"} - _languages(tesseract)
    if missing:
        raise ToolMissing(f"Tesseract 缺少语言包 {'、'.join(sorted(missing))}：{INSTALL}")
    if shutil.which("gs") is None:
        raise ToolMissing(f"找不到 Ghostscript（OCRmyPDF 需要它）：{INSTALL}")
    return note


def normalise(text: str) -> str:
    """What search and field reading use: Simplified, half-width, runs of Chinese without OCR's spaces (nor
    spaces between Chinese and a punctuation mark: ``堵塞 , 请`` → ``堵塞,请``)."""
    text = to_simplified(to_halfwidth(text.replace("\x00", "")))
    return "\n".join(_GAP.sub("", line).strip() for line in text.splitlines() if line.strip())


def ocrmypdf_command(src: Path, dest: Path, sidecar: Path, *, output_type: str = "pdfa", dpi: int | None = None
                     ) -> list[str]:
    """The OCRmyPDF command line equivalent to one `OcrWorker` request (for a person reproducing a reading by
    hand): our recognizer as its OCR engine (forms/ocr_engine.py), which writes each page's text layer as a
    text-only PDF for the sandwich renderer to graft (no CJK font loaded, forms/textlayer.py)."""
    command = [sys.executable, "-m", "ocrmypdf", "--plugin", "hudang.forms.ocr_engine", "-l", LANGS,
               "--jobs", "1", "--pdf-renderer", "sandwich", "--output-type", output_type, "--sidecar", str(sidecar),
               "--optimize", "1", "-q"]
    if dpi:
        command += ["--image-dpi", str(dpi)]
    return [*command, str(src), str(dest)]


WORKER_DOCUMENTS = 200   # documents one OCR worker process makes before a fresh one takes over (memory it may keep)
_PER_DOCUMENT = ("HUDANG_OCR_ENGINE", "HUDANG_OCR_LINES", "HUDANG_OCR_UPRIGHT")


class OcrWorker:
    """One long-lived OCRmyPDF process (forms/ocr_worker.py) for this process's documents, one at a time.

    Imports and the recognizer's models are loaded once per worker, not once per document (2.5 of about 9 CPU s
    a form page, bench/README.md). A fresh worker is started when the environment it was started with changed
    (PATH, PYTHONPATH, HUDANG_NO_RAPIDOCR …: what a new process would have seen), after WORKER_DOCUMENTS
    documents, after a crash, and in a forked child (the pipes belong to the parent). A document over the
    timeout kills the worker."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._key: frozenset[tuple[str, str]] = frozenset()
        self._pid = 0
        self._done = 0
        self._lock = threading.Lock()
        atexit.register(self.close)

    def run(self, request: dict[str, Any], env: dict[str, str], timeout: float) -> tuple[int, str]:
        """(OCRmyPDF's exit code, its last message) for one document; TimeoutExpired past ``timeout``."""
        import select

        key = frozenset((k, v) for k, v in env.items() if k not in _PER_DOCUMENT)
        message = json.dumps({**request, "env": {k: env.get(k) for k in _PER_DOCUMENT}}, ensure_ascii=False)
        with self._lock:
            if self._pid != os.getpid():
                self._proc, self._pid = None, os.getpid()    # a forked child: the parent's worker is not ours
            for attempt in (1, 2):
                if self._proc is None or self._proc.poll() is not None or key != self._key or \
                        self._done >= WORKER_DOCUMENTS:
                    self.close()
                    self._proc = subprocess.Popen([sys.executable, "-m", "hudang.forms.ocr_worker"],
                                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                  stderr=subprocess.DEVNULL, env={**env, "OMP_THREAD_LIMIT": "1"})
                    self._key, self._done = key, 0
                proc = self._proc
                assert proc.stdin is not None and proc.stdout is not None
                self._done += 1
                try:
                    proc.stdin.write(message.encode("utf-8") + b"\n")
                    proc.stdin.flush()
                    break
                except BrokenPipeError:   # it died before taking the document (between two polls): a fresh one
                    self.close()
                    if attempt == 2:
                        return -1, "OCRmyPDF 进程意外退出"
            answers = proc.stdout
            assert answers is not None
            ready, _, _ = select.select([answers], [], [], timeout)
            if not ready:
                self.close(kill=True)
                raise subprocess.TimeoutExpired(proc.args, timeout)
            answer = answers.readline()
            if not answer:
                code = proc.wait()
                self.close()
                return code or -1, "OCRmyPDF 进程意外退出"
            data = json.loads(answer)
            return int(data["code"]), str(data.get("message") or "")

    def close(self, kill: bool = False) -> None:
        """Let the worker go (it ends when its stdin closes); ``kill`` when it is stuck in a document."""
        proc, self._proc = self._proc, None
        if proc is None or self._pid != os.getpid():
            return
        if kill:
            proc.kill()
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


_WORKER = OcrWorker()


def worker_cpu() -> tuple[int, float]:
    """(process id, CPU seconds so far) of this process's OCR worker and of the children it has waited for (the
    Tesseract processes it runs), (0, 0.0) when none runs. For benches: a live child's CPU time is not in
    ``os.times()`` until it ends (Linux /proc)."""
    proc = _WORKER._proc
    if proc is None or proc.poll() is not None:
        return 0, 0.0
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0, 0.0
    return proc.pid, sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")   # utime stime cutime cstime


def _ocrmypdf(src: Path, dest: Path, sidecar: Path, output_type: str, dpi: int | None, timeout: float,
              env: dict[str, str]) -> tuple[int, str]:
    request = {"src": str(src), "dest": str(dest), "sidecar": str(sidecar), "output_type": output_type, "dpi": dpi}
    return _WORKER.run(request, env, timeout)


def ocr(src: Path, workdir: Path, *, engine: str = "rapidocr", dpi: int | None = None, timeout: float = 600,
        upright: bool = False) -> OcrResult:
    """OCR ``src`` (a PDF of page images, upright) into ``workdir``; PDF/A first, a plain PDF when PDF/A fails.

    Pages come upright (turned by their QR code, or tried turned over by forms/scans.py); RapidOCR reads lines
    a degree or two crooked as they are, and its direction classifier turns upside-down lines — skipped when
    ``upright`` (every page was turned by its QR code: 0.1–0.3 CPU s a page)."""
    note = check_tools(engine)
    workdir.mkdir(parents=True, exist_ok=True)
    dest, sidecar, lines_dir = workdir / "ocr.pdf", workdir / "ocr.txt", workdir / "lines"
    shutil.rmtree(lines_dir, ignore_errors=True)
    lines_dir.mkdir()
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "HUDANG_OCR_ENGINE": engine, "HUDANG_OCR_LINES": str(lines_dir),
           "HUDANG_OCR_UPRIGHT": "1" if upright else ""}
    try:
        code, message = _ocrmypdf(src, dest, sidecar, "pdfa", dpi, timeout, env)
        if code != 0 or not dest.is_file():
            note = "；".join(filter(None, [note, f"PDF/A 生成失败（OCRmyPDF 退出码 {code}），已改为普通 PDF"]))
            code, message = _ocrmypdf(src, dest, sidecar, "pdf", dpi, timeout, env)
    except subprocess.TimeoutExpired as exc:
        raise UnreadableFile(f"文字识别超时（超过 {timeout:g} 秒）", code="ocr_failed", path=str(src)) from exc
    if code != 0 or not dest.is_file():
        tail = message.strip().splitlines()[-1:] or [""]
        raise UnreadableFile(f"文字识别失败（OCRmyPDF 退出码 {code}）：{tail[0][:200]}",
                             code="ocr_failed", path=str(src))
    pages = [PageText.from_json(json.loads(p.read_text(encoding="utf-8")))
             for p in sorted(lines_dir.glob("page-*.json"), key=lambda p: int(p.stem.split("-")[1]))]
    raw = "\n\f".join(p.text for p in pages) if pages else (
        sidecar.read_text(encoding="utf-8", errors="replace") if sidecar.is_file() else "")
    used = pages[0].engine if pages else engine
    return OcrResult(dest, normalise(raw), raw, pdfa="PDF/A" not in note, note=note, pages=pages, engine=used)
