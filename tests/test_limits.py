"""Every read is bounded by a limit from config.toml: scan pages and pixels, sheet cells, columns and shared
strings, CSV cell length, and a size above which a file is reported but never copied (issue 17)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import openpyxl
from pypdf import PdfWriter

from hudang.forms.scans import MIN_DPI, page_dpi

from builders import complaint, docx_form, json_form, raw_pdf, registration
from conftest import HUDANG, Hudang

GB = 1024 * 1024  # ru_maxrss is in KiB on Linux


def _config(hudang: Hudang, **limits: object) -> None:
    config = hudang.home / "config.toml"
    text = config.read_text(encoding="utf-8")
    for key, value in limits.items():
        lines = [line for line in text.splitlines() if line.startswith(f"{key} =")]
        assert lines, key
        text = text.replace(lines[0], f"{key} = {value}")
    config.write_text(text, encoding="utf-8")


def _pdf(path: Path, pages: int, size_pt: float = 595) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=size_pt, height=size_pt)
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def _ingest_measured(hudang: Hudang, *args: str | Path, env: dict[str, str] | None = None) -> tuple[dict, int]:
    """`hudang ingest --json` run under a small parent that reports the largest RSS of its children (KiB)."""
    probe = ("import json, resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
             "print(json.dumps({'code': p.returncode, 'out': p.stdout, 'err': p.stderr,"
             "'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")
    proc = subprocess.run([sys.executable, "-c", probe, *HUDANG, "ingest", *map(str, args), "--json"],
                          capture_output=True, text=True, timeout=600, env={**hudang.env, **(env or {})})
    report = json.loads(proc.stdout)
    assert report["code"] == 0, report
    return json.loads(report["out"]), report["rss"]


def _pdf_with_image(path: Path, side: int) -> Path:
    """An A4 page drawing one grey image of side × side pixels, all white, deflated (400 MB → 400 KB at 20000)."""
    packer = zlib.compressobj(1)
    row = b"\xff" * side
    stream = b"".join(packer.compress(row * 1000) for _ in range(side // 1000)) + packer.flush()
    return raw_pdf(path, b"/MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R",
                   b"<< /Length 29 >>\nstream\nq 595 0 0 842 0 0 cm /Im1 Do Q\nendstream",
                   b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
                   b" /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
                   % (side, side, len(stream), stream))


def test_an_image_of_too_many_pixels_inside_a_pdf_is_refused_before_it_is_rendered(
        hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    """A 400 KB PDF whose A4 page draws a 20000 × 20000 image (at 2,400 dpi): refused from the image's declared
    size in Chinese (OCRmyPDF rasterised the page at the image's resolution and failed in English after 1.5 min),
    the form beside it filed."""
    hudang.ingest(roster_csv)
    batch = tmp_path / "batch"
    batch.mkdir()
    json_form(batch / "投诉.json", "投诉处理单", complaint("TS-1"))
    _pdf_with_image(batch / "像素炸弹.pdf", 20000)
    assert (batch / "像素炸弹.pdf").stat().st_size < 2_000_000
    got = {Path(o["source"]).name: o for o in hudang.ingest(batch)}
    assert got["投诉.json"]["status"] == "filed"
    bomb = got["像素炸弹.pdf"]
    assert (bomb["status"], bomb["errors"][0]["code"]) == ("quarantined", "page_too_large"), bomb
    assert "20000×20000 像素" in bomb["errors"][0]["message"], bomb


def test_huge_scans_get_an_outcome_and_the_good_files_beside_them_file(hudang: Hudang, roster_csv: Path,
                                                                         tmp_path: Path) -> None:
    """A 600-page blank PDF (over a page limit of 500) and one 200-inch page, in a batch of good files:
    the good ones file, these are quarantined with their reason, and no process grows past a few hundred MB
    (every page at once was > 4 GB)."""
    _config(hudang, scan_pages=500)
    hudang.ingest(roster_csv)
    batch = tmp_path / "batch"
    batch.mkdir()
    json_form(batch / "投诉.json", "投诉处理单", complaint("TS-1"))
    docx_form(batch / "登记.docx", "住户登记表", registration("1-1-301"))
    _pdf(batch / "六百页.pdf", 600)
    _pdf(batch / "巨幅.pdf", 1, size_pt=14400)      # 200 × 200 inches, the largest page PDF allows
    assert (batch / "巨幅.pdf").stat().st_size < 1000
    result, rss = _ingest_measured(hudang, batch)
    got = {Path(o["source"]).name: o for o in result["outcomes"]}
    assert got["投诉.json"]["status"] == "filed" and got["登记.docx"]["status"] == "filed"
    assert got["六百页.pdf"]["status"] == "quarantined"
    assert got["六百页.pdf"]["errors"][0]["code"] == "too_many_pages"
    assert "600 页" in got["六百页.pdf"]["errors"][0]["message"] and "500" in got["六百页.pdf"]["errors"][0]["message"]
    assert got["巨幅.pdf"]["status"] == "quarantined"
    assert got["巨幅.pdf"]["errors"][0]["code"] == "page_too_large"
    assert "200×200 英寸" in got["巨幅.pdf"]["errors"][0]["message"]
    assert rss < 1 * GB, rss


def test_a_long_scan_within_the_limit_is_rendered_page_by_page(hudang: Hudang, tmp_path: Path) -> None:
    """600 pages under the default limit (1000): every page is rendered, one at a time, and the scan waits
    for OCR (hidden here); memory stays that of one page. The pages are 280 pt squares (a 600-page A4 batch
    takes a minute to render for the same finding): 1.0 MB each at 150 dpi, 600 MB had they been kept."""
    scan = _pdf(tmp_path / "批量扫描.pdf", 600, size_pt=280)
    no_tools = tmp_path / "bin"
    no_tools.mkdir()
    result, rss = _ingest_measured(hudang, scan, env={"PATH": str(no_tools)})
    [out] = result["outcomes"]
    assert out["status"] == "unsorted" and out["state"] == "ocr_pending", out
    assert rss < 0.4 * GB, rss


def test_a_large_page_is_rendered_at_a_lower_dpi_within_the_pixel_limit() -> None:
    a4 = (595.0, 842.0)
    assert page_dpi(*a4, 150, 40_000_000) == 150
    poster = 3600.0   # 50 × 50 inches: 56 MP at 150 dpi
    dpi = page_dpi(poster, poster, 150, 40_000_000)
    assert dpi is not None and MIN_DPI <= dpi < 150 and (poster / 72 * dpi) ** 2 <= 40_000_000
    assert page_dpi(14400.0, 14400.0, 150, 40_000_000) is None


def _xfd_sheet(path: Path, rows: int) -> Path:
    """A sheet whose rows each have a value in column A and in column XFD (16,384), with a dimension that
    claims only A1:B2 (a writer may lie), written as raw XML so it is small."""
    cells = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x{r}</t></is></c>'
                    f'<c r="XFD{r}" t="inlineStr"><is><t>y</t></is></c></row>' for r in range(1, rows + 1))
    _package(path, f'<dimension ref="A1:B2"/><sheetData>{cells}</sheetData>', shared=None)
    return path


def _package(path: Path, sheet_body: str, shared: str | None) -> None:
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
             '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
             'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxml'
             'formats-officedocument.spreadsheetml.worksheet+xml"/>'
             + ('<Override PartName="/xl/strings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                'spreadsheetml.sharedStrings+xml"/>' if shared is not None else "") + '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
          '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
          '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wb_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package'
               '/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
               '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
               + ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                  'sharedStrings" Target="strings.xml"/>' if shared is not None else "") + '</Relationships>')
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
             f'2006/main">{sheet_body}</worksheet>')
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.xml", wb)
        zf.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            zf.writestr("xl/strings.xml", shared)


def test_a_sheet_touching_column_xfd_is_refused_quickly_naming_the_limit(hudang: Hudang, tmp_path: Path) -> None:
    sheet = _xfd_sheet(tmp_path / "宽表.xlsx", 3000)
    good = json_form(tmp_path / "投诉.json", "投诉处理单", complaint("TS-2"))
    started = time.monotonic()
    outcomes = {Path(o["source"]).name: o for o in hudang.ingest(sheet, good)}
    elapsed = time.monotonic() - started
    assert outcomes["投诉.json"]["status"] in ("filed", "quarantined")  # no roster: it may lack its household
    out = outcomes["宽表.xlsx"]
    assert out["status"] == "quarantined" and out["errors"][0]["code"] == "too_many_columns", out
    assert "1000 列" in out["errors"][0]["message"] and "row_columns" in out["errors"][0]["message"]
    print(f"XFD sheet refused in {elapsed:.1f} s")   # measured, not asserted (shared machines)


def test_shared_strings_are_counted_before_the_workbook_is_opened(hudang: Hudang, tmp_path: Path) -> None:
    _config(hudang, shared_strings=50000)
    strings = "".join(f"<si><t>{i}</t></si>" for i in range(60000))
    shared = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
              f'2006/main">{strings}</sst>')   # no count attributes: the <si> are counted as the part streams
    path = tmp_path / "字符串.xlsx"
    _package(path, '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>', shared)
    [out] = hudang.ingest(path)
    assert out["status"] == "quarantined" and out["errors"][0]["code"] == "too_many_strings", out
    assert "50000" in out["errors"][0]["message"] and "shared_strings" in out["errors"][0]["message"]


def test_sheet_cells_are_bounded(hudang: Hudang, tmp_path: Path) -> None:
    _config(hudang, sheet_cells=20000)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["项目", "楼栋", "单元", "房号", "业主姓名"])
    for n in range(5000):
        sheet.append(["金第花园", "1栋", "1单元", str(100 + n), f"业主{n}"])
    workbook.save(tmp_path / "清单.xlsx")
    [out] = hudang.ingest(tmp_path / "清单.xlsx")   # refused by the cells counted as read
    assert out["status"] == "quarantined" and out["errors"][0]["code"] == "too_many_cells", out
    assert "20000" in out["errors"][0]["message"]
    def row(r: int, values: list[str]) -> str:
        cells = (f'<c r="{c}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in zip("ABCDE", values, strict=True))
        return f'<row r="{r}">{"".join(cells)}</row>'

    rows = [row(1, ["项目", "楼栋", "单元", "房号", "业主姓名"])]
    rows += [row(r, ["金第花园", "1栋", "1单元", str(r), "某"]) for r in range(2, 5002)]
    _package(tmp_path / "谎报尺寸.xlsx", f'<dimension ref="A1:B2"/><sheetData>{"".join(rows)}</sheetData>', shared=None)
    [out] = hudang.ingest(tmp_path / "谎报尺寸.xlsx")   # a dimension that lies: the cells are counted as read
    assert out["status"] == "quarantined" and out["errors"][0]["code"] == "too_many_cells", out


def _roster_row(r: int, values: list[str]) -> str:
    cells = (f'<c r="{c}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in zip("ABCDE", values, strict=True))
    return f'<row r="{r}">{"".join(cells)}</row>'


def test_the_cell_limit_counts_the_cells_a_sheet_holds_not_its_declared_or_padded_size(
        hudang: Hudang, tmp_path: Path) -> None:
    """A sheet of 2,000 rows × 5 columns (10,000 cells) is read under a limit of 20,000 cells — rows are not
    counted at the column limit's width — and a sheet whose <dimension> claims A1:XFD1048576 but holds three
    rows is read as the three rows it holds."""
    _config(hudang, sheet_cells=20000)
    rows = [_roster_row(1, ["项目", "楼栋", "单元", "房号", "业主姓名"])]
    rows += [_roster_row(r, ["金第花园", "1栋", "1单元", str(r), "某"]) for r in range(2, 2002)]
    _package(tmp_path / "两千行.xlsx", f'<sheetData>{"".join(rows)}</sheetData>', shared=None)
    [out] = hudang.ingest(tmp_path / "两千行.xlsx")
    assert out["status"] == "imported" and out["rows"] == 2000, out
    rows = [_roster_row(1, ["项目", "楼栋", "单元", "房号", "业主姓名"])]
    rows += [_roster_row(r, ["银河湾", "2栋", "1单元", str(100 + r), "某"]) for r in range(2, 5)]
    _package(tmp_path / "巨大尺寸.xlsx", f'<dimension ref="A1:XFD1048576"/><sheetData>{"".join(rows)}</sheetData>',
             shared=None)
    [out] = hudang.ingest(tmp_path / "巨大尺寸.xlsx")
    assert out["status"] == "imported" and out["rows"] == 3, out


def test_a_csv_cell_of_400k_characters_reads_and_one_past_the_limit_is_named(hudang: Hudang, tmp_path: Path) -> None:
    rows = ["项目,楼栋,单元,房号,业主姓名,备注", "金第花园,1栋,1单元,101,张三," + "长" * 400_000,
            "金第花园,1栋,1单元,102,李四,"]
    path = tmp_path / "房屋清单.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    [out] = hudang.ingest(path)
    assert out["status"] == "imported", out
    _config(hudang, cell_chars=100000)
    path2 = tmp_path / "房屋清单2.csv"
    path2.write_text("\n".join(rows).replace("101", "201").replace("102", "202") + "\n", encoding="utf-8")
    [out] = hudang.ingest(path2)
    assert out["status"] == "quarantined" and out["errors"][0]["code"] == "cell_too_long", out
    assert "第 2 行" in out["errors"][0]["message"] and "100000" in out["errors"][0]["message"]
    assert "引号是否成对" not in out["errors"][0]["message"]


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.seek(size - 1)
        fh.write(b"\0")
    return path


def test_a_file_over_the_size_limit_is_reported_not_copied_and_once(hudang: Hudang, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    big = _sparse(folder / "巨大.json", 2 * 1024 ** 3)
    before = os.statvfs(hudang.home).f_bfree
    [out] = hudang.ingest(folder)
    assert out["status"] == "quarantined" and out["errors"][0]["code"] == "too_large"
    [entry] = hudang.json("quarantine", "list")["entries"]
    assert entry["file"] is None and entry["sha256"] is None
    assert entry["original"] == {"path": str(big), "size": 2 * 1024 ** 3, "mtime": round(big.stat().st_mtime, 3)}
    assert [p.name for p in Path(entry["path"]).iterdir()] and all(
        p.stat().st_size < 100_000 for p in Path(entry["path"]).iterdir())
    assert "未复制" in (Path(entry["path"]) / "报告.txt").read_text(encoding="utf-8")
    assert before - os.statvfs(hudang.home).f_bfree < 10_000   # blocks: nothing near 2 GB was written
    [again] = hudang.ingest(folder)
    assert again["quarantine_id"] == out["quarantine_id"]
    assert len(hudang.json("quarantine", "list")["entries"]) == 1
    os.utime(big, (time.time() + 5, time.time() + 5))     # changed since: a new entry
    hudang.ingest(folder)
    assert len(hudang.json("quarantine", "list")["entries"]) == 2


def test_the_service_moves_a_too_large_file_to_done_without_copying_it(hudang: Hudang, tmp_path: Path) -> None:
    config = hudang.home / "config.toml"
    text = config.read_text(encoding="utf-8").replace("stable_seconds = 2 ", "stable_seconds = 0.4 ")
    text = text.replace('after_filing = "move"', 'after_filing = "remove"')   # not for a file never copied
    config.write_text(text.replace("rescan_seconds = 60 ", "rescan_seconds = 1 "), encoding="utf-8")
    proc = subprocess.Popen([*HUDANG, "watch"], env=hudang.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not hudang.json("status")["running"] and time.monotonic() < deadline:
            time.sleep(0.2)
        _sparse(hudang.home / "intake" / "巨大.pdf", 2 * 1024 ** 3)
        deadline = time.monotonic() + 60
        while not list((hudang.home / "intake" / ".done").rglob("巨大.pdf")) and time.monotonic() < deadline:
            time.sleep(0.2)
        [moved] = list((hudang.home / "intake" / ".done").rglob("巨大.pdf"))
        assert moved.stat().st_size == 2 * 1024 ** 3
        assert not (hudang.home / "intake" / "巨大.pdf").exists()
        [entry] = hudang.json("quarantine", "list")["entries"]
        assert entry["file"] is None and entry["original"]["path"] == str(hudang.home / "intake" / "巨大.pdf")
        assert entry["problems"][0]["code"] == "too_large"
        assert sum(p.stat().st_blocks for p in Path(entry["path"]).rglob("*")) < 1000
    finally:
        proc.terminate()
        proc.wait(timeout=60)
