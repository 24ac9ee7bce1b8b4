"""Hostile intake files for an attack run (issue 17, "attack it again"): `python bench/attack_files.py DIR`.

Writes each file the attack table in bench/README.md lists into DIR, beside a few good complaint forms, so
`hudang ingest DIR` (or a copy dropped into the intake under `hudang watch`) shows each bad file's outcome
next to the good ones. Big inputs are written sparsely or compressed so the folder stays small on disk.
Special files (FIFO, device, loops, read-only mounts) need root and are made by `--special`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import struct
import sys
import zipfile
import zlib
from pathlib import Path

GOOD = {"编号": "TS-GOOD-{n}", "项目": "金第花园", "投诉人": "张三", "投诉时间": "2026-11-03 09:30",
        "投诉人房号": "3-2-1201", "联系电话": "13912345678", "接报人": "李客服", "严重程度": "重要",
        "投诉内容": "楼上卫生间渗漏水，天花板发霉"}
CSV_HEADER = "编号,项目,投诉人,投诉时间,投诉人房号,联系电话,接报人,严重程度,投诉内容\n"


def _row(n: str) -> str:
    return f"TS-{n},金第花园,张三,2026-11-03 09:30,3-2-1201,13912345678,李客服,重要,楼道灯坏了\n"


def good(folder: Path, count: int = 3) -> None:
    for n in range(count):
        fields = {k: v.format(n=n) for k, v in GOOD.items()}
        (folder / f"good-{n}.json").write_text(json.dumps({"表单": "投诉处理单", "字段": fields}, ensure_ascii=False),
                                               encoding="utf-8")


def _docx(path: Path, document_xml: bytes, extra: dict[str, bytes] | None = None,
          level: int = zipfile.ZIP_DEFLATED) -> None:
    """A minimal DOCX (content types, rels, document.xml) around a given document part."""
    types = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
             b'"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
             b'document.main+xml"/></Types>')
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", level) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", document_xml)
        for name, data in (extra or {}).items():
            z.writestr(name, data)


W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _para(text: str) -> bytes:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode()


def docx_files(folder: Path) -> None:
    body = b"".join(_para(f"{k}：{v.format(n='X')}") for k, v in GOOD.items())
    head = b'<?xml version="1.0" encoding="UTF-8"?><w:document ' + W + b"><w:body>" + _para("投诉处理单")
    # a zip bomb at ~1000:1: 200 MB of one repeated paragraph run in a 200 KB part
    bomb = head + body + _para("重复" * 10) * 3_000_000 + b"</w:body></w:document>"
    _docx(folder / "炸弹-1000比1.docx", bomb)
    # external entities and a DTD
    xxe = (b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
           b'<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;'
           b'&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>'
           b'<w:document ' + W + b"><w:body>" + _para("投诉处理单") + body
           + b"<w:p><w:r><w:t>&xxe;&e;&e;&e;</w:t></w:r></w:p></w:body></w:document>")
    _docx(folder / "外部实体.docx", xxe)
    # 100k tiny paragraphs
    _docx(folder / "十万段落.docx", head + body + _para("x") * 100_000 + b"</w:body></w:document>")
    # a 50k-row table
    row = b"<w:tr><w:tc><w:p><w:r><w:t>a</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr>"
    _docx(folder / "五万行表格.docx", head + body + b"<w:tbl>" + row * 50_000 + b"</w:tbl></w:body></w:document>")


def _xlsx(path: Path, sheet: bytes, styles: bytes | None = None) -> None:
    types = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
             b'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
             b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
             b'officedocument.spreadsheetml.worksheet+xml"/>'
             + (b'<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                b'spreadsheetml.styles+xml"/>' if styles else b"") + b"</Types>")
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
          b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
          b'name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wbrels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
              b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
              b'2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
              + (b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 b'styles" Target="styles.xml"/>' if styles else b"") + b"</Relationships>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels", wbrels)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        if styles:
            z.writestr("xl/styles.xml", styles)


def _inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def xlsx_files(folder: Path) -> None:
    cols = "ABCDEFGHI"
    header = b'<row r="1">' + b"".join(_inline(f"{c}1", h) for c, h in zip(cols, CSV_HEADER.strip().split(","), strict=True)) + b"</row>"
    data = b'<row r="2">' + b"".join(_inline(f"{c}2", v) for c, v in zip(cols, _row("X1").strip().split(","), strict=True)) + b"</row>"
    ns = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    # a dimension claiming the whole sheet
    _xlsx(folder / "巨大dimension.xlsx", ns + b'<dimension ref="A1:XFD1048576"/><sheetData>' + header + data
          + b"</sheetData></worksheet>")
    # styles.xml of ~100 MB decompressed
    styles = (b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1">'
              b'<numFmt numFmtId="164" formatCode="General"/></numFmts><fonts count="1"><font/></fonts><fills count="1">'
              b'<fill/></fills><borders count="1"><border/></borders><cellXfs count="1000000">'
              + b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>' * 2_000_000 + b"</cellXfs></styleSheet>")
    _xlsx(folder / "样式100MB.xlsx", ns + b"<sheetData>" + header + data + b"</sheetData></worksheet>", styles)
    # a merged-cell storm: 200k merged ranges
    merges = b"".join(f'<mergeCell ref="A{r}:XFD{r}"/>'.encode() for r in range(10, 200_010))
    _xlsx(folder / "合并单元格风暴.xlsx", ns + b"<sheetData>" + header + data + b'</sheetData><mergeCells count="200000">'
          + merges + b"</mergeCells></worksheet>")


def _png(path: Path, width: int, height: int) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    # one row of real pixels is enough for a header that declares them all; the rest is a zlib stream of zeros
    comp = zlib.compressobj(9)
    raw = b"".join(comp.compress(b"\0" * (width + 1)) for _ in range(min(height, 200)))
    raw += comp.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def image_files(folder: Path) -> None:
    from PIL import Image
    _png(folder / "像素炸弹-60000x60000.png", 60000, 60000)
    # JPEG: a real small JPEG whose SOF0 is patched to 60000 x 60000
    buf = io.BytesIO()
    Image.new("L", (16, 16), 255).save(buf, "JPEG")
    jpg = bytearray(buf.getvalue())
    sof = jpg.index(b"\xff\xc0")
    jpg[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    (folder / "像素炸弹-60000x60000.jpg").write_bytes(bytes(jpg))
    # TIFF: a small strip TIFF whose ImageWidth/ImageLength tags say 60000 x 60000
    buf = io.BytesIO()
    Image.new("L", (16, 16), 255).save(buf, "TIFF")
    tif = bytearray(buf.getvalue())
    count = struct.unpack_from("<H", tif, struct.unpack_from("<I", tif, 4)[0])[0]
    ifd = struct.unpack_from("<I", tif, 4)[0]
    for i in range(count):
        at = ifd + 2 + 12 * i
        tag, typ = struct.unpack_from("<HH", tif, at)
        if tag in (256, 257):
            if typ == 3:
                struct.pack_into("<H", tif, at + 8, 60000)
            else:
                struct.pack_into("<I", tif, at + 8, 60000)
    (folder / "像素炸弹-60000x60000.tif").write_bytes(bytes(tif))
    # a TIFF of 2000 frames
    frames = [Image.new("1", (64, 64), 1) for _ in range(2000)]
    frames[0].save(folder / "两千帧.tif", save_all=True, append_images=frames[1:], compression="group4")


def pdf_files(folder: Path) -> None:
    import pikepdf
    # an xref whose /Prev points at itself, and an object stream holding a reference cycle
    loop = (b"%PDF-1.5\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R>>endobj\n"
            b"4 0 obj<</Length 5 0 R>>stream\nBT ET\nendstream endobj\n5 0 obj 6 0 R endobj\n6 0 obj 5 0 R endobj\n")
    xref_at = len(loop)
    loop += (b"xref\n0 7\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % 9 for _ in range(6))
             + b"trailer<</Size 7/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (xref_at, xref_at))
    (folder / "xref循环.pdf").write_bytes(loop)
    # pages whose /Parent chain is a cycle (a page tree that never ends)
    cyc = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
           b"3 0 obj<</Type/Pages/Kids[2 0 R]/Count 1/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    (folder / "页树循环.pdf").write_bytes(cyc)
    # 10,000 tiny pages
    pdf = pikepdf.new()
    for _ in range(10_000):
        pdf.add_blank_page(page_size=(10, 10))
    pdf.save(folder / "一万页.pdf")
    # encrypted with a user password
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(folder / "加密.pdf", encryption=pikepdf.Encryption(user="secret", owner="secret"))


def encrypted_office(folder: Path) -> None:
    """An encrypted DOCX/XLSX is an OLE compound file (EncryptionInfo + EncryptedPackage), not a zip."""
    head = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504
    for name in ("加密.docx", "加密.xlsx"):
        (folder / name).write_bytes(head + b"EncryptionInfo EncryptedPackage" + b"\0" * 4096)


def text_files(folder: Path) -> None:
    deep = '{"表单":"投诉处理单","字段":' + "[" * 100_000 + "]" * 100_000 + "}"
    (folder / "嵌套十万层.json").write_text(deep, encoding="utf-8")
    nul = {"表单": "投诉处理单", "字段": {**{k: v.format(n="NUL") for k, v in GOOD.items()}, "投诉内容": "漏水\u0000天花板"}}
    (folder / "含NUL转义.json").write_text(json.dumps(nul, ensure_ascii=False), encoding="utf-8")
    (folder / "含NUL字节.json").write_bytes(json.dumps(nul, ensure_ascii=False).encode().replace(b"\\u0000", b"\0"))
    (folder / "含NUL.csv").write_bytes((CSV_HEADER + _row("N1") + _row("N2").replace("楼道灯", "楼道\0灯")).encode())
    (folder / "投诉UTF16.csv").write_bytes((CSV_HEADER + _row("U16")).encode("utf-16"))
    (folder / "投诉GB18030.csv").write_bytes(b"\x84\x31\x95\x33" + (CSV_HEADER + _row("G18")).encode("gb18030"))
    with open(folder / "单行45MB.csv", "wb") as f:   # under the 50 MB size limit: read, not refused
        f.write(CSV_HEADER.encode())
        f.write(b"TS-LONG," + b"x" * 45_000_000)
    with open(folder / "稀疏1GB.csv", "wb") as f:     # over the size limit: refused without reading or copying
        f.write(CSV_HEADER.encode())
        f.truncate(1 << 30)
    (folder / "空文件.json").write_bytes(b"")


def names(folder: Path) -> None:
    form = json.dumps({"表单": "投诉处理单", "字段": {k: v.format(n="NAME") for k, v in GOOD.items()}}, ensure_ascii=False)
    long_name = ("长" * 83 + ".json")        # 83 × 3 bytes + 5 = 254 bytes
    (folder / long_name).write_text(form.replace("TS-GOOD-NAME", "TS-LONG-NAME"), encoding="utf-8")
    for n, odd in enumerate(("回车\r换行.json", "制表\t符.json", "\x1b[31m红色\x1b[0m.json", "反向\u202egnp.json")):
        (folder / odd).write_text(form.replace("TS-GOOD-NAME", f"TS-ODD-{n}"), encoding="utf-8")
    # a path longer than PATH_MAX (4096): made one folder at a time, relative to the one before
    if (folder / "深").exists():
        return
    fd = os.open(folder, os.O_RDONLY)
    depth = len(os.fsencode(folder))
    for part in ["深"] + ["层" * 80] * 18:
        os.mkdir(part, dir_fd=fd)
        fd_next = os.open(part, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd, depth = fd_next, depth + len(part.encode()) + 1
    leaf = os.open("深处.json", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(leaf, form.replace("TS-GOOD-NAME", "TS-DEEP").encode())
    os.close(leaf)
    os.close(fd)


def special(folder: Path) -> None:
    os.mkfifo(folder / "管道.json")
    os.mknod(folder / "设备.json", 0o600 | 0o020000, os.makedev(1, 3))   # like /dev/null
    (folder / "环").mkdir()
    os.symlink("..", folder / "环" / "上一层")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--special", action="store_true", help="also a FIFO, a device file and a symlink loop (root)")
    parser.add_argument("--only", default="", help="comma-separated groups: text,docx,xlsx,images,pdf,office,names")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    good(args.folder)
    groups = {"text": text_files, "docx": docx_files, "xlsx": xlsx_files, "images": image_files, "pdf": pdf_files,
              "office": encrypted_office, "names": names}
    for name, make in groups.items():
        if not args.only or name in args.only.split(","):
            make(args.folder)
    if args.special:
        special(args.folder)
    print(f"{len(os.listdir(args.folder))} entries in {args.folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
