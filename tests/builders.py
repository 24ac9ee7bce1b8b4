"""Real intake files for tests: DOCX made with python-docx, JSON, CSV."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import docx
import pytest


def write_lines(path: Path, lines: list[str]) -> Path:
    """A CSV (or any text) as an office saves it: UTF-8 with BOM, one line per string."""
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def roster_lines(estate: str = "金第花园", rooms: tuple[str, ...] = ("1201", "301")) -> list[str]:
    """A roster's rows: 3 buildings × 2 units × ``rooms``, each owner named 业主<building><unit><room>."""
    return ["项目,楼栋,单元,房号,建筑面积,业主姓名"] + [f"{estate},{b}栋,{u}单元,{r},98.5,业主{b}{u}{r}"
                                           for b in (1, 2, 3) for u in (1, 2) for r in rooms]


def valid_id(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights, strict=True)) % 11]
    return body17 + check


IDS = [valid_id(b) for b in ("11010519491231002", "11010119900307123", "34052119880715001", "44030519951224002")]


def docx_form(path: Path, title: str, pairs: dict[str, str], *, columns: int = 2) -> Path:
    """A form as offices make them: a title paragraph and a label|value table (2 or 4 columns)."""
    doc = docx.Document()
    doc.add_paragraph(title)
    items = list(pairs.items())
    per_row = columns // 2
    table = doc.add_table(rows=(len(items) + per_row - 1) // per_row, cols=columns)
    for i, (label, value) in enumerate(items):
        row = table.rows[i // per_row]
        row.cells[(i % per_row) * 2].text = label
        row.cells[(i % per_row) * 2 + 1].text = value
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def json_form(path: Path, form: str, fields: dict[str, str], *, english: bool = False) -> Path:
    data = {"form": form, "fields": fields} if english else {"表单": form, "字段": fields}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def raw_pdf(path: Path, page: bytes, *extra: bytes) -> Path:
    """A one-page PDF written byte by byte: ``page`` is the page dictionary's body after its /Parent
    (objects 4, 5 … are ``extra``), for files no PDF library would write (bombs, odd streams)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R " + page + b" >>", *extra]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(out)
    return path


def registration(room: str = "3栋2单元1201", name: str = "王建国", **extra: str) -> dict[str, str]:
    return {"项目": "金第花园", "房号": room, "业主姓名": name, "证件号码": IDS[1], "联系电话": "13812345678",
            "入住日期": "2026-03-05", **extra}


def complaint(number: str, room: str = "3-2-1201", **extra: str) -> dict[str, str]:
    return {"编号": number, "项目": "金第花园", "投诉人": "张三", "投诉时间": "2026-11-03 09:30",
            "投诉人房号": room, "联系电话": "13912345678", "接报人": "李客服", "严重程度": "重要",
            "投诉内容": "楼上卫生间渗漏水，天花板发霉", **extra}


def wait_until(cond: Callable[[], object], timeout: float = 60, what: str = "") -> None:
    """Poll for a condition a running service brings about (never a fixed sleep before an assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or cond}")


def soffice_convert(source: Path, target: str, outdir: Path) -> Path:
    """Make a legacy file the way an office PC would, with LibreOffice itself."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={(outdir / 'profile').as_uri()}",
                    "--convert-to", target, "--outdir", str(outdir), str(source)], check=True,
                   capture_output=True, timeout=120)
    return outdir / f"{source.stem}.{target}"
