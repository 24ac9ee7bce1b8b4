#!/usr/bin/env python3
"""Write hudang's realistic sample data: rosters, filled forms, batches, a fee ledger and bad input.

`python samples/make_samples.py DEST [--forms N] [--seed S]` prints a JSON summary of what it wrote.
One seeded `random.Random` drives everything, so a seed always yields the same files, byte for byte.
Forms are rendered from cached templates (DOCX: one per layout and shape, with labels and values as slots;
PDF: one per label set), which keeps the benchmark corpus (`make_bench_corpus`) fast. reportlab writes
Chinese field names but fails on Chinese field values, so PDF values go in as an incremental update.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import docx
import zhconv
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from openpyxl import Workbook
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

JINDI, CUIHU = "金第花园", "翠湖苑"
FORM_NAMES = {"registration": "住户登记表", "complaint": "投诉处理单", "repair": "维修工作单"}
FIXED_TIME = datetime(2026, 12, 1, 9, 0)  # file metadata and zip entry times, for stable bytes

# ---------------------------------------------------------------- people and their numbers

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏"
            "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤")
COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐"]
GIVEN = {
    True: ("伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 旭 宁 龙 林 建国 建华 志强 "
           "永刚 海涛 文博 子轩 浩然 宇航 俊杰 明辉 国庆 晓东 立新 振华 家豪 思远").split(),
    False: ("芳 娜 敏 静 丽 艳 娟 霞 燕 玲 婷 雪 琳 颖 倩 洁 梅 莉 红 丹 晶 佳 悦 欣怡 雨涵 梓涵 思琪 晓燕 秀英 "
            "桂兰 玉兰 丽华 婉婷 嘉怡 雅琴 淑珍 春梅 海燕 诗雨 若曦").split(),
}
AREA_CODES = ["340302", "340303", "340304", "340311", "340321", "340322", "340521", "110101", "440305",
              "320102", "310104", "340104"]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
MOBILE_PREFIXES = ("130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 166 173 177 180 181 "
                   "182 183 185 186 187 188 189 191 199").split()
STAFF = ["周晓丽", "陈静", "王梦婷", "刘洋", "孙倩", "李佳"]
FITTERS = ["王师傅", "刘建军", "陈国强", "赵师傅", "孙立新", "马志刚"]


@dataclass
class Person:
    name: str
    male: bool
    id_type: str
    id_no: str
    phone: str


def id_check_digit(body: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character of an ID number's first 17 digits."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=False)) % 11]


def make_id(rng: random.Random, male: bool, born: tuple[int, int] = (1950, 2002)) -> str:
    first = date(born[0], 1, 1)
    birth = first + timedelta(days=rng.randrange((date(born[1], 12, 31) - first).days))
    body = f"{rng.choice(AREA_CODES)}{birth:%Y%m%d}{rng.randrange(100):02d}{rng.randrange(5) * 2 + male}"
    return body + id_check_digit(body)


def make_uscc(rng: random.Random) -> str:
    """A 统一社会信用代码 whose organisation code (GB 11714) and own check (GB 32100) are right."""
    org = "MA" + "".join(rng.choice(USCC_CHARS) for _ in range(6))
    c9 = 11 - sum(int(c, 36) * w for c, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    body = "91" + rng.choice(["340302", "340303", "340311"]) + org + {10: "X", 11: "0"}.get(c9, str(c9))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def make_name(rng: random.Random, male: bool, surname: str = "") -> str:
    surname = surname or (rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.04 else rng.choice(SURNAMES))
    given = rng.choice(GIVEN[male])
    if len(given) == 1 and rng.random() < 0.4:
        given = rng.choice([g for g in GIVEN[male] if len(g) == 1]) + given
    return surname + given


def make_mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def make_person(rng: random.Random, born: tuple[int, int] = (1950, 2002), foreign: bool = True) -> Person:
    male = rng.random() < 0.5
    landline = f"0552-{rng.randint(2, 8)}{rng.randrange(10**6):06d}"
    phone = landline if rng.random() < 0.08 else make_mobile(rng)
    kind = rng.choices(["身份证", "护照", "港澳台通行证"], [95, 3 * foreign, 2 * foreign])[0]  # E…, H… numbers
    id_no = make_id(rng, male, born) if kind == "身份证" else "EH"[kind != "护照"] + f"{rng.randrange(10**8):08d}"
    return Person(make_name(rng, male), male, kind, id_no, phone)


def spell_phone(rng: random.Random, p: str) -> str:
    if p.startswith("0"):
        return rng.choice([p, p.replace("-", "")])
    spaced, dashed = f"{p[:3]} {p[3:7]} {p[7:]}", f"{p[:3]}-{p[3:7]}-{p[7:]}"
    return rng.choices([p, spaced, dashed, f"+86 {p}"], [6, 2, 1, 1])[0]


def make_plate(rng: random.Random) -> str:
    region = rng.choice(["皖C"] * 6 + ["皖A", "苏A", "沪B", "浙A"])
    tail = [rng.choice("0123456789") for _ in range(5)]
    if rng.random() < 0.3:
        tail[rng.randrange(2)] = rng.choice("ABCDEFGHJKLMNPQRSTUVWXY")
    if rng.random() < 0.2:  # 新能源 plates have six characters after the region
        tail = [rng.choice("DF")] + [rng.choice("0123456789") for _ in range(5)]
    return region + rng.choice(["·", "·", "", " "]) + "".join(tail)


# ---------------------------------------------------------------- estates, rooms, spellings

@dataclass
class Room:
    estate: str
    building: str  # "3", "A" or "商业街"
    unit: str      # "2" or ""
    number: str    # "1201" or "S101"
    area: float
    owner: Person
    company: str = ""           # a 单位 owner (shops) and its 统一社会信用代码
    company_id: str = ""
    on_roster_name: bool = True

    @property
    def key(self) -> str:
        return "-".join(p for p in (self.building, self.unit, self.number) if p)

    @property
    def household(self) -> str:
        return f"{self.estate}/{self.key}"

    def display(self) -> str:
        if self.building == "商业街":
            return f"商业街-{self.number}"
        b, u, n = self.building, self.unit, self.number
        return f"{b}栋{u}单元{n}" if u else f"{b}座{n}"

    def roster_row(self) -> list[str | float]:
        building = {"商业街": "商业街"}.get(self.building, f"{self.building}{'栋' if self.unit else '座'}")
        owner = (self.company or self.owner.name) if self.on_roster_name else ""
        return [self.estate, building, f"{self.unit}单元" if self.unit else "", self.number, self.area, owner]


def make_rooms(rng: random.Random, jindi: int = 400, cuihu: int = 150, shops: int = 10) -> list[Room]:
    """A subset of each estate's rooms (not every room exists on a roster), each with an owner."""
    jd = [(str(b), str(u), f"{f}{r:02d}")
          for b in range(1, 7) for u in (1, 2) for f in range(1, 19) for r in (1, 2)]
    ch = [(b, "", f"{f}{r:02d}") for b in "ABCD" for f in range(1, 27) for r in range(1, 5)]
    shop = [("商业街", "", f"S1{i:02d}") for i in range(1, 16)]
    rooms = []
    for estate, pool, n in ((JINDI, jd, jindi), (CUIHU, ch, cuihu), (JINDI, shop, shops)):
        for i in sorted(rng.sample(range(len(pool)), min(n, len(pool)))):
            b, u, num = pool[i]
            area = rng.uniform(45, 180) if b == "商业街" else rng.uniform(68, 96 if num.endswith("2") else 128)
            room = Room(estate, b, u, num, round(area, 2), make_person(rng),
                        on_roster_name=rng.random() < 0.92)
            if b == "商业街":
                room.company = (f"蚌埠市{rng.choice(['恒达', '鑫源', '佳和', '瑞丰', '宏图', '金诚', '福满', '汇通'])}"
                                f"{rng.choice(['商贸', '餐饮', '医药', '超市', '科技'])}有限公司")
                room.company_id = make_uscc(rng)
            rooms.append(room)
    return rooms


CN_DIGITS = "零一二三四五六七八九"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def spell_room(rng: random.Random, room: Room) -> str:
    b, u, n = room.building, room.unit, room.number
    if b == "商业街":
        return f"商业街{n}"
    if u:
        return rng.choice([f"{b}栋{u}单元{n}", f"{b}栋{u}单元{n}", f"{b}-{u}-{n}", f"{b}幢{u}单元{n}室",
                           f"{CN_DIGITS[int(b)]}栋{CN_DIGITS[int(u)]}单元{n}",
                           f"{b}栋{u}单元{n}".translate(FULLWIDTH), f"{b}号楼{u}单元{n}", f"{b}栋{u}单元{n}室",
                           f"{b}栋 {u}单元 {n}"])
    return rng.choice([f"{b}座{n}", f"{b}座{n}", f"{b.lower()}座 {n}", f"{b}栋{n}室", f"{b}-{n}", f"{b}座{n}室",
                       f"{b}座{n}".translate(FULLWIDTH)])


def spell_date(rng: random.Random, d: date) -> str:
    return rng.choice([f"{d:%Y-%m-%d}", f"{d:%Y-%m-%d}", f"{d.year}/{d.month}/{d.day}",
                       f"{d.year}年{d.month}月{d.day}日", f"{d:%Y.%m.%d}", f"{d:%Y%m%d}"])


def spell_datetime(rng: random.Random, t: datetime) -> str:
    options = [f"{t:%Y-%m-%d %H:%M}", f"{t:%Y-%m-%d %H:%M}", f"{t:%Y-%m-%d %H:%M:%S}", f"{t:%Y.%m.%d %H:%M}",
               f"{t.year}年{t.month}月{t.day}日 {t.hour}时{t.minute:02d}分",
               f"{t.year}/{t.month}/{t.day} {t:%H:%M}"]
    if 13 <= t.hour <= 18:
        options.append(f"{t.year}/{t.month}/{t.day} 下午{t.hour - 12}:{t.minute:02d}")
    return rng.choice(options)


def rand_time(rng: random.Random, start: date, end: date, hours: tuple[int, int] = (8, 20)) -> datetime:
    day = start + timedelta(days=rng.randrange((end - start).days + 1))
    minute, second = rng.randrange(0, 60, 5), rng.randrange(60)
    return datetime(day.year, day.month, day.day, rng.randint(*hours), minute, second)


def office_hours(t: datetime) -> datetime:
    """The same moment moved into the office's day (08:00–20:00), to the minute."""
    t = t.replace(second=0)
    if t.hour < 8:
        return t.replace(hour=8 + t.hour % 3)
    return t + timedelta(hours=12) if t.hour >= 20 else t


def trad(text: str, exact: bool = True) -> str:
    """Traditional spelling; with `exact`, only where it converts back unchanged (labels, estate names)."""
    converted = zhconv.convert(text, "zh-hant")
    return converted if not exact or zhconv.convert(converted, "zh-hans") == text else text


# ---------------------------------------------------------------- presenting a form's fields

ALIASES = {
    "registration": {"项目": ["项目名称", "小区名称"], "业主姓名": ["业主", "产权人"], "证件号码": ["证件号"],
                     "联系电话": ["手机号码", "联系方式", "电话"], "入住日期": ["收房日期", "入住时间"],
                     "车牌号": ["车牌号码"], "燃气表底数": ["气表底数"]},
    "complaint": {"编号": ["投诉编号"], "投诉人房号": ["房号", "住址"], "投诉类别": ["投诉类型"],
                  "被投诉部门": ["责任部门"], "严重程度": ["投诉等级"], "投诉内容": ["投诉事由"],
                  "接报人": ["接待人", "受理人"]},
}
LONG_FIELDS = {"投诉内容", "原因分析", "整改措施", "处理意见", "领导批示", "处理结果", "家庭成员", "备注"}
FREE_TEXT = LONG_FIELDS | {"项目"}
Pair = tuple[str, str, bool]  # label as written, value, whether the form gives it a wide box


def present(rng: random.Random, form: str, fields: dict[str, str], *, vary: bool, decorate: bool = False,
            traditional: bool = False) -> list[Pair]:
    """Canonical fields as labelled cells, varied as real forms vary (aliases, blanks, ：, 繁体)."""
    pairs = []
    for name, value in fields.items():
        label = name
        if vary:
            if not value and rng.random() < 0.5:
                continue
            if name in ALIASES[form] and rng.random() < 0.2:
                label = rng.choice(ALIASES[form][name])
            if name == "证件号码" and fields.get("证件类型", "") in ("", "身份证") and rng.random() < 0.2:
                label = "身份证号码"
        if decorate and rng.random() < 0.12:
            label = rng.choice([label + "：", "  ".join(label) if len(label) <= 3 else label])
        if traditional:
            label, value = trad(label), trad(value, exact=False) if name in FREE_TEXT else value
        pairs.append((label, value, name in LONG_FIELDS))
    return pairs


# ---------------------------------------------------------------- writers: DOCX, PDF, JSON, CSV, XLSX

def stable_zip(members: dict[str, bytes]) -> bytes:
    """Zip with fixed entry times, so the same content always gives the same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, FIXED_TIME.timetuple()[:6]), data, zipfile.ZIP_DEFLATED, 1)
    return buf.getvalue()


def saved(doc: docx.document.Document | Workbook) -> dict[str, bytes]:
    """The parts of a saved DOCX or XLSX package."""
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(buf) as z:
        return {name: z.read(name) for name in z.namelist()}


def _slot(i: int) -> str:
    return f"@@{i:03d}@@"


@lru_cache(maxsize=256)
def _docx_template(layout: int, wide: tuple[bool, ...], head: int) -> dict[str, bytes]:
    """A form whose title, labels and values are slots (0 = title, then label, value …), one per shape.

    Layout 1 is label|value, 2 is label|value|label|value, 3 a bordered form with most labels above values."""
    doc = docx.Document()
    props = doc.core_properties
    props.created = props.modified = FIXED_TIME
    props.author = props.last_modified_by = "客服中心"
    para = doc.add_paragraph()
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = para.add_run(_slot(0))
    run.bold, run.font.size = True, Pt(18)
    for i in range(head):
        doc.add_paragraph(f"{_slot(1 + 2 * i)}：{_slot(2 + 2 * i)}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    cells = [(_slot(1 + 2 * (head + i)), _slot(2 + 2 * (head + i)), w) for i, w in enumerate(wide)]
    table = doc.add_table(rows=0, cols=2 if layout == 1 else 4)
    table.style = "Table Grid"
    short, long = [c for c in cells if not c[2]], [c for c in cells if c[2]]
    beside, above = (cells, []) if layout == 1 else (short, []) if layout == 2 else (short[:4], short[4:])
    step = 1 if layout == 1 else 2
    for k in range(0, len(beside), step):
        row = table.add_row().cells
        row[0].text, row[1].text = beside[k][:2]
        if step == 2 and k + 1 < len(beside):
            row[2].text, row[3].text = beside[k + 1][:2]
        elif step == 2:
            row[1].merge(row[3])
    for k in range(0, len(above), 4):  # labels in one row, their values in the row below
        group = above[k:k + 4]
        labels, values = table.add_row().cells, table.add_row().cells
        for j, (label, value, _) in enumerate(group):
            span = j == len(group) - 1 and j < 3
            (labels[j].merge(labels[3]) if span else labels[j]).text = label
            (values[j].merge(values[3]) if span else values[j]).text = value
    for label, value, _ in [] if layout == 1 else long:
        if layout == 2:
            row = table.add_row().cells
            row[0].text, row[1].merge(row[3]).text = label, value
        else:
            table.add_row().cells[0].merge(table.rows[-1].cells[3]).text = label
            table.add_row().cells[0].merge(table.rows[-1].cells[3]).text = value
    doc.add_paragraph("（本表一式两份，客服中心存档一份）")
    return saved(doc)


def docx_bytes(title: str, pairs: list[Pair], layout: int, head: Sequence[tuple[str, str]] = ()) -> bytes:
    members = _docx_template(layout, tuple(wide for _, _, wide in pairs), len(head))
    texts = [title, *(t for pair in head for t in pair)]
    texts += [t for label, value, _ in pairs for t in (label, value)]
    xml = re.sub(rb"@@(\d{3})@@", lambda m: escape(texts[int(m[1])]).encode(),
                 members["word/document.xml"])
    return stable_zip({**members, "word/document.xml": xml})


CJK_FONT = "STSong-Light"


@dataclass(frozen=True)
class PdfTemplate:
    data: bytes
    size: int      # first free object number
    root: int
    xref: int      # offset of the template's cross-reference table
    font: int      # object number of the CJK font
    fields: dict[str, tuple[int, bytes, float, float]]  # label: annotation object, its dictionary, box size


@lru_cache(maxsize=64)
def _pdf_template(title: str, cells: tuple[tuple[str, bool], ...]) -> PdfTemplate:
    """A printed form with one empty AcroForm text field per label (reportlab cannot write CJK values)."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(title)
    c.setFont(CJK_FONT, 18)
    c.drawCentredString(A4[0] / 2, 790, title)
    boxes: dict[str, tuple[float, float]] = {}
    top, col = 765.0, 0  # short fields two to a row, then the wide ones
    for label, wide in [cell for cell in cells if not cell[1]] + [cell for cell in cells if cell[1]]:
        if wide and col:
            top, col = top - 28, 0
        x, width, height = 40 + 260 * col, (437 if wide else 172), (46 if wide else 20)
        y = top - height
        c.setFont(CJK_FONT, 10)
        c.drawString(x, y + height - 14, label)
        c.rect(x + 78, y, width, height)
        c.acroForm.textfield(name=label, x=x + 78, y=y, width=width, height=height, borderWidth=0,
                             fieldFlags="multiline" if wide else "", maxlen=None)
        boxes[label] = (width, height)
        top, col = (top - height - 8, 0) if wide or col else (top, 1)
    c.save()
    writer = PdfWriter(clone_from=PdfReader(buf))  # give the fields a CJK default appearance
    page: Any = writer.pages[0]
    cjk = next(ref for ref in page["/Resources"]["/Font"].values() if ref["/BaseFont"] == "/" + CJK_FONT)
    form: Any = writer.root_object["/AcroForm"]
    form["/DR"]["/Font"][NameObject("/CJK")] = cjk
    for annot in page["/Annots"]:
        annot.get_object()[NameObject("/DA")] = TextStringObject("/CJK 10 Tf 0 g")
    out = io.BytesIO()
    writer.write(out)
    reader = PdfReader(out)
    trailer: Any = reader.trailer
    annots: Any = reader.pages[0]["/Annots"]
    fields = {}
    for ref in annots:
        annot = ref.get_object()
        body = io.BytesIO()
        DictionaryObject({k: v for k, v in annot.items() if k not in ("/V", "/AP")}).write_to_stream(body)
        fields[annot["/T"]] = (ref.idnum, body.getvalue().rstrip()[:-2], *boxes[annot["/T"]])
    font = trailer["/Root"]["/AcroForm"]["/DR"]["/Font"].raw_get("/CJK").idnum
    xref = int(re.findall(rb"startxref\s+(\d+)", out.getvalue())[-1])
    return PdfTemplate(out.getvalue(), trailer["/Size"], trailer.raw_get("/Root").idnum, xref, font, fields)


def _appearance(value: str, width: float, height: float) -> bytes:
    """A field's look in the CJK font (UCS-2 codes), wrapped to its box: CJK 1 em, ASCII about ½ em."""
    lines, line, used = [], "", 0.0
    for ch in value:
        w = 5.0 if ord(ch) < 128 else 10.0
        if used + w > width - 4 and line:
            lines.append(line)
            line, used = "", 0.0
        line, used = line + ch, used + w
    fitting = (lines + [line])[: max(1, int(height // 12))]
    shown = " T* ".join(f"<{ln.encode('utf-16-be').hex()}> Tj" for ln in fitting)
    top = height - 13 if height > 30 else (height - 10) / 2 + 2
    return f"/Tx BMC q BT /CJK 10 Tf 0 g 2 {top:.1f} Td 12 TL {shown} ET Q EMC".encode()


def pdf_bytes(title: str, pairs: list[Pair]) -> bytes:
    """The template with its fields filled, appended as an incremental update, as a PDF editor saves it."""
    t = _pdf_template(title, tuple((label, wide) for label, _, wide in pairs))
    out, offsets = bytearray(t.data), {}
    for i, (label, value, _) in enumerate(pairs):
        annot, body, width, height = t.fields[label]
        look, ap = _appearance(value, width, height), t.size + i
        offsets[ap] = len(out)
        out += (f"{ap} 0 obj\n<< /Type /XObject /Subtype /Form /BBox [0 0 {width} {height}] "
                f"/Resources << /Font << /CJK {t.font} 0 R >> >> /Length {len(look)} >>\nstream\n").encode()
        out += look + b"\nendstream\nendobj\n"
        offsets[annot] = len(out)
        text = f"<FEFF{value.encode('utf-16-be').hex()}>" if value else "()"
        out += f"{annot} 0 obj\n".encode() + body + f" /V {text} /AP << /N {ap} 0 R >> >>\nendobj\n".encode()
    xref = len(out)
    entries = "".join(f"{n} 1\n{offset:010d} 00000 n \n" for n, offset in sorted(offsets.items()))
    out += f"xref\n0 1\n0000000000 65535 f \n{entries}".encode()
    out += (f"trailer\n<< /Size {t.size + len(pairs)} /Root {t.root} 0 R /Prev {t.xref} >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def json_bytes(form: str, pairs: list[Pair], english: bool = False, numbers: tuple[str, ...] = ()) -> bytes:
    fields = {label: float(value) if label in numbers and value else value for label, value, _ in pairs}
    doc = {"form": form, "fields": fields} if english else {"表单": FORM_NAMES[form], "字段": fields}
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(wb: Workbook) -> bytes:
    wb.properties.created = FIXED_TIME
    wb.properties.creator = "客服中心"
    members = saved(wb)  # openpyxl stamps the save time as "modified"; pin it
    members["docProps/core.xml"] = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-12-01T09:00:00Z",
                                          members["docProps/core.xml"])
    return stable_zip(members)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_form(path: Path, rng: random.Random, form: str, pairs: list[Pair], kind: str,
               head: Sequence[tuple[str, str]] = (), traditional: bool = False) -> Path:
    """One form as .docx (a random layout), .pdf (AcroForm) or .json (Chinese or English keys)."""
    title = trad(FORM_NAMES[form]) if traditional else FORM_NAMES[form]
    if kind == "docx":
        return write(path.with_suffix(".docx"), docx_bytes(title, pairs, rng.randint(1, 3), head))
    pairs = [(k, v, False) for k, v in head] + pairs
    if kind == "pdf":
        return write(path.with_suffix(".pdf"), pdf_bytes(title, pairs))
    numbers = ("水表底数", "电表底数", "燃气表底数") if rng.random() < 0.5 else ()
    return write(path.with_suffix(".json"), json_bytes(form, pairs, kind == "json_en", numbers))


# ---------------------------------------------------------------- registrations

MOVE_IN = (date(2026, 1, 5), date(2026, 11, 28))
RELATIONS = {True: ["妻子", "儿子", "女儿", "母亲", "父亲"], False: ["丈夫", "儿子", "女儿", "母亲", "父亲"]}
REG_NOTES = ["已领取钥匙3把", "装修押金已交", "已签订《临时管理规约》", "车位租赁另行登记", "门禁卡已办理2张"]


def registration_fields(rng: random.Random, room: Room, moved_in: date) -> dict[str, str]:
    o = room.owner
    surname = o.name[:2] if o.name[:2] in COMPOUND_SURNAMES else o.name[0]
    members = []
    for rel in rng.sample(RELATIONS[o.male], rng.randint(0, 3)):
        name = o.name
        while name == o.name:
            name = make_name(rng, rel in ("儿子", "丈夫", "父亲"), surname if rel in ("儿子", "女儿", "父亲") else "")
        members.append(f"{rel} {name}")
    way = "单位" if room.company else rng.choices(["本人", "委托"], [85, 15])[0]
    agent = make_person(rng, (1960, 2000), foreign=False) if way == "委托" else None  # the form has no 受托人证件类型
    contact = make_person(rng)
    id_no = o.id_no.lower() if o.id_no.endswith("X") and rng.random() < 0.5 else o.id_no
    meter = rng.random() < 0.7
    return {
        "项目": room.estate, "房号": spell_room(rng, room), "业主姓名": room.company or o.name,
        "证件类型": "营业执照" if room.company else (o.id_type if o.id_type != "身份证" or rng.random() < 0.5 else ""),
        "证件号码": room.company_id or id_no, "联系电话": spell_phone(rng, o.phone),
        "办理方式": way if way != "本人" or rng.random() < 0.5 else "",
        "受托人姓名": agent.name if agent else "", "受托人证件号码": agent.id_no if agent else "",
        "单位名称": room.company, "入住日期": spell_date(rng, moved_in),
        "家庭成员": "；".join(members), "紧急联系人": contact.name if rng.random() < 0.7 else "",
        "紧急联系电话": spell_phone(rng, make_mobile(rng)) if rng.random() < 0.7 else "",
        "车牌号": "、".join(make_plate(rng) for _ in range(rng.choice([0, 1, 1, 1, 2]))),
        "水表底数": f"{rng.uniform(0, 30):.1f}" if meter else "",
        "电表底数": f"{rng.uniform(0, 300):.1f}" if meter else "",
        "燃气表底数": f"{rng.uniform(0, 8):.1f}" if meter and rng.random() < 0.8 else "",
        "备注": "委托书原件已存档" if agent else (rng.choice(REG_NOTES) if rng.random() < 0.3 else ""),
    }


def write_registrations(folder: Path, rng: random.Random, rooms: list[Room], n: int) -> dict[str, int]:
    counts: dict[str, int] = {"docx": 0, "json": 0, "json_en": 0, "traditional": 0, "委托": 0, "单位": 0}
    shops = [r for r in rooms if r.company]
    for i in range(n):
        room = rng.choice(shops if rng.random() < 0.05 else rooms)
        fields = registration_fields(rng, room, rand_time(rng, *MOVE_IN).date())
        kind = rng.choices(["docx", "json", "json_en"], [60, 25, 15])[0]
        traditional = kind != "json_en" and rng.random() < 0.05
        pairs = present(rng, "registration", fields, vary=True, decorate=kind == "docx",
                        traditional=traditional)
        name = {"docx": f"{i + 1:04d}-{room.key}-{fields['业主姓名']}", "json": f"登记-{i + 1:04d}"}.get(
            kind, f"registration-{i + 1:04d}")
        write_form(folder / name, rng, "registration", pairs, kind, traditional=traditional)
        counts[kind] += 1
        counts["traditional"] += traditional
        counts["委托"] += fields["受托人姓名"] != ""
        counts["单位"] += fields["单位名称"] != ""
    return counts


# ---------------------------------------------------------------- complaints

# (被投诉部门, 投诉内容 variants, 原因分析, 整改措施, 处理结果); {lift} {garage} {gate} {place} {bldg} are filled per estate
TOPICS = [
    ("工程部", ["楼上卫生间漏水，我家顶棚一直滴水，墙面已经发霉。", "厨房顶板渗水，怀疑楼上暖气管破裂，联系楼上住户无人应答。",
             "下雨后阳台墙角渗水，木地板被泡坏了。"],
     "楼上住户卫生间防水层老化", "协调楼上业主重做防水，修补顶棚", "楼上防水层已重做，顶棚修补完毕，业主确认不再渗水。"),
    ("工程部", ["{lift}经常停在半层，今天早上又困人将近二十分钟。", "{lift}按钮失灵，等了十几分钟都不来，老人上下楼很不方便。",
             "{lift}运行时异响很大，担心安全。"],
     "电梯门机及按钮板老化，维保不到位", "通知维保单位全面检修，增加巡检频次", "维保单位已更换故障部件，电梯经检测运行正常。"),
    ("秩序维护部", ["楼下住户晚上十一点以后还在唱卡拉OK，严重影响休息。", "{place}附近每天深夜有人聚集喝酒喧哗。"],
     "个别住户文明意识不足，夜间巡逻不到位", "上门劝导并加强夜间巡逻", "已上门劝导，夜间增加两次巡逻，噪音问题已解决。"),
    ("秩序维护部", ["我的固定车位在{garage}，连续三天被一辆外来车辆占用。", "{garage}消防通道经常有车乱停，自己的车位进不去。"],
     "外来车辆管控不严", "车辆出入登记，张贴挪车通知", "已联系车主挪车，门岗加强外来车辆登记。"),
    ("保洁部", ["{bldg}楼下的垃圾桶已经两天没有清运，气味很大。", "垃圾站周边污水横流，苍蝇很多，清运不及时。"],
     "清运车辆调度不当", "调整清运时间为每日两次", "已清运并冲洗垃圾桶，清运频次调整为每日两次。"),
    ("秩序维护部", ["{gate}保安态度恶劣，询问访客时语气生硬，还与业主争吵。", "晚上回家{gate}保安不给开门，态度很差。"],
     "保安服务意识欠缺", "对当事保安进行批评教育并组织服务礼仪培训", "已向业主当面致歉，当事保安已调岗培训。"),
    ("绿化部", ["{place}的树木太久没有修剪，树枝挡住了二楼窗户。", "绿化修剪后枝叶堆在路边好几天没人清理。"],
     "绿化养护计划执行不到位", "安排修剪并及时清运枝叶", "已完成修剪，枝叶当天清运完毕。"),
    ("保洁部", ["{place}经常有宠物粪便，没人清理，孩子玩耍时踩到。", "有业主遛狗不牵绳，狗在单元门口随地大小便。"],
     "部分业主文明养犬意识不足", "张贴文明养犬告示，保洁增加巡查", "已清理并张贴告示，对相关业主进行了劝导。"),
    ("秩序维护部", ["楼上装修每天早上七点就开始电钻作业，周末也不停。", "{bldg}有住户中午十二点到两点之间装修，噪音很大。"],
     "装修巡查不到位", "约谈装修户，严格装修作业时间", "已约谈装修户并签订承诺书，按规定时间施工。"),
    ("客服中心", ["放在{gate}的快递丢失了，门岗说不负责保管。", "快递员说已放到物业前台，但前台找不到我的包裹。"],
     "代收快递交接无登记", "建立快递代收登记制度", "经查监控找回包裹，已交还业主，前台启用代收登记本。"),
    ("客服中心", ["客服中心电话连续打了几次都没人接。", "上次反映的问题客服说会回电，一直没有回复。"],
     "午间值班安排不足", "调整排班，来电必须当日回复", "已向业主致歉，客服电话午间安排专人值守。"),
    ("工程部", ["{garage}照明灯坏了好几盏，晚上停车看不清。", "{bldg}楼道声控灯不亮，老人晚上上下楼很危险。"],
     "公共照明巡检不及时", "更换灯具并每周巡检", "已更换损坏灯具，照明恢复正常。"),
]
TAILS = ["", "", "", "已经反映过两次，至今没有解决。", "希望物业尽快处理并给予答复。",
         "业主情绪比较激动，要求经理出面。", "请尽快安排人员处理。", "已拍照留存。"]
CASE_DAYS = (date(2026, 9, 1), date(2026, 11, 30))  # complaints and repairs open in these months
LIMIT_DAYS = {"重大": 10, "重要": 3, "轻微": 2}
CLOSING = ("原因分析", "整改措施", "领导批示", "处理结果", "完成时间", "回访时间", "回访结果")


def complaint_case(rng: random.Random, rooms: list[Room], opened: datetime,
                   number: str) -> tuple[dict[str, str], Room | None]:
    """A complaint as it ends (closed and visited); `as_opened` blanks what an earlier version lacks."""
    room = rng.choice(rooms)
    public = rng.random() < 0.05
    person = room.owner if rng.random() < 0.8 else make_person(rng)
    dept, contents, cause, measure, result = rng.choice(TOPICS)
    tower = room.building if room.unit else str(rng.randint(1, 6))  # for a shop, the nearest tower
    bldg = f"{room.building}座" if room.estate == CUIHU else f"{tower}号楼"
    slots = {"lift": f"{bldg}电梯", "garage": rng.choice(["地下车库", "地下车库B区"]), "bldg": bldg,
             "gate": rng.choice(["东门岗", "南门岗", "北门岗"]),
             "place": rng.choice(["中心花园", "儿童游乐区", "小区西侧围墙边", f"{bldg}门前"])}
    method = rng.choices(["来电", "来访", "信函", "网络"], [50, 30, 5, 15])[0]
    content = rng.choice(contents).format(**slots) + rng.choice(TAILS)
    if method == "来电" and rng.random() < 0.4:
        content = "业主来电反映：" + content
    severity = rng.choices(["轻微", "重要", "重大"], [60, 30, 10])[0]
    took = 24 * LIMIT_DAYS[severity] * rng.choice([0.4, 0.7, 0.9, 1.3])  # some cases overrun the limit
    done = office_hours(opened + timedelta(hours=rng.uniform(2, took)))
    visit = office_hours(done + timedelta(hours=rng.uniform(3, 60)))
    fields = {
        "编号": number, "项目": room.estate, "日期": spell_date(rng, opened.date()),
        "投诉人": make_name(rng, rng.random() < 0.5) if public else person.name,
        "投诉时间": spell_datetime(rng, opened),
        "投诉人房号": rng.choice(["公共区域"] * 3 + ["访客"]) if public else spell_room(rng, room),
        "联系电话": spell_phone(rng, person.phone), "接报人": rng.choice(STAFF), "投诉方式": method,
        "投诉类别": rng.choices(["有效投诉", "求助型", "咨询型", "发泄型", ""], [50, 20, 10, 12, 8])[0],
        "严重程度": severity if severity != "轻微" or rng.random() < 0.7 else "", "被投诉部门": dept,
        "投诉内容": content, "原因分析": cause, "整改措施": measure, "处理意见": f"转{dept}处理",
        "领导批示": rng.choice(["", "", f"请{dept}限期整改。", "尽快处理，做好回访。"]), "处理结果": result,
        "完成时间": spell_datetime(rng, done), "回访时间": spell_datetime(rng, visit),
        "回访结果": rng.choices(["满意", "基本满意", "不满意"], [60, 28, 12])[0],
    }
    return fields, None if public else room


def as_opened(fields: dict[str, str], resolved: bool = False) -> dict[str, str]:
    """The case as first filed: nothing after 处理意见, or resolved but not yet visited."""
    keep = ("原因分析", "整改措施", "领导批示", "处理结果", "完成时间") if resolved else ()
    return {k: ("" if k in CLOSING and k not in keep else v) for k, v in fields.items()}


def checkbox(value: str, choices: list[str]) -> str:
    return " ".join(("☑" if c == value else "□") + c for c in choices)


def numbered_times(rng: random.Random, n: int, prefix: str, start: date,
                   end: date) -> list[tuple[datetime, str]]:
    """n opening times in order, each with a number like TS-202610-0001 counted per month."""
    times = sorted(rand_time(rng, start, end) for _ in range(n))
    seq: dict[str, int] = {}
    out = []
    for t in times:
        seq[f"{t:%Y%m}"] = seq.get(f"{t:%Y%m}", 0) + 1
        out.append((t, f"{prefix}-{t:%Y%m}-{seq[f'{t:%Y%m}']:04d}"))
    return out


def write_complaints(folder: Path, rng: random.Random, rooms: list[Room], n: int,
                     n_versions: int) -> tuple[dict[str, int], list[dict[str, str]]]:
    """Complaints, a closing version for n_versions of them (one moving to another room), one duplicate."""
    counts = dict.fromkeys(["docx", "pdf", "json", "traditional", "closed", "resolved", "open", "public",
                            "versions", "moves", "duplicates"], 0)
    moved: list[dict[str, str]] = []
    cases = numbered_times(rng, n, "TS", *CASE_DAYS)
    later = set(rng.sample(range(n), n_versions))
    for i, (opened, number) in enumerate(cases):
        fields, room = complaint_case(rng, rooms, opened, number)
        state = "open" if i in later else rng.choices(["closed", "resolved", "open"], [55, 15, 30])[0]
        first = fields if state == "closed" else as_opened(fields, resolved=state == "resolved")
        kind = rng.choices(["docx", "pdf", "json"], [45, 42, 13])[0]
        traditional = kind != "pdf" and rng.random() < 0.05
        name = number + ("-受理" if i in later else "")  # sorts before its -结案 version
        path = _write_complaint(folder / name, rng, first, kind, traditional)
        counts[kind] += 1
        counts[state] += 1
        counts["traditional"] += traditional
        counts["public"] += room is None
        if i in later:  # the case's closing form, filed later; one names the right room (a correction)
            if room is not None and counts["moves"] == 0:
                near = [r for r in rooms
                        if (r.estate, r.building) == (room.estate, room.building) and r is not room]
                to = rng.choice(near)
                fields["投诉人房号"] = spell_room(rng, to)
                counts["moves"] += 1
                moved.append({"编号": number, "from": room.household, "to": to.household})
            _write_complaint(folder / f"{number}-结案", rng, fields, rng.choice(["docx"] * 3 + ["pdf"]), False)
            counts["versions"] += 1
        elif kind == "pdf" and counts["duplicates"] == 0:  # the same file dropped in twice
            write(path.with_name(f"{number}(1).pdf"), path.read_bytes())
            counts["duplicates"] += 1
    return counts, moved


PDF_EDITION_2024 = {"严重程度": "投诉等级", "被投诉部门": "责任部门", "投诉内容": "投诉事由"}


def _write_complaint(path: Path, rng: random.Random, fields: dict[str, str], kind: str,
                     traditional: bool) -> Path:
    fields = dict(fields)
    if kind == "pdf":  # the office's fillable PDF has fixed fields, in this year's or last year's edition
        old = rng.random() < 0.3
        pairs = [(PDF_EDITION_2024.get(label, label) if old else label, value, wide)
                 for label, value, wide in present(rng, "complaint", fields, vary=False)]
        return write_form(path, rng, "complaint", pairs, kind)
    if kind == "docx" and rng.random() < 0.3:  # a printed form with tick boxes
        fields["投诉方式"] = checkbox(fields["投诉方式"], ["来电", "来访", "信函", "网络"])
        fields["严重程度"] = checkbox(fields["严重程度"], ["重大", "重要", "轻微"])
    head = [("编号", fields.pop("编号"))] if kind == "docx" and rng.random() < 0.5 else []
    pairs = present(rng, "complaint", fields, vary=True, decorate=kind == "docx", traditional=traditional)
    return write_form(path, rng, "complaint", pairs, kind, head, traditional)


# ---------------------------------------------------------------- repairs (batch XLSX + GB18030 CSV)

REPAIR_LABELS = ["编号", "项目", "房号", "报修人", "联系电话", "报修时间", "报修内容", "维修类别", "有偿服务",
                 "预约时间", "维修人员", "完成时间", "费用", "业主确认", "回访时间", "回访结果", "返修"]
REPAIRS = {
    "渗漏水": ["卫生间顶板渗水，疑似楼上防水层破损", "阳台窗台下雨渗水", "厨房下水管接口漏水",
            "外墙渗水导致卧室墙面发霉"],
    "水电": ["客厅插座无电", "家中频繁跳闸", "热水器插座烧焦", "水龙头关不紧一直滴水", "水表前阀门漏水"],
    "门窗": ["入户门锁芯损坏打不开", "卧室窗户合页松动关不严", "纱窗破损需更换", "单元门闭门器损坏"],
    "安全设施": ["烟感报警器误报", "楼道消防栓箱门损坏", "可视对讲门禁无法开门"],
    "公共设施": ["楼道声控灯不亮", "电梯按钮失灵", "小区健身器材螺丝松动", "地下车库照明灯不亮"],
    "其他": ["下水道堵塞，卫生间返味", "晾衣架绳子断裂", "空调冷凝水管脱落", "信报箱锁坏了"],
}


def repair_row(rng: random.Random, room: Room, opened: datetime, number: str) -> dict[str, object]:
    kind = rng.choices(list(REPAIRS), [20, 25, 18, 7, 15, 15])[0]
    paid = kind in ("水电", "门窗", "其他") and rng.random() < 0.6
    done = office_hours(opened + timedelta(hours=rng.uniform(1, 72))) if rng.random() < 0.82 else None
    days = (4 if kind == "渗漏水" else 3) - (0 if rng.random() < 0.1 else 1.5)  # a few visits come late
    visit = None
    if done and rng.random() < 0.85:
        visit = office_hours(done + timedelta(hours=rng.uniform(2, 24 * days)))
    fees: list[object] = ["¥120.00", "80", "¥35.00", "150.00元", "¥1,280.00", 60]
    fee = rng.choice(fees) if paid else rng.choice(["", "0"])
    return {
        "编号": number, "项目": room.estate, "房号": spell_room(rng, room), "报修人": room.owner.name,
        "联系电话": spell_phone(rng, room.owner.phone),
        "报修时间": opened.replace(second=0) if rng.random() < 0.1 else spell_datetime(rng, opened),
        "报修内容": rng.choice(REPAIRS[kind]), "维修类别": kind if rng.random() < 0.92 else "",
        "有偿服务": "是" if paid else "否",
        "预约时间": rng.choice(["", "", f"{opened.month}月{opened.day}日下午", "周六全天"]),
        "维修人员": rng.choice(FITTERS) if done else "", "完成时间": spell_datetime(rng, done) if done else "",
        "费用": fee if done else "", "业主确认": rng.choice([room.owner.name, "已确认"]) if done else "",
        "回访时间": spell_datetime(rng, visit) if visit else "",
        "回访结果": rng.choices(["满意", "基本满意", "不满意"], [65, 27, 8])[0] if visit else "",
        "返修": ("是" if rng.random() < 0.06 else "否") if done else "",
    }


def write_repairs(dest: Path, rng: random.Random, rooms: list[Room], n_xlsx: int,
                  n_csv: int) -> dict[str, int]:
    """An XLSX batch under a title row, and a GB18030 CSV of 翠湖苑's repairs with their own numbers."""
    cuihu = [r for r in rooms if r.estate == CUIHU]
    cases = numbered_times(rng, n_xlsx + n_csv, "WX", *CASE_DAYS)
    rows = [repair_row(rng, rng.choice(cuihu if i < n_csv else rooms), t, number)
            for i, (t, number) in enumerate(cases)]
    wb = Workbook()
    ws = wb.active
    ws.title = "报修登记"
    ws.append(["业主报修登记表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(REPAIR_LABELS))
    ws.append(REPAIR_LABELS)
    as_numbers = 0
    for row in rows[n_csv:]:
        phone = str(row["联系电话"])
        if as_numbers < 2 and phone.isdigit() and phone.startswith("1"):  # Excel typed a phone in as a number
            row["联系电话"], as_numbers = int(phone), as_numbers + 1
        ws.append([row[label] for label in REPAIR_LABELS])
        cells = ws[ws.max_row]
        cells[4].number_format = "@" if isinstance(row["联系电话"], str) else "0"
        if isinstance(row["报修时间"], datetime):
            cells[5].number_format = "yyyy-mm-dd hh:mm"
    write(dest / "报修单.xlsx", xlsx_bytes(wb))
    body = [[f"{v:%Y-%m-%d %H:%M}" if isinstance(v, datetime) else str(v)
             for v in map(row.get, REPAIR_LABELS)] for row in rows[:n_csv]]
    write(dest / "报修单-翠湖苑.csv", csv_bytes([REPAIR_LABELS] + body, "gb18030"))
    return {"xlsx_rows": len(rows) - n_csv, "csv_rows": n_csv}


# ---------------------------------------------------------------- fee ledger and reminder log (SPEC §8)

PERIODS = [f"2026-{m:02d}" for m in range(1, 12)]
# Arrears stories that land each household in one §8 list as of 2026-12-01: first unpaid period, reminders.
DUNNING = [
    ("letter", "2026-04", [("2026-06-10", "电话", "电话催缴4-5月物业费，业主称近期缴纳")]),
    ("letter", "2026-06", [("2026-08-20", "短信", "短信提醒缴纳6-7月物业费")]),
    ("letter", "partial", [("2026-08-05", "上门", "上门催缴5-7月车位费差额")]),
    ("escalation", "2026-02", [("2026-04-08", "电话", "业主拒接"), ("2026-07-20", "函件", "EMS寄送催缴函")]),
    ("none", "2026-09", [("2026-10-15", "短信", "短信提醒缴纳9月物业费")]),
    ("reminder", "2026-10", []),
    ("reminder", "stale", [("2026-03-05", "电话", "电话催缴1-2月物业费，3月已缴清")]),
    ("none", "late", [("2026-09-10", "电话", "电话催缴7-8月物业费")]),
]


def write_ledger(dest: Path, rng: random.Random, rooms: list[Room], n_households: int) -> dict:
    households = rng.sample(rooms, n_households)
    ledger: list[list[object]] = []
    reminders: list[list[str]] = []
    lists: dict[str, list[str]] = {"letters": [], "reminders": [], "escalations": []}
    for h, room in enumerate(households):
        story = DUNNING[h] if h < len(DUNNING) else None
        rate = 4.5 if room.building == "商业街" else (2.2 if room.estate == JINDI else 1.8)
        items = [("物业服务费", round(room.area * rate, 2))]
        if rng.random() < 0.45 or story and story[1] == "partial":
            items.append(("车位管理费", 150.0))
        quarterly = rng.random() < 0.25
        for period in PERIODS:
            month = int(period[5:])
            for item, due in items:
                pay_month = (month - 1) // 3 * 3 + 1 if quarterly else month
                pay_day: date | None = date(2026, pay_month, rng.randint(3, 28))
                paid: object = due
                if story:
                    first = story[1]
                    if first == "partial" and item == "车位管理费" and "2026-05" <= period <= "2026-07":
                        paid = round(due / 2, 2)
                    elif first == "stale" and period in ("2026-01", "2026-02"):
                        pay_day = date(2026, 3, 20)
                    elif first == "stale" and period >= "2026-09" or first[:4] == "2026" and period >= first:
                        pay_day, paid = None, 0
                    elif first == "late" and "2026-07" <= period <= "2026-08":
                        pay_day = date(2026, 11, 25)
                ledger.append([room.estate, room.display(), item, period, due, paid, pay_day])
        if story:
            for day, way, note in story[2]:
                reminders.append([room.estate, room.key, rng.choice([day, day.replace("-", "/")]), way, note])
            if story[0] != "none":
                lists[story[0] + "s"].append(room.household)
    fix = ledger[-1]  # finance re-exports a corrected row: the later one replaces the earlier
    ledger[-1] = fix[:5] + [0, None]
    ledger.append(fix)
    wb = Workbook()
    ws = wb.active
    ws.title = "收费台账"
    ws.append(["项目", "房号", "费用项目", "所属期间", "应收金额", "实收金额", "收费日期"])
    for row in ledger:
        ws.append(row)
        ws.cell(ws.max_row, 7).number_format = "yyyy-mm-dd"
    write(dest / "收费台账.xlsx", xlsx_bytes(wb))
    write(dest / "催缴记录.csv", csv_bytes([["项目", "房号", "日期", "方式", "备注"]] + reminders, "utf-8"))
    return {"ledger_rows": len(ledger), "households": n_households, "reminder_rows": len(reminders),
            "dunning_as_of_2026-12-01": lists}


# ---------------------------------------------------------------- rosters and bad input

def write_rosters(dest: Path, rooms: list[Room]) -> list[Path]:
    header = ["项目", "楼栋", "单元", "房号", "建筑面积", "业主姓名"]
    wb = Workbook()
    ws = wb.active
    ws.title = "房屋清单"
    ws.append([f"{JINDI}房屋清单"])
    ws.merge_cells("A1:F1")
    ws.append(header)
    for room in rooms:
        if room.estate == JINDI:
            ws.append(room.roster_row())
    rows = [header] + [room.roster_row() for room in rooms if room.estate == CUIHU]
    return [write(dest / f"房屋清单-{JINDI}.xlsx", xlsx_bytes(wb)),
            write(dest / f"房屋清单-{CUIHU}.csv", csv_bytes(rows, "utf-8-sig"))]


def write_bad_inputs(folder: Path, rng: random.Random, rooms: list[Room]) -> tuple[list[dict], list[str]]:
    """Files hudang must quarantine (without crashing), and temp files it must leave alone."""
    jindi = [r for r in rooms if r.estate == JINDI and r.unit and r.owner.id_type == "身份证"]
    bad: list[dict] = []

    def registration(name: str, kind: str, field: str, problem: str, **changes: str) -> None:
        fields = registration_fields(rng, rng.choice(jindi), date(2026, 10, 8)) | {"证件类型": "身份证"} | changes
        pairs = present(rng, "registration", fields, vary=False)
        write_form(folder / name, rng, "registration", pairs, kind)
        bad.append({"file": f"{name}.{kind}", "field": field, "problem": problem})

    def complaint(name: str, kind: str, field: str, problem: str, **changes: str) -> None:
        fields, _ = complaint_case(rng, jindi, datetime(2026, 10, 3, 9, 30), f"TS-202610-{9901 + len(bad)}")
        pairs = present(rng, "complaint", fields | changes, vary=False)
        write_form(folder / name, rng, "complaint", pairs, kind)
        bad.append({"file": f"{name}.{kind}", "field": field, "problem": problem})

    good_id = make_id(rng, True)
    wrong = good_id[:17] + next(c for c in "0123456789X" if c != good_id[17])
    registration("住户登记表-证件号码校验位错误", "docx", "证件号码", "GB 11643 check digit wrong", 证件号码=wrong)
    registration("住户登记表-电话位数错误", "json", "联系电话", "12-digit phone", 联系电话="138567812345")
    registration("住户登记表-缺业主姓名", "docx", "业主姓名", "required field empty", 业主姓名="")
    registration("住户登记表-未知项目", "json", "项目", "unknown estate", 项目="银河湾小区")
    complaint("投诉处理单-回访早于完成", "pdf", "回访时间", "回访时间 before 完成时间",
              完成时间="2026-10-05 16:00", 回访时间="2026-10-04 10:00")
    complaint("投诉处理单-房号不在清单", "docx", "投诉人房号", "room not on roster", 投诉人房号="7栋9单元9999")
    complaint("投诉处理单-时间无效", "json", "投诉时间", "unparseable datetime", 投诉时间="2026-13-45 09:30")
    wb = Workbook()
    ws = wb.active
    ws.append(["项目", "房号", "业主姓名", "证件号码", "联系电话", "入住日期"])
    for room in jindi[1:4]:  # Excel keeps 15 significant digits of a number typed into a cell
        ws.append([JINDI, room.display(), room.owner.name, float(room.owner.id_no[:15] + "000"),
                   room.owner.phone, "2026-10-08"])
    write(folder / "住户登记批量-证件号码为数字.xlsx", xlsx_bytes(wb))
    bad.append({"file": "住户登记批量-证件号码为数字.xlsx", "field": "证件号码", "problem": "ID stored as Excel float"})
    fields = registration_fields(rng, jindi[5], date(2026, 9, 9))
    whole = docx_bytes("住户登记表", present(rng, "registration", fields, vary=False), 1)
    unreadable = [("空文件.docx", b"", "zero-byte file"),
                  ("截断的登记表.docx", whole[: len(whole) // 2], "truncated DOCX"),
                  ("扫描件.pdf", "这不是PDF，是一份误改扩展名的文本说明。\n".encode(), "text file named .pdf")]
    for name, data, problem in unreadable:
        write(folder / name, data)
        bad.append({"file": name, "field": None, "problem": problem})
    ignored = {"~$住户登记表.docx": b"\x06\xe5\xae\xa2\xe6\x9c\x8d" + b"\x00" * 155,
               ".~lock.住户登记表.docx#": ",客服中心,FRONTDESK,01.12.2026 09:00,file:///C:/Users/kf/;\n".encode()}
    for name, data in ignored.items():
        write(folder / name, data)
    return bad, list(ignored)


# ---------------------------------------------------------------- entry points

def make_samples(dest: Path, *, seed: int = 7, forms: int = 300) -> dict:
    """Write the full sample set into `dest` and return a summary of what hudang should make of it."""
    dest = Path(dest)
    rng = random.Random(seed)
    rooms = make_rooms(rng)
    rosters = write_rosters(dest, rooms)
    n_reg, n_comp = round(forms * 0.35), round(forms * 0.35)
    n_rep, n_csv = forms - n_reg - n_comp, max(3, forms // 50)
    n_versions = min(n_comp // 2, round(n_comp * 0.19))
    registrations = write_registrations(dest / "住户登记表", rng, rooms, n_reg)
    complaints, moved = write_complaints(dest / "投诉处理单", rng, rooms, n_comp, n_versions)
    repairs = write_repairs(dest, rng, rooms, n_rep, n_csv)
    fees = write_ledger(dest, rng, rooms, 60)
    bad, ignored = write_bad_inputs(dest / "有问题的表单", rng, rooms)
    return {
        "dest": str(dest), "seed": seed, "forms": forms,
        "rosters": {JINDI: sum(r.estate == JINDI for r in rooms),
                    CUIHU: sum(r.estate == CUIHU for r in rooms),
                    "shops": sum(r.building == "商业街" for r in rooms)},
        "住户登记表": registrations, "投诉处理单": complaints,
        "报修单.xlsx": {"rows": repairs["xlsx_rows"]}, "报修单-翠湖苑.csv": {"rows": repairs["csv_rows"]},
        "收费台账.xlsx": {"rows": fees["ledger_rows"], "households": fees["households"]},
        "催缴记录.csv": {"rows": fees["reminder_rows"]},
        "有问题的表单": {"bad": len(bad), "ignored": len(ignored)},
        "expected": {
            "good_records": n_reg + n_comp + n_rep + n_csv,
            "records": {"registration": n_reg, "complaint": n_comp, "repair": n_rep + n_csv},
            "filed_files": n_reg + n_comp + complaints["versions"] + 2,
            "new_versions": complaints["versions"], "moves": moved,
            "duplicates": complaints["duplicates"], "public_complaints": complaints["public"],
            "imported": [p.name for p in rosters] + ["收费台账.xlsx", "催缴记录.csv"],
            "quarantined": bad, "ignored": ignored,
            "dunning_as_of_2026-12-01": fees["dunning_as_of_2026-12-01"],
        },
    }


def make_bench_corpus(dest: Path, n: int, seed: int = 11) -> list[Path]:
    """n single forms (DOCX, JSON, AcroForm PDF, a third each) plus their rosters.

    Returns every file written in ingest order: the two rosters first, then the forms."""
    dest = Path(dest)
    rng = random.Random(seed)
    rooms = make_rooms(rng)
    paths = write_rosters(dest, rooms)
    seq: dict[str, int] = {}
    for i in range(n):
        kind = ("docx", "json", "pdf")[i % 3]
        if rng.random() < 0.5:
            fields = registration_fields(rng, rng.choice(rooms), rand_time(rng, *MOVE_IN).date())
            form = "registration"
        else:
            opened = rand_time(rng, *CASE_DAYS)
            seq[f"{opened:%Y%m}"] = seq.get(f"{opened:%Y%m}", 0) + 1
            fields, _ = complaint_case(rng, rooms, opened, f"TS-{opened:%Y%m}-{seq[f'{opened:%Y%m}']:04d}")
            form = "complaint"
            if rng.random() < 0.3:
                fields = as_opened(fields)
        pairs = present(rng, form, fields, vary=False)
        paths.append(write_form(dest / FORM_NAMES[form] / f"{i + 1:05d}", rng, form, pairs, kind))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write hudang's sample data set into DEST.")
    parser.add_argument("dest", type=Path)
    parser.add_argument("--forms", type=int, default=300, help="number of forms (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    args = parser.parse_args(argv)
    summary = make_samples(args.dest, seed=args.seed, forms=args.forms)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
