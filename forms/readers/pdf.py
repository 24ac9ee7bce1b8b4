"""Read a PDF: its fillable (AcroForm) fields, else its text layer; a PDF with neither is a scan.

pypdf repairs what it can and raises many kinds of exception on what it cannot; everything it
raises while reading becomes one `UnreadableFile` with a stable code, so the runner can quarantine.
"""

from __future__ import annotations

import logging
import re
import struct
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError
from pypdf.generic import DictionaryObject, NameObject, StreamObject, TextStringObject

from hudang.errors import Problem, UnreadableFile
from hudang.forms.readers.model import Extraction, RawRecord, ReadLimits, Vocabulary
from hudang.forms.readers.pairs import label_key, resolve_checks, text_pairs

# pypdf logs its repairs ("EOF marker not found") in English; with no handler in a reader worker they reached
# the archivist's terminal. What matters is reported in the file's outcome, in Chinese.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

ENCRYPTED = "PDF 文件已加密，无法读取；请提供未加密的文件"
CORRUPT = "PDF 文件已损坏或不完整，无法读取；请重新导出或重新扫描"
INCOMPLETE = "PDF 文件结尾不完整，已尽量读取；请核对内容是否齐全"
BOMB = "PDF 页面内容解压后异常巨大（疑似“压缩炸弹”），已拒绝读取"

# What pypdf raises on malformed input besides its own errors (it parses untrusted bytes).
_BROKEN = (PyPdfError, ValueError, KeyError, IndexError, TypeError, AttributeError,
           AssertionError, RecursionError, zlib.error, struct.error)
_MAX_FIELDS = 10_000
_PUSHBUTTON, _RADIO = 1 << 16, 1 << 15
_GENERIC_ON = {"yes", "on", "true", "1", "是", "checked", "x", "√", "✓", "☑"}
_PLACEHOLDERS = {"untitled", "unspecified", "anonymous", "无标题"}
_OPTION_SEPARATORS = "_:："
_SPLIT = re.compile(r"[ \u3000]{2,}|\t")


def read_pdf(path: Path, vocab: Vocabulary, limits: ReadLimits) -> Extraction:
    """Labelled values of a PDF form, or an empty scan extraction for OCR to take over."""
    data = path.read_bytes()
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _encrypted(path)
        if len(reader.pages) == 0:
            raise UnreadableFile(CORRUPT, code="corrupt", path=str(path))
        texts = [_page_text(page) for page in reader.pages]  # None: that page's text is unreadable
        fields, field_lines = _form_values(reader, vocab)
        images = any(_has_image(page.get("/Resources"), 0) for page in reader.pages)
        info: Any = reader.metadata or {}
        meta = {key: _text(info.get(key)).strip() for key in ("/Title", "/Subject", "/Keywords")}
    except (FileNotDecryptedError, DependencyError) as exc:
        # DependencyError: AES needs `cryptography`, which we cannot assume; refuse like a password.
        raise _encrypted(path) from exc
    except _BROKEN as exc:
        raise UnreadableFile(CORRUPT, code="corrupt", path=str(path)) from exc

    lines = [line for text in texts for line in _clean_lines(text or "")]
    text = "\n".join(lines + field_lines)
    pairs = _text_pairs(lines, vocab)
    warnings = [] if b"%%EOF" in data[-2048:] else [Problem(None, "pdf_incomplete", INCOMPLETE)]
    warnings += [Problem(None, "pdf_page_text", f"第 {n} 页的文字无法提取，已跳过；请核对该页内容")
                 for n, page_text in enumerate(texts, start=1) if page_text is None]
    result = Extraction(kind="form", records=[], text=text, pages=len(texts), detected_type="pdf",
                        title=_title(meta["/Title"]) or _first_short_line(lines, vocab),
                        form_hint=_usable(meta["/Subject"]) or _usable(meta["/Keywords"]),
                        warnings=warnings)
    if fields:
        for label, value in pairs.items():  # printed values fill what the fields leave out
            fields.setdefault(label, value)
        result.records = [RawRecord(fields=fields)]
    elif lines and (pairs or not images):
        result.records = [RawRecord(fields=pairs)]
    else:
        # No text, or only stray text (a scanner's watermark) over page images: OCR decides.
        result.kind = "scan"
    return result


def _encrypted(path: Path) -> UnreadableFile:
    return UnreadableFile(ENCRYPTED, code="encrypted_pdf", path=str(path))


# --- text layer ---------------------------------------------------------------------------

def _page_text(page: PageObject) -> str | None:
    """Layout mode keeps side-by-side pairs on one line; plain mode splits them by drawing call."""
    for mode in ("layout", "plain"):
        try:
            return page.extract_text(extraction_mode=mode)
        except LimitReachedError as exc:
            # pypdf stops inflating a stream past its limit (75 MB); rendering the page for OCR would not stop.
            raise UnreadableFile(BOMB, code="zip_bomb") from exc
        except _BROKEN:
            continue
    return None  # one odd font should not cost the whole document


def _clean_lines(text: str) -> list[str]:
    return [re.sub(r" {3,}", "  ", line.strip()) for line in text.splitlines() if line.strip()]


def _text_pairs(lines: list[str], vocab: Vocabulary) -> dict[str, str]:
    found: dict[str, list[str]] = {}
    for line in lines:
        for label, value in _line_pairs(line, vocab):
            found.setdefault(label, []).append(value)
    return {label: _merge(values) for label, values in found.items()}


def _line_pairs(line: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """`标签：值`, and `投诉人 张三  投诉时间 2026-11-03 09:30` split on runs of 2+ spaces."""
    tokens = [t.strip() for t in _SPLIT.split(line) if t.strip()]
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        label = label_key(tokens[i], vocab)
        if label is None:
            pairs.extend(_token_pairs(tokens[i], vocab))
            i += 1
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if following is not None and label_key(following, vocab) is None and not _token_pairs(following, vocab):
            pairs.append((label, resolve_checks(following)))
            i += 2
        else:
            pairs.append((label, ""))
            i += 1
    return pairs


def _token_pairs(token: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """Pairs inside one token: `投诉人：张三`, or single-spaced `投诉人 张三 投诉时间 2026-11-03 09:30`.

    Without a colon, a token must start with a label (free text is full of label-like words).
    """
    colon_pairs = text_pairs(token, vocab)
    words = token.split()
    if colon_pairs or len(words) < 2 or label_key(words[0], vocab) is None:
        return colon_pairs
    grouped: list[tuple[str, list[str]]] = []
    for word in words:
        key = label_key(word, vocab)
        if key is not None:
            grouped.append((key, []))
        else:
            grouped[-1][1].append(word)
    return [(key, resolve_checks(" ".join(value))) for key, value in grouped]


def _merge(values: list[str]) -> str:
    """Distinct non-empty values joined, so a conflict reaches validation instead of vanishing."""
    return "、".join(dict.fromkeys(v for v in values if v))


def _first_short_line(lines: list[str], vocab: Vocabulary) -> str | None:
    for line in lines[:10]:
        if len(line) <= 30 and not _line_pairs(line, vocab):
            return line
    return None


def _title(raw: str) -> str | None:
    title = re.sub(r"^Microsoft (Word|Excel) - ", "", raw)
    title = re.sub(r"\.(docx?|xlsx?|wps|pdf)$", "", title, flags=re.IGNORECASE).strip()
    return _usable(title)


def _usable(value: str) -> str | None:
    return value if value and value.lower() not in _PLACEHOLDERS else None


def _has_image(resources: Any, depth: int) -> bool:
    """Whether page images are drawn (directly or inside form XObjects, as some scanners do)."""
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if isinstance(resources, DictionaryObject) else None
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, DictionaryObject) or depth > 3:
        return False
    for ref in xobjects.values():
        obj = ref.get_object()
        if isinstance(obj, DictionaryObject) and obj.get("/Subtype") == "/Image":
            return True
        if isinstance(obj, DictionaryObject) and _has_image(obj.get("/Resources"), depth + 1):
            return True
    return False


# --- AcroForm fields ----------------------------------------------------------------------

def _form_values(reader: PdfReader, vocab: Vocabulary) -> tuple[dict[str, str], list[str]]:
    """Values of the fields named by a label, and `名称：值` lines of every filled field for the text."""
    found: dict[str, list[str]] = {}
    lines: list[str] = []
    for names, field in _terminal_fields(reader):
        kind, value, generic = _field_value(field)
        if kind is None:
            continue
        tooltip = _text(field.get("/TU")).strip()
        candidates = [names[-1], tooltip, ".".join(names), *reversed(names[:-1])]
        label = next((lab for c in candidates if c and (lab := label_key(c, vocab))), None)
        if value:
            lines.append(f"{tooltip or '.'.join(names)}：{value}")
        if label is not None:
            if kind == "check" and generic:
                value = "是" if value else "否"
            found.setdefault(label, []).append(value or "")
        elif kind == "check" and (option := next((o for c in candidates if c and (o := _option(c, vocab))),
                                                  None)) is not None:
            found.setdefault(option[0], []).append(option[1] if value else "")
        elif value and (name := _field_name(tooltip, names)):
            # A field under a name no form knows (派工单号, 材料费): kept, the record holds it as an extra field.
            found.setdefault(name, []).append("是" if kind == "check" and generic else value)
    return {label: _merge(values) for label, values in found.items()}, lines


def _field_name(tooltip: str, names: list[str]) -> str | None:
    """What a field with no known label is called: its tooltip (the text a person reads), else its name —
    when written in Chinese; a machine name (`Text1`, `fill_3`) names nothing, its value stays in the text."""
    for name in (tooltip, names[-1] if names else "", ".".join(names)):
        name = name.strip()
        if name and len(name) <= 40 and re.search(r"[\u4e00-\u9fff]", name):
            return name
    return None


def _option(name: str, vocab: Vocabulary) -> tuple[str, str] | None:
    """`投诉方式_来电` / `投诉方式:来电` → (投诉方式, 来电)."""
    for i, ch in enumerate(name):
        if ch in _OPTION_SEPARATORS and (label := label_key(name[:i], vocab)) and name[i + 1:].strip():
            return label, name[i + 1:].strip()
    return None


def _terminal_fields(reader: PdfReader) -> Iterator[tuple[list[str], DictionaryObject]]:
    """Fields that hold a value, each with its name path; widgets without a /T belong to their parent."""
    acro = reader.root_object.get("/AcroForm")
    acro = acro.get_object() if acro is not None else None
    roots = acro.get("/Fields") if isinstance(acro, DictionaryObject) else None
    roots = roots.get_object() if roots is not None else None
    stack: list[tuple[Any, list[str]]] = [(ref, []) for ref in reversed(list(roots or []))]
    seen: set[int] = set()
    while stack and len(seen) < _MAX_FIELDS:
        ref, parents = stack.pop()
        obj = ref.get_object()
        if not isinstance(obj, DictionaryObject) or id(obj) in seen:
            continue
        seen.add(id(obj))
        names = parents + [_text(obj["/T"])] if "/T" in obj else parents
        kids = [k for k in (obj.get("/Kids") or []) if isinstance(k.get_object(), DictionaryObject)]
        named = [k for k in kids if "/T" in k.get_object()]
        if named:
            stack.extend((k, names) for k in reversed(named))
        elif "/T" in obj:
            yield names, obj


def _field_value(field: DictionaryObject) -> tuple[str | None, str, bool]:
    """(kind, value, generic): kind text/choice/radio/check (None: skip); generic = a plain on/off box."""
    ftype = _inherited(field, "/FT")
    flags = int(_inherited(field, "/Ff") or 0)
    value = _inherited(field, "/V")
    if ftype == "/Tx":
        return "text", _text(value).strip(), False
    if ftype == "/Ch":
        return "choice", _text(value).strip(), False
    if ftype != "/Btn" or flags & _PUSHBUTTON:
        return None, "", False
    state = _text(value) if isinstance(value, NameObject) and value != "/Off" else ""
    options = _inherited(field, "/Opt")
    if state.isdigit() and isinstance(options, list) and int(state) < len(options):
        state = _text(options[int(state)]).strip()  # export values by index (PDF 1.5 /Opt)
    if flags & _RADIO:
        return "radio", state, False
    on_states = _on_states(field) or ([state] if state else [])
    generic = all(s.lower() in _GENERIC_ON for s in on_states)
    return "check", state, generic


def _on_states(field: DictionaryObject) -> list[str]:
    widgets = [k.get_object() for k in field.get("/Kids") or []] or [field]
    states: list[str] = []
    for widget in widgets:
        ap = widget.get("/AP") if isinstance(widget, DictionaryObject) else None
        normal = ap.get_object().get("/N") if ap is not None else None
        normal = normal.get_object() if normal is not None else None
        if isinstance(normal, DictionaryObject):
            states += [_name_text(str(k)[1:]) for k in normal if k != "/Off"]
    return states


def _name_text(raw: str) -> str:
    """A name pypdf decoded; also undo reportlab's `#hhhh`-per-character CJK names, which no codec reads."""
    triples = [raw[i:i + 3] for i in range(0, len(raw), 3)]
    if (raw and len(raw) % 3 == 0 and any(ord(t[0]) > 0x7F for t in triples)
            and all(ord(t[0]) <= 0xFF and re.fullmatch(r"[0-9a-fA-F]{2}", t[1:]) for t in triples)):
        return "".join(chr(ord(t[0]) << 8 | int(t[1:], 16)) for t in triples)
    return raw


def _inherited(field: DictionaryObject, key: str) -> Any:
    node: Any = field
    for _ in range(32):
        if key in node:
            return node[key].get_object()
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
        if not isinstance(node, DictionaryObject):
            return None
    return None


def _text(value: Any) -> str:
    value = value.get_object() if hasattr(value, "get_object") else value
    if value is None:
        return ""
    if isinstance(value, NameObject):
        return _name_text(str(value)[1:])
    if isinstance(value, list):
        return "、".join(t for t in (_text(v).strip() for v in value) if t)
    if isinstance(value, StreamObject):
        return _decode(value.get_data()) or ""
    if isinstance(value, bytes):  # neither UTF-16, UTF-8 nor PDFDocEncoding: likely GBK
        return _decode(value) or value.decode("latin-1")
    if isinstance(value, TextStringObject) and value.autodetect_pdfdocencoding:
        # Chinese producers write GBK bytes that PDFDocEncoding also "decodes", into mojibake.
        raw = value.original_bytes
        gbk = _decode(raw) if any(b > 0x7F for b in raw) else None
        if gbk and re.search(r"[\u4e00-\u9fff]", gbk):
            return gbk
    return str(value)


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
