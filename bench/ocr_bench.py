#!/usr/bin/env python3
"""OCR benchmark (`make bench`): scans of our own filled forms and of free text, read as the product reads them.

Pages (fixed seed), generated with the project's own blank forms (`hudang forms blank`, rendered by LibreOffice
into a fresh data home, which stores each blank's layout):
- 40 filled forms over the intake forms (投诉处理单, 维修工作单, 钥匙借用登记表, 物品放行条, 装修申请表, 住户登记表;
  with and without a household printed, so several layouts are in use at once): typed text in the boxes (names,
  rooms, dates, times, telephone numbers, complaint sentences), a tick, cross, filled square, circle or a ring
  round □ and word in choice boxes, a few fields left empty, a few with a scribble standing for handwriting, one
  form in ten with two ticks in a one-choice field. Each is printed to image twice: **clean** 300 dpi, and **noisy** 200 dpi turned 1–2°,
  blurred, speckled and saved as JPEG (quality 70);
- 20 free-text pages (letters and notices, 12 Simplified, 8 Traditional; half speckled) at 200 dpi.
Each engine (`[ocr] engine`: rapidocr — with its Traditional pages re-read by Tesseract chi_tra — and tesseract,
which reads a copy with isolated specks taken off, `ocr.despeckle`) reads every page through
`forms.scans.read_scan`, the product's path (QR code, OCRmyPDF with our recognizer as its OCR engine, PDF/A, fields
read by layout), two pages at a time (one per core).

Figures per engine × condition: field accuracy (typed fields read exactly after normalisation: Simplified,
half-width, no white space or punctuation), choice-box accuracy, wrong-and-confident rate (fields filled with a
wrong value, of all fields filled), scribbled fields marked 待核对, two-tick fields 待核对, CER on free text
(Levenshtein / reference length, same normalisation), seconds per page per worker (wall of the pool × workers /
pages) and CPU seconds per page of the reading and its OCR worker (the long-lived OCRmyPDF process, counted from
/proc while it runs; its start-up is paid by each pool worker's first page). Goals (issue 14): fields ≥ 99 % clean,
≥ 97 % noisy; choices ≥ 99.5 %; wrong-and-confident ≤ 0.5 %; every scribble 待核对; CER ≤ 2 % clean, ≤ 4 % speckled;
≤ 4 s a page. Figures are printed, never asserted.

    .venv/bin/python bench/ocr_bench.py [--quick] [--forms 40] [--texts 20] [--engines rapidocr,tesseract]
                                        [--seed 14] [--keep] [--json F]
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import common as c
import zhconv
from common import met
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from scanning import FONT, SC, TC, typed_page  # the page helpers the tests and the demo use

FIELD_GOAL = {"clean": 0.99, "noisy": 0.97}
CHOICE_GOAL, WRONG_GOAL, TIME_GOAL = 0.995, 0.005, 4.0
CER_GOAL = {"clean": 0.02, "speckled": 0.04}
# (form, definition version; None = current): several definitions in use at once, one of them in two versions
# (住户登记表 version 1 — before 住户类型, 住户姓名, 租期起止, 过户日期 — is still on paper in the offices).
FORMS: tuple[tuple[str, int | None], ...] = (
    ("投诉处理单", None), ("维修工作单", None), ("钥匙借用登记表", None), ("物品放行条", None), ("装修申请表", None),
    ("住户登记表", None), ("住户登记表", 1))

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



# ---------------------------------------------------------------------------------------------- pages

_PUNCT = re.compile(r"[\s:：,，.。;；、*＊\"'“”‘’()（）\-—_~]+")


def norm(text: str) -> str:
    """Both sides of a comparison: Simplified, half-width, no white space or punctuation."""
    return _PUNCT.sub("", zhconv.convert(text.replace("\x00", ""), "zh-hans").translate(_FULL))


def id_number(rng: random.Random) -> str:
    body = f"3401{rng.randint(1, 9):02d}19{rng.randint(60, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
           f"{rng.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def uscc(rng: random.Random) -> str:
    """A 统一社会信用代码 that passes the product's check (the check character found by `check_uscc` itself)."""
    from hudang.forms.values import ValueProblem, check_uscc

    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + f"34{rng.randint(0, 9999):04d}" + "".join(rng.choice(chars) for _ in range(9))
    for last in chars:
        try:
            return check_uscc(body + last)
        except ValueProblem:
            continue
    raise AssertionError(body)


def id_for(id_type: str | None, rng: random.Random) -> str:
    """A 证件号码 of the kind its 证件类型 names (unmarked or two ticks: the 身份证 default)."""
    if id_type == "护照":
        return f"E{rng.randint(10000000, 99999999)}"
    if id_type == "港澳台通行证":
        return f"{rng.choice('HMC')}{rng.randint(10000000, 99999999)}"
    if id_type == "营业执照":
        return uscc(rng)
    return id_number(rng)


def value_for(field: Any, rng: random.Random, id_type: str | None = None) -> str | None:
    """A typed value that fits the field's box on one line (None: a kind this bench does not type)."""
    n = field.name
    if field.type == "date":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if field.type == "datetime":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {clock(rng)}"
    if field.type == "phone":
        return phone(rng)
    if field.type == "id_number":
        return id_for(id_type, rng)
    if field.type in ("number", "money"):
        return f"{rng.randint(10, 9999)}.{rng.randint(0, 9)}"
    if field.type == "estate":
        return "金第花园"
    if field.type == "room":
        return f"{rng.randint(1, 3)}栋{rng.randint(1, 2)}单元{rng.choice(('1201', '1202', '301', '302'))}"
    if field.type != "text":
        return None
    if "车牌" in n:
        return f"皖A{rng.randint(10000, 99999)}"
    if "编号" in n or n.endswith("证号"):
        return f"{rng.choice(('TS', 'WX', 'YS', 'ZX'))}-2026-{rng.randint(1, 9999):04d}"
    if "部门" in n or "单位" in n:
        return rng.choice(DEPARTMENTS) if "部门" in n else rng.choice(("宏达装饰工程有限公司", "安居装修队"))
    if any(w in n for w in ("内容", "原因", "措施", "意见", "结果", "事由", "备注", "批示", "物品", "成员", "出入证")):
        return rng.choice(PROBLEMS + CAUSES + FIXES)
    return name(rng)


def mark(draw: ImageDraw.ImageDraw, box: tuple[float, ...], kind: str, scale: float,
         label: tuple[float, ...] | None = None) -> None:
    """A tick, a cross, a filled square or a circle on a printed □, or a ring round the □ and its word
    (``label``; boxes in points)."""
    if kind == "ring" and label is not None:
        x0, t, r, b = (v * scale for v in label)
        draw.ellipse([x0 - 4 * scale, t - 3.5 * scale, r + 4 * scale, b + 3.5 * scale], outline=0,
                     width=max(2, int(1.3 * scale)))
        return
    x0, t, r, b = (v * scale for v in box)
    w = max(2, int(1.3 * scale))
    if kind == "tick":
        draw.line([(x0 + 1, (t + b) / 2), ((x0 + r) / 2, b - 1), (r + 4 * scale, t - 3 * scale)], fill=0, width=w)
    elif kind == "cross":
        draw.line([(x0, t), (r, b)], fill=0, width=w)
        draw.line([(x0, b), (r, t)], fill=0, width=w)
    elif kind == "fill":
        draw.rectangle([x0 + 1, t + 1, r - 1, b - 1], fill=0)
    else:
        pad = 3 * scale
        draw.ellipse([x0 - pad, t - pad, r + pad, b + pad], outline=0, width=w)


def scribble(draw: ImageDraw.ImageDraw, box: tuple[float, ...], rng: random.Random, scale: float) -> None:
    x0, t, r, b = (v * scale for v in box)
    y = (t + b) / 2
    points = [(x0 + 8 * scale + i * 3 * scale, y + rng.uniform(-4, 4) * scale)
              for i in range(int((r - x0) / 3 / scale) // 2)]
    draw.line(points, fill=0, width=max(2, int(scale)))


def speckle(image: Image.Image, rng: random.Random, share: float = 0.0015) -> Image.Image:
    draw = ImageDraw.Draw(image)
    for _ in range(int(image.width * image.height * share / 4)):
        x, y = rng.randrange(image.width), rng.randrange(image.height)
        draw.rectangle([x, y, x + rng.randint(0, 2), y + rng.randint(0, 2)], fill=rng.randint(0, 90))
    return image


def noisy(image: Image.Image, rng: random.Random) -> Image.Image:
    """200 dpi, turned 1–2° either way, blurred, speckled (JPEG when saved)."""
    image = image.rotate(rng.choice((-1, 1)) * rng.uniform(1.0, 2.0), resample=Image.Resampling.BICUBIC,
                         fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(0.7))
    return speckle(image, rng)


def old_blank(form: Any, household: str | None, dest: Path, layouts: Path) -> None:
    """A blank of an older definition version, printed as `hudang forms blank` printed it then (blank_form,
    LibreOffice, its layout stored under its own id)."""
    import tempfile
    from types import SimpleNamespace

    from hudang.forms import layout as lay
    from hudang.forms import office
    from hudang.forms.blank import blank_form

    estate, _, key = (household or "").partition("/")
    place = SimpleNamespace(estate=estate, key=key, display=key) if household else None
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        docx = blank_form(form, "物业服务中心", Path(tmp) / "blank.docx", place=place)  # type: ignore[arg-type]
        pdf, warnings = office.pdf_beside(docx, Path(tmp), timeout=300)
        assert pdf is not None, warnings
        layout_id = lay.layout_id(form.id, form.version, household is not None)
        lay.save(layouts, lay.extract(pdf, form, layout_id))
        dest.write_bytes(pdf.read_bytes())


def make_forms(work: Path, home: Path, n: int, rng: random.Random) -> list[dict[str, Any]]:
    """n filled forms, each as a clean 300 dpi PNG and a noisy 200 dpi JPEG; their truth beside them."""
    import pypdfium2 as pdfium

    from hudang.forms import layout as lay
    from hudang.forms.definitions import load_forms

    forms = load_forms()
    blanks: dict[tuple[str, int | None, bool], tuple[Path, Any, Any]] = {}
    for form_name, version in FORMS:
        for household in (None, "金第花园/3-2-1201"):
            current = forms.intake().get(form_name)
            assert current is not None, form_name
            form = forms.at(current.id, version)
            assert version is None or form.version == version, (form_name, version)
            keep = work / "blanks" / f"{form_name}-v{form.version}-{'H' if household else '-'}.pdf"
            keep.parent.mkdir(parents=True, exist_ok=True)
            if version is None:      # the current version, printed as a user prints it
                out = c.hudang(home, "forms", "blank", form_name, *(["--household", household] if household
                                                                    else []), "--json")
                assert out.returncode == 0, out.stderr
                keep.write_bytes(Path(json.loads(out.stdout)["pdf"]).read_bytes())
            else:                    # a blank of an older version still on paper: printed before this version
                old_blank(form, household, keep, home / "layouts")
            layout = lay.load(home / "layouts", lay.layout_id(form.id, form.version, household is not None))
            assert layout is not None, form_name
            blanks[(form_name, version, household is not None)] = (keep, form, layout)
    pages = []
    marks = ("tick", "cross", "fill", "circle", "ring")
    for i in range(n):
        form_name, version = FORMS[i % len(FORMS)]
        pdf, form, layout = blanks[(form_name, version, i % 3 == 0)]
        truth: dict[str, Any] = {"typed": {}, "choices": {}, "scribbles": [], "two": [], "form": form.id,
                                 "version": form.version}
        plan: list[tuple[str, Any]] = []
        text_fields = [name for name, box in layout.fields.items() if not box.choices and not box.printed]
        scribbled = rng.choice(text_fields) if i % 4 == 1 else None
        # Choice fields first: a 证件号码 is typed in the kind its 证件类型 names.
        ordered = sorted(layout.fields.items(), key=lambda item: not item[1].choices)
        for name, box in ordered:
            field = form.field(name)
            if box.choices:
                if rng.random() < 0.1:
                    truth["choices"][name] = None
                    continue
                if i % 10 == 7 and not truth["two"] and len(box.choices) > 1 and field.type != "multi":
                    two = rng.sample(sorted(box.choices), 2)
                    truth["two"].append(name)
                    plan += [("mark", (box.choices[c], rng.choice(marks), box.words.get(c))) for c in two]
                    continue
                choice = rng.choice(sorted(box.choices))
                truth["choices"][name] = choice
                plan.append(("mark", (box.choices[choice], marks[(i + len(plan)) % len(marks)],
                                      box.words.get(choice))))
            elif box.printed:
                continue
            elif name == scribbled:
                truth["scribbles"].append(name)
                plan.append(("scribble", box.box))
            elif rng.random() < 0.08:
                continue                                    # left empty
            else:
                value = value_for(field, rng, truth["choices"].get(field.id_type_field or ""))
                if value is None:
                    continue
                truth["typed"][name] = value
                plan.append(("text", (box.box, value)))
        for condition, dpi in (("clean", 300), ("noisy", 200)):
            doc = pdfium.PdfDocument(str(pdf))
            image = doc[0].render(scale=dpi / 72).to_pil().convert("L")
            doc.close()
            scale = dpi / 72
            draw = ImageDraw.Draw(image)
            font = ImageFont.truetype(FONT, int(10 * scale), index=SC)
            for kind, what in plan:
                if kind == "text":
                    (left, top, right, bottom), value = what
                    y = top + min(bottom - top, 26) / 2 - 6
                    if bottom - top < 20:    # a printed underline (编号：____), not a table cell: typed above
                        y -= 3               # the rule, not struck through by it (TS- read IS- when it was)
                    draw.text(((left + 4) * scale, y * scale), value, font=font, fill=0)
                elif kind == "mark":
                    mark(draw, what[0], what[1], scale, what[2])
                else:
                    scribble(draw, what, random.Random(i), scale)
            if condition == "noisy":
                image = noisy(image, rng)
                dest = work / "pages" / f"form-{i:02d}-{condition}.jpg"
                dest.parent.mkdir(parents=True, exist_ok=True)
                image.convert("RGB").save(dest, quality=70, dpi=(dpi, dpi))
            else:
                dest = work / "pages" / f"form-{i:02d}-{condition}.png"
                dest.parent.mkdir(parents=True, exist_ok=True)
                image.save(dest, dpi=(dpi, dpi))
            pages.append({"path": str(dest), "kind": "form", "condition": condition, "truth": truth})
    return pages


def letter_lines(rng: random.Random) -> list[str]:
    head = rng.choice(("业主意见", "致物业服务中心的一封信", "温馨提示", "停水通知", "关于小区停车管理的通知"))
    body = [sentence(rng) for _ in range(rng.randint(4, 6))]
    lines = [head]
    for s in body:
        while s:
            lines.append(s[:30])
            s = s[30:]
    lines.append(f"签名：{name(rng)}")
    return lines[:18]


def make_texts(work: Path, n: int, rng: random.Random) -> list[dict[str, Any]]:
    pages = []
    for i in range(n):
        traditional = i % 5 in (1, 3)
        lines = letter_lines(rng)
        if traditional:
            lines = [zhconv.convert(line, "zh-hant") for line in lines]
        image = typed_page(lines, dpi=200, face=TC if traditional else SC)
        condition = "speckled" if i % 2 else "clean"
        if condition == "speckled":
            image = speckle(image, rng)
        dest = work / "pages" / f"text-{i:02d}-{'tc' if traditional else 'sc'}-{condition}.png"
        dest.parent.mkdir(parents=True, exist_ok=True)
        image.save(dest, dpi=(200, 200))
        pages.append({"path": str(dest), "kind": "text", "condition": condition, "script": "tc" if traditional
                      else "sc", "truth": {"text": "".join(lines)}})
    return pages


# ---------------------------------------------------------------------------------------------- reading

def read_job(job: tuple[dict[str, Any], str, str, str]) -> dict[str, Any]:
    """One page through the product's path; what it read and what it cost."""
    from hudang.forms.definitions import load_forms
    from hudang.forms.ocr import worker_cpu
    from hudang.forms.readers.model import ReadLimits
    from hudang.forms.scans import read_scan

    page, engine, layouts, workdir = job
    env_off = engine == "tesseract-no-rapid"
    if env_off:
        os.environ["HUDANG_NO_RAPIDOCR"] = "1"
    before_children, before_self, (_, before_worker) = os.times(), time.process_time(), worker_cpu()
    start = time.perf_counter()
    reading = read_scan(Path(page["path"]), "image", load_forms(), Path(workdir),
                        limits=ReadLimits(ocr_engine="tesseract" if env_off else engine, layouts=layouts))
    wall = time.perf_counter() - start
    after, (_, after_worker) = os.times(), worker_cpu()
    # The OCR worker lives on between pages (forms/ocr.py OcrWorker): its CPU is read from /proc while it runs. One
    # replaced during this page is in the children's times with all it spent, its share of earlier pages
    # (before_worker) included: after_worker - before_worker is right in both cases.
    cpu = (after.children_user - before_children.children_user + after.children_system
           - before_children.children_system + time.process_time() - before_self + after_worker - before_worker)
    [doc] = reading.documents
    scripts = []
    lines_dir = Path(workdir) / f"ocr-{doc.index}" / "lines"
    for p in sorted(lines_dir.glob("page-*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        scripts.append((data["engine"], data["script"], round(data["traditional"], 3)))
    return {"fields": doc.fields, "unclear": doc.unclear, "text": doc.raw, "wall": wall, "cpu": cpu,
            "layout": doc.layout, "scripts": scripts, "note": doc.note}


def run(pages: list[dict[str, Any]], engine: str, layouts: Path, work: Path, workers: int
        ) -> tuple[list[dict[str, Any]], float]:
    jobs = [(p, engine, str(layouts), str(work / "read" / engine / Path(p["path"]).stem)) for p in pages]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(read_job, jobs))
    return results, time.perf_counter() - start


def read_choices(page: dict[str, Any], layouts: Path) -> dict[str, tuple[str | None, bool]]:
    """The choice fields of one form page read by the product's rule alone (QR code, stored layout,
    `forms.scans.marked_choices`; no OCR): field → (value filled, 待核对)."""
    from hudang.forms import layout as lay
    from hudang.forms import qr
    from hudang.forms.definitions import load_forms
    from hudang.forms.scans import choice_value

    with Image.open(page["path"]) as opened:
        image = opened.convert("L")
    code = next(c for c in qr.read(image) if c.form)
    form = load_forms().by_id(code.form or "")
    layout = lay.load(layouts, code.layout or "")
    assert layout is not None, page["path"]
    t = lay.mapping(layout, code.corners, image)
    assert t is not None
    out: dict[str, tuple[str | None, bool]] = {}
    for name, box in layout.fields.items():
        if box.choices:
            out[name] = choice_value(image, t, box, form.field(name).type == "multi")
    return out


def relayout(work: Path, engine: str, layouts: Path) -> None:
    """The form pages of a --keep run read again by the current field rules (forms.scans.read_by_layout, the
    labels when it cannot) from the OCR lines and PDF that run kept — no OCR: a change to mapping, assignment,
    normalisation or confidence measured on the same recognised lines in a minute. Printed as the run prints."""
    from hudang.forms import ocr, qr
    from hudang.forms.definitions import load_forms
    from hudang.forms.scans import ScanDocument, extract_fields, read_by_layout

    forms = load_forms()
    pages = json.loads((work / "pages.json").read_text(encoding="utf-8"))
    for condition in ("clean", "noisy"):
        group = [pg for pg in pages if pg["kind"] == "form" and pg["condition"] == condition]
        results = []
        for page in group:
            read = work / "read" / engine / Path(page["path"]).stem
            if not (read / "ocr-1" / "ocr.pdf").is_file():
                break
            lines = sorted((read / "ocr-1" / "lines").glob("page-*.json"))
            texts = [ocr.PageText.from_json(json.loads(p.read_text(encoding="utf-8"))) for p in lines]
            raw = "\n\f".join(p.text for p in texts)
            result = ocr.OcrResult(read / "ocr-1" / "ocr.pdf", ocr.normalise(raw), raw, True, pages=texts)
            with Image.open(page["path"]) as opened:
                code = next((c for c in qr.read(opened.convert("L")) if c.form), None)
            document = ScanDocument(1, [1], read / "pages.pdf", code, text=result.text, raw=raw)
            form = forms.intake().get(code.form) if code and code.form else None
            if form is not None:
                document.fields, document.unclear = extract_fields(document.text, form, forms)
                read_by_layout(document, result, form, layouts, work / "relayout" / read.name, forms)
            results.append({"fields": document.fields, "unclear": document.unclear})
        group = group[:len(results)]
        if not group:
            continue
        scored = score_forms(group, results)
        misses = scored.pop("misses")
        print(f"{engine} form {condition} ({len(group)} pages, OCR lines of {work.name}): "
              + ", ".join(f"{k} {v:.4f}" for k, v in scored.items() if isinstance(v, float)))
        print("  " + "; ".join(misses))  # type: ignore[arg-type]


def score_choices(pages: list[dict[str, Any]], layouts: Path) -> dict[str, Any]:
    """Choice accuracy and two-tick 待核对 per condition, from the page images alone."""
    by: dict[str, dict[str, Any]] = {}
    for page in pages:
        if page["kind"] != "form":
            continue
        got = read_choices(page, layouts)
        row = by.setdefault(page["condition"], {"choices": 0, "right": 0, "two": 0, "two_ok": 0, "misses": []})
        for name, choice in page["truth"]["choices"].items():
            value, unclear = got[name]
            row["choices"] += 1
            row["right"] += value == choice and not unclear
            if value != choice or unclear:
                row["misses"].append(f"{Path(page['path']).name} {name}: {choice} → {value}{' 待核对' if unclear else ''}")
        for name in page["truth"]["two"]:
            row["two"] += 1
            row["two_ok"] += got[name] == (None, True)
            if got[name] != (None, True):
                row["misses"].append(f"{Path(page['path']).name} {name}: two ticks → {got[name]}")
    return by


# ---------------------------------------------------------------------------------------------- scoring

def score_forms(pages: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, float | None]:
    typed = right = choices = choices_right = filled = wrong = scribbles = scribbles_flagged = twos = twos_ok = 0
    misses: list[str] = []
    for page, got in zip(pages, results, strict=True):
        truth = page["truth"]
        for name, value in truth["typed"].items():
            typed += 1
            mine = got["fields"].get(name)
            if mine is not None:
                filled += 1
                if norm(mine) == norm(value):
                    right += 1
                else:
                    wrong += 1
                    misses.append(f"{name}: {value!r} → {mine!r}")
            elif len(misses) < 400:
                misses.append(f"{name}: {value!r} → 待核对" if name in got["unclear"] else f"{name}: {value!r} → —")
        for name, choice in truth["choices"].items():
            choices += 1
            mine = got["fields"].get(name)
            if mine is not None:
                filled += 1
                wrong += mine != choice
            choices_right += mine == choice and name not in got["unclear"]
            if mine != choice:
                misses.append(f"{name}: □{choice} → {mine!r}{' 待核对' if name in got['unclear'] else ''}")
        for name in truth["scribbles"]:
            scribbles += 1
            scribbles_flagged += name in got["unclear"] and name not in got["fields"]
        for name in truth["two"]:
            twos += 1
            twos_ok += name in got["unclear"] and name not in got["fields"]
    return {"fields": right / typed if typed else None, "choices": choices_right / choices if choices else None,
            "wrong": wrong / filled if filled else None, "scribbles": scribbles_flagged / scribbles if scribbles
            else None, "two": twos_ok / twos if twos else None, "misses": misses}  # type: ignore[dict-item]


def cer(pages: list[dict[str, Any]], results: list[dict[str, Any]]) -> float | None:
    errors = total = 0
    for page, got in zip(pages, results, strict=True):
        ref, hyp = norm(page["truth"]["text"]), norm(got["text"])
        errors += levenshtein(ref, hyp)
        total += len(ref)
    return errors / total if total else None


def main(argv: list[str] | None = None) -> int:
    p = c.parser(__doc__, seed=14)
    p.add_argument("--forms", type=int, default=40)
    p.add_argument("--texts", type=int, default=20)
    p.add_argument("--engines", default="rapidocr,tesseract")
    p.add_argument("--misses", action="store_true", help="list every field read wrong or not read")
    p.add_argument("--subset", default="", metavar="ENGINE=FORMS/TEXTS",
                   help="an engine that reads only the first FORMS forms (both conditions) and TEXTS texts, "
                        "e.g. tesseract=12/6, when the machine is too loaded for all pages twice")
    p.add_argument("--choices", type=Path, default=None, metavar="WORK",
                   help="only the choice boxes, read from the pages a --keep run left in WORK (no OCR)")
    p.add_argument("--relayout", type=Path, default=None, metavar="WORK",
                   help="only the form fields, read again by the current rules from the OCR lines a --keep run "
                        "left in WORK (no OCR), for each engine of --engines that read them")
    p.add_argument("--pages-only", action="store_true", help="make the pages (with --keep) and stop")
    p.add_argument("--workers", type=int, default=0, help="pages read at a time (default: 2, or 1 on one core)")
    p.add_argument("--reuse", type=Path, default=None, metavar="WORK",
                   help="read the pages a --keep run made in WORK (its home and layouts) instead of making new ones")
    args = c.parse(p, argv, "ocr", forms=6, texts=4, engines="rapidocr")
    if args.choices:
        pages = json.loads((args.choices / "pages.json").read_text(encoding="utf-8"))
        for condition, counted in score_choices(pages, args.choices / "home" / "layouts").items():
            print(f"{condition}: choices {counted['right']}/{counted['choices']} = {counted['right'] / counted['choices']:.1%}; "
                  f"two ticks 待核对 {counted['two_ok']}/{counted['two']}")
            for miss in counted["misses"]:
                print(f"  {miss}")
        return 0
    if args.relayout:
        layouts = (args.reuse or args.relayout) / "home" / "layouts"
        for engine in args.engines.split(","):
            relayout(args.relayout, engine, layouts)
        return 0
    began = time.perf_counter()
    rng = random.Random(args.seed)
    workers = args.workers or max(1, min(2, c.CORES))
    c.header("OCR bench (scans of our forms and free text, read by read_scan)", forms=args.forms,
             texts=args.texts, workers=workers)
    summary: dict[str, Any] = {"forms": args.forms, "texts": args.texts, "rows": []}
    with c.work_dir("ocr", args.keep) as work:
        home = work / "home"
        roster = work / "房屋清单.csv"
        roster.write_text("项目,楼栋,单元,房号,建筑面积,业主姓名\n" + "".join(
            f"金第花园,{b}栋,{u}单元,{r},98.5,业主{b}{u}{r}\n" for b in (1, 2, 3) for u in (1, 2)
            for r in ("1201", "1202", "301", "302")), encoding="utf-8-sig")
        if args.reuse:
            home = args.reuse / "home"
            pages = json.loads((args.reuse / "pages.json").read_text(encoding="utf-8"))
            pages = ([pg for pg in pages if pg["kind"] == "form"][:2 * args.forms]
                     + [pg for pg in pages if pg["kind"] == "text"][:args.texts])
        else:
            c.fresh_home(home, [roster])
            pages = make_forms(work, home, args.forms, rng) + make_texts(work, args.texts, rng)
        (work / "pages.json").write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")  # the truth
        if args.pages_only:
            print(f"{len(pages)} pages in {work}")
            return 0
        print(f"{len(pages)} pages generated in {time.perf_counter() - began:.0f} s; {c.load()}")
        table = c.Table([("fields", "fields", ".1%"), ("choices", "choices", ".1%"), ("wrong", "wrong+conf", ".2%"),
                         ("scribbles", "scribble→待核对", ".0%"), ("two", "2 ticks→待核对", ".0%"),
                         ("cer", "CER", ".2%"), ("cer_tc", "CER trad.", ".2%"), ("spp", "s/page/worker", ".2f"),
                         ("cpu", "CPU s/page", ".2f")], width=30)
        subset = {e: tuple(int(n) for n in v.split("/")) for e, v in
                  (item.split("=") for item in args.subset.split(",") if item)}
        for engine in args.engines.split(","):   # engine by engine: the first one's figures complete first
            for kind, condition in (("form", "clean"), ("form", "noisy"), ("text", "clean"), ("text", "speckled")):
                group = [pg for pg in pages if pg["kind"] == kind and pg["condition"] == condition]
                if engine in subset:
                    group = group[:subset[engine][0 if kind == "form" else 1] // (1 if kind == "form" else 2)]
                if not group:
                    continue
                results, wall = run(group, engine, home / "layouts", work, workers)
                (work / f"read-{engine}-{kind}-{condition}.json").write_text(json.dumps(
                    [{"path": pg["path"], "fields": r["fields"], "unclear": sorted(r["unclear"]), "cpu": r["cpu"]}
                     for pg, r in zip(group, results, strict=True)], ensure_ascii=False, default=str),
                    encoding="utf-8")
                spp = wall * workers / len(group)
                cpu = sum(r["cpu"] for r in results) / len(group)
                row: dict[str, Any] = {"spp": spp, "cpu": cpu}
                if kind == "form":
                    scored = score_forms(group, results)
                    misses = scored.pop("misses")
                    row.update(scored)
                    if args.misses:
                        print(f"  {engine} {condition}: " + "; ".join(misses))  # type: ignore[arg-type]
                else:
                    sc = [(pg, r) for pg, r in zip(group, results, strict=True) if pg["script"] == "sc"]
                    tc = [(pg, r) for pg, r in zip(group, results, strict=True) if pg["script"] == "tc"]
                    row["cer"] = cer([a for a, _ in sc], [b for _, b in sc]) if sc else None
                    row["cer_tc"] = cer([a for a, _ in tc], [b for _, b in tc]) if tc else None
                    classified = [(pg["script"], r["scripts"]) for pg, r in zip(group, results, strict=True)]
                    print(f"  {engine} {condition} script per page (truth, [(engine, read as, traditional share)]):"
                          f" {classified}")
                table.add(f"{engine} · {kind} {condition}", note=c.load(), **row)
                summary["rows"].append({"engine": engine, "kind": kind, "condition": condition, **row})
                print(f"  done {engine} {kind} {condition}: {len(group)} pages in {wall:.0f} s: "
                      + ", ".join(f"{k} {v:.4f}" for k, v in row.items() if isinstance(v, float)), flush=True)
        print()
        table.print()
        print(f"\ngoals: fields ≥ {FIELD_GOAL['clean']:.0%} clean / ≥ {FIELD_GOAL['noisy']:.0%} noisy; choices ≥ "
              f"{CHOICE_GOAL:.1%}; wrong+confident ≤ {WRONG_GOAL:.1%}; every scribble 待核对; CER ≤ 2 % clean, "
              f"≤ 4 % speckled; ≤ {TIME_GOAL:g} s a page per worker")
        for r in summary["rows"]:
            if r["kind"] == "form":
                print(f"  {r['engine']} forms {r['condition']}: fields {met(r['fields'] >= FIELD_GOAL[r['condition']])}"
                      f", choices {met(r['choices'] >= CHOICE_GOAL)}, wrong+confident {met(r['wrong'] <= WRONG_GOAL)}"
                      f", speed {met(r['spp'] <= TIME_GOAL)}")
            elif r.get("cer") is not None:
                print(f"  {r['engine']} text {r['condition']}: CER (Simplified) {met(r['cer'] <= CER_GOAL[r['condition']])}"
                      f", speed {met(r['spp'] <= TIME_GOAL)}")
        c.write_json(args.json or c.BUILD / "ocr.json", summary, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
