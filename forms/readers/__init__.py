"""Intake readers: one entry point, `read_document`, that reads any file we accept by what it contains.

Every failure to read comes out as `UnreadableFile` with a stable code and a Chinese message:
empty_file, too_large, wrong_type, corrupt, zip_bomb, bad_json, encrypted, tool_missing,
convert_failed, temp_file, io_error. Library exceptions never escape as tracebacks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hudang.errors import HudangError, Problem, UnreadableFile
from hudang.forms.readers.admission import check_name, check_size, is_temp_file
from hudang.forms.readers.model import Extraction, ReadLimits, Vocabulary
from hudang.forms.readers.sniff import IMAGE_SUFFIXES, TYPE_NAMES, check_zip, detect_type

__all__ = ["read_document", "is_temp_file", "detect_type", "Extraction", "ReadLimits"]

Reader = Callable[[Path, Vocabulary, ReadLimits, str], Extraction]

_LEGACY_EXTS = {".doc", ".xls", ".wps", ".et"}
# What each extension may legitimately hold (an old system's ".xls" is often an HTML table).
_EXT_TYPES: dict[str, frozenset[str]] = {
    ".docx": frozenset({"docx"}), ".docm": frozenset({"docx"}), ".dotx": frozenset({"docx"}),
    ".xlsx": frozenset({"xlsx"}), ".xlsm": frozenset({"xlsx"}), ".pdf": frozenset({"pdf"}),
    ".json": frozenset({"json"}), ".csv": frozenset({"csv"}), ".txt": frozenset({"csv", "text"}),
    ".tsv": frozenset({"csv"}), ".doc": frozenset({"ole", "rtf", "html"}), ".wps": frozenset({"ole"}),
    ".xls": frozenset({"ole", "html"}), ".et": frozenset({"ole"}), ".rtf": frozenset({"rtf"}),
    **{ext: frozenset({"image"}) for ext in IMAGE_SUFFIXES},
}
_READABLE = {"docx", "xlsx", "pdf", "json", "csv", "ole", "rtf", "image"}


def _has_nul(path: Path) -> bool:
    with path.open("rb") as fh:
        return b"\x00" in fh.read(65536)


def read_document(path: Path, vocab: Vocabulary, limits: ReadLimits | None = None, *,
                  header_row: int | None = None) -> Extraction:
    """Read one intake file into labelled values and text, dispatching on its content; ``header_row`` (an
    import profile's) is where a table's header is."""
    limits = limits or ReadLimits()
    check_name(path)
    try:
        size = path.stat().st_size
        detected = detect_type(path) if size else "empty"
    except OSError as exc:
        raise UnreadableFile(f"无法打开文件：{exc.strerror or exc}", code="io_error", path=str(path)) from exc
    check_size(size, limits, path)
    ext = path.suffix.lower()
    route = _route(detected, ext)
    if route is None:
        shown = f"“{ext}”" if ext else "（无）"
        what = TYPE_NAMES.get(detected, detected)
        if detected == "unknown" and ext in (".csv", ".json", ".txt") and _has_nul(path):
            what = "含有空字符（NUL 字节）的数据，不是正常的文本（文件可能已损坏，或是别的格式改了扩展名）"
        raise UnreadableFile(f"无法读取：文件扩展名为{shown}，但内容看起来是{what}，"
                             "不是可接收的格式（Word、PDF、Excel、CSV、JSON、旧版 Office 文件或扫描图片）。",
                             code="wrong_type", path=str(path))
    reader = _reader(route, header_row)
    try:
        extraction = reader(path, vocab, limits, detected)
    except HudangError:
        raise
    except RecursionError as exc:   # a JSON (or XML) nested thousands deep: refused, never a crash
        raise UnreadableFile("文件结构嵌套层数过多（疑似恶意构造），无法读取。请重新导出或重新上传。",
                             code="too_deep", path=str(path)) from exc
    except Exception as exc:  # hostile or broken files make libraries raise anything at all
        if type(exc).__name__ == "XMLSyntaxError" and "entit" in str(exc).lower():
            # a DTD whose entities expand ("billion laughs") or point outside: libxml2 stopped it
            raise UnreadableFile("文件内含实体声明（DTD），展开后异常巨大或指向外部文件，为安全起见拒绝读取。"
                                 "请用办公软件重新另存后再提交。", code="xml_entities", path=str(path)) from exc
        raise UnreadableFile(f"文件已损坏或格式不正确，无法读取（{type(exc).__name__}）。请重新导出或重新上传。",
                             code="corrupt", path=str(path)) from exc
    extraction.detected_type = extraction.detected_type or detected
    if route != "json-text" and detected not in _EXT_TYPES.get(ext, frozenset()):
        shown = f"“{ext}”" if ext else "（无）"
        extraction.warnings.insert(0, Problem(None, "extension_mismatch",
                                              f"文件扩展名为{shown}，但内容是{TYPE_NAMES.get(detected, detected)}，"
                                              "已按内容读取。"))
    return extraction


def _route(detected: str, ext: str) -> str | None:
    if detected in _READABLE:
        return detected
    if detected in ("text", "unknown") and ext == ".json":
        return "json-text"          # read as JSON so the archivist hears what is wrong with it
    if detected == "html" and ext in _LEGACY_EXTS:
        return "ole"
    return None


def _reader(route: str, header_row: int | None = None) -> Reader:
    """The reader for a route; imported here so that a reader's dependencies load only when needed."""
    if route == "docx":
        from hudang.forms.readers.wordfile import read_docx

        return lambda path, vocab, limits, detected: read_docx(path, vocab, limits)
    if route in ("json", "json-text"):
        from hudang.forms.readers.jsonform import read_json

        return lambda path, vocab, limits, detected: read_json(path, vocab)
    if route in ("ole", "rtf"):
        from hudang.forms.readers.legacy import read_legacy

        return read_legacy
    if route == "image":
        return lambda path, vocab, limits, detected: Extraction(kind="scan", records=[], detected_type="image")
    if route == "pdf":
        from hudang.forms.readers.pdf import read_pdf

        return lambda path, vocab, limits, detected: read_pdf(path, vocab, limits)
    from hudang.forms.readers.tabular import read_table

    def read_sheet(path: Path, vocab: Vocabulary, limits: ReadLimits, detected: str) -> Extraction:
        if detected == "xlsx":
            check_zip(path, limits)
        if header_row is None:
            return read_table(path, vocab, limits, detected)
        return read_table(path, vocab, limits, detected, header_row=header_row)

    return read_sheet
