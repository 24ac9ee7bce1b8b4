"""What a file really is, judged by its bytes rather than its name, and whether a ZIP is safe to open.

Archivists rename files freely (a PDF saved as `.docx`, an `.xls` that is really `.xlsx`), so the
dispatcher trusts content; the extension only decides between plain text and CSV.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from hudang.errors import UnreadableFile
from hudang.forms.readers.model import ReadLimits

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEAD = 64 * 1024
_MAX_MEMBERS = 10_000
_RATIO_FLOOR = 1024 * 1024  # small, very repetitive XML parts compress well and are harmless
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"BM", b"GIF87a", b"GIF89a")
# A scan or photo arrives as one of these (a phone's picture sent on through WeChat is often WebP).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".webp"})
_WORD_CT = b"wordprocessingml"
_SHEET_CT = b"spreadsheetml"

# What each type is called in messages to the archivist.
TYPE_NAMES = {
    "docx": "Word 文档（.docx）", "xlsx": "Excel 表格（.xlsx）", "pdf": "PDF 文件",
    "ole": "旧版 Office 文件（.doc/.xls）", "json": "JSON 文件", "csv": "CSV 表格", "text": "纯文本文件",
    "image": "图片", "empty": "空文件", "zip": "ZIP 压缩包", "rtf": "RTF 文档", "html": "网页（HTML）",
    "unknown": "无法识别的格式",
}


def detect_type(path: Path) -> str:
    """Return one of docx, xlsx, pdf, ole, json, csv, text, image, empty, zip, rtf, html, unknown."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    if not head:
        return "empty"
    if b"%PDF" in head[:1024]:
        return "pdf"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_type(path, head)
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    text = decode_text(head, partial=len(head) == _HEAD)
    if text is None:
        return "unknown"
    return _text_type(text, path.suffix.lower(), complete=len(head) < _HEAD)


def decode_text(data: bytes, *, partial: bool = False) -> str | None:
    """Decode UTF-8 (with or without BOM) or GB18030; None for binary data."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    for encoding in ("utf-8-sig", "gb18030", "utf-16"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        # A head cut mid-character must not look like binary: drop up to 3 trailing bytes.
        for cut in range(4 if partial else 1):
            try:
                text = data[: len(data) - cut].decode(encoding)
            except UnicodeDecodeError:
                continue
            controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
            return text if controls <= len(text) // 100 else None
    return None


def _text_type(text: str, ext: str, *, complete: bool) -> str:
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{\\rtf"):
        return "rtf"
    if re.match(r"(?is)(<\?xml[^>]*>\s*)?(<!doctype html|<html|<table)", stripped):
        return "html"
    if stripped.startswith(("{", "[")) and (ext not in {".csv", ".txt", ".tsv"} or _parses(stripped, complete)):
        return "json"
    if ext == ".csv":
        return "csv"
    if ext in {".txt", ".tsv"}:
        first_lines = stripped.splitlines()[:5]
        if first_lines and all(("," in line or "\t" in line) for line in first_lines if line.strip()):
            return "csv"
    return "text"


def _parses(text: str, complete: bool) -> bool:
    if not complete:
        return True
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _zip_type(path: Path, head: bytes) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            content_types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # Truncated: the central directory is gone, but the local headers still name the parts.
        names, content_types = set(), head
    if "word/document.xml" in names or (not names and b"word/" in head):
        return "docx"
    if "xl/workbook.xml" in names or (not names and b"xl/" in head):
        return "xlsx"
    if _WORD_CT + b".document" in content_types or _WORD_CT + b".template" in content_types:
        return "docx"
    if _SHEET_CT + b".sheet" in content_types or _SHEET_CT + b".template" in content_types:
        return "xlsx"
    return "zip"


def check_zip(path: Path, limits: ReadLimits) -> None:
    """Refuse ZIP bombs and truncated packages before any library inflates them."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _refuse_bomb(infos, limits)
            bad = zf.testzip()  # bounded: every declared size was checked above
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError, RuntimeError) as exc:
        raise UnreadableFile("文件已损坏或不完整（压缩包无法打开），请重新导出或重新上传。",
                             code="corrupt", path=str(path)) from exc
    if bad is not None:
        raise UnreadableFile(f"文件已损坏（压缩包成员 {bad} 校验失败），请重新导出或重新上传。",
                             code="corrupt", path=str(path))


def _refuse_bomb(infos: list[zipfile.ZipInfo], limits: ReadLimits) -> None:
    message = "文件解压后异常巨大（疑似“压缩炸弹”），已拒绝读取。"
    if len(infos) > _MAX_MEMBERS:
        raise UnreadableFile(message, code="zip_bomb")
    if sum(info.file_size for info in infos) > limits.max_unzipped_bytes:
        raise UnreadableFile(message, code="zip_bomb")
    for info in infos:
        if info.file_size > _RATIO_FLOOR and info.file_size > max(info.compress_size, 1) * limits.max_ratio:
            raise UnreadableFile(message, code="zip_bomb")
