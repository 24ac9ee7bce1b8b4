"""Legacy office files (.doc, .xls, .wps, .et, and RTF/HTML saved under those names), via LibreOffice.

The original stays as received; only a converted copy in a temporary folder is read.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hudang.errors import Problem, ToolMissing, UnreadableFile
from hudang.forms import office
from hudang.forms.readers.model import Extraction, ReadLimits, Vocabulary, renamed

_EXT_KIND = {".doc": "doc", ".wps": "doc", ".rtf": "doc", ".xls": "xls", ".et": "xls"}
_TARGET = {"doc": "docx", "xls": "xlsx"}
# Directory-entry names of an OLE compound file that tell what it holds.
_OLE_STREAMS = (("EncryptedPackage", "encrypted"), ("WordDocument", "doc"), ("Workbook", "xls"),
                ("Book", "xls"), ("PowerPoint Document", "ppt"))
_INFILTERS = {("html", "xls"): "HTML (StarCalc)", ("html", "doc"): "HTML (StarWriter)"}


def ole_kind(path: Path) -> str | None:
    """'doc', 'xls', 'ppt' or 'encrypted' (a password-protected OOXML file) from the OLE directory."""
    data = path.read_bytes()
    for name, kind in _OLE_STREAMS:
        if _has_entry(data, name):
            return kind
    return None


def _has_entry(data: bytes, name: str) -> bool:
    """Directory entries are 128-byte records in 512/4096-byte sectors: name, then its byte length at +64."""
    needle = name.encode("utf-16-le") + b"\x00\x00"
    size = len(needle)
    pos = data.find(needle, 512)
    while pos != -1:
        if pos % 128 == 0 and int.from_bytes(data[pos + 64:pos + 66], "little") == size:
            return True
        pos = data.find(needle, pos + 1)
    return False


def read_legacy(path: Path, vocab: Vocabulary, limits: ReadLimits, detected: str) -> Extraction:
    """Convert with LibreOffice and read the copy as .docx or .xlsx; `converted_from` names the original."""
    ext = path.suffix.lower()
    if detected == "ole":
        kind = ole_kind(path) or _EXT_KIND.get(ext)
    else:   # RTF is always a Word document; HTML tables go by the name they were saved under
        kind = "doc" if detected == "rtf" else _EXT_KIND.get(ext)
    if kind == "encrypted":
        raise UnreadableFile("文件设置了打开密码，无法读取。请去掉密码后重新提交。", code="encrypted", path=str(path))
    if kind not in _TARGET:
        what = "PowerPoint 演示文稿" if kind == "ppt" else "无法识别的旧版 Office 文件"
        raise UnreadableFile(f"无法读取：文件内容是{what}，不是可接收的表单格式。", code="wrong_type", path=str(path))
    warnings: list[Problem] = []
    if _EXT_KIND.get(ext, kind) != kind and ext != ".rtf":
        warnings.append(Problem(None, "extension_mismatch",
                                f"文件扩展名为“{ext}”，但内容是{'Word 文档' if kind == 'doc' else 'Excel 表格'}，已按内容读取。"))
    with tempfile.TemporaryDirectory(prefix="hudang-convert-") as tmp:
        converted = convert_legacy(path, _TARGET[kind], limits, source_kind=detected, outdir=Path(tmp))
        try:
            extraction = _read_converted(converted, vocab, limits, _TARGET[kind])
        except UnreadableFile as exc:   # the clerk dropped 投诉.xls, not our converted copy
            raise UnreadableFile(renamed(exc.message, converted.name, path.name), code=exc.code,
                                 path=str(path)) from None
    extraction.warnings = [Problem(w.field, w.code, renamed(w.message, converted.name, path.name))
                           for w in extraction.warnings]
    extraction.converted_from = ext[1:] if ext in _EXT_KIND else (detected if detected != "ole" else kind)
    extraction.detected_type = detected
    extraction.warnings[:0] = warnings
    return extraction


def _read_converted(converted: Path, vocab: Vocabulary, limits: ReadLimits, target: str) -> Extraction:
    if target == "docx":
        from hudang.forms.readers.wordfile import read_docx

        return read_docx(converted, vocab, limits)
    from hudang.forms.readers.sniff import check_zip
    from hudang.forms.readers.tabular import read_table

    check_zip(converted, limits)
    return read_table(converted, vocab, limits, "xlsx")


def convert_legacy(path: Path, target_ext: str, limits: ReadLimits, *, source_kind: str = "ole",
                   outdir: Path | None = None) -> Path:
    """Convert `path` to `target_ext` ('docx' or 'xlsx') in `outdir` (a new temp folder when None)."""
    outdir = outdir or Path(tempfile.mkdtemp(prefix="hudang-convert-"))
    outdir.mkdir(parents=True, exist_ok=True)
    kind = "doc" if target_ext == "docx" else "xls"
    suffix = {"rtf": ".rtf", "html": ".html"}.get(source_kind, f".{kind}")
    # A plain ASCII name with the right extension: LibreOffice picks its filter from it.
    source = outdir / f"original{suffix}"
    shutil.copyfile(path, source)
    try:
        done = office.convert(source, target_ext, outdir, timeout=limits.libreoffice_timeout,
                              infilter=_INFILTERS.get((source_kind, kind)))
    except ToolMissing as exc:
        raise UnreadableFile(exc.message, code="tool_missing", path=str(path)) from None
    if done.timed_out:
        raise UnreadableFile(f"LibreOffice 转换超时（超过 {limits.libreoffice_timeout:g} 秒），文件可能已损坏或设置了密码。",
                             code="convert_failed", path=str(path))
    if done.returncode:
        raise UnreadableFile(f"LibreOffice 转换失败（退出码 {done.returncode}），文件可能已损坏。",
                             code="convert_failed", path=str(path))
    if done.path is None:
        raise UnreadableFile("LibreOffice 无法转换此文件（文件可能已损坏或设置了密码）。", code="convert_failed",
                             path=str(path))
    return done.path
