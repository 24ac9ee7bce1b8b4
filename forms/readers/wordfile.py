"""Word (.docx) forms: labelled values from tables and `标签：值` paragraphs, the text, the title.

Named `wordfile` so that it never shadows the `docx` package it uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.package import Package
from lxml import etree

from hudang.errors import Problem, UnreadableFile
from hudang.forms.readers.model import Extraction, RawRecord, ReadLimits, Vocabulary
from hudang.forms.readers.pairs import grid_pairs, label_key, loose_pairs, paragraph_pairs, text_pairs
from hudang.forms.readers.sniff import check_zip
from hudang.forms.readers.wordxml import Block, Cell, Para, W, read_blocks

_WORD_TYPES = {CT.WML_DOCUMENT_MAIN,
               "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
               "application/vnd.ms-word.document.macroEnabled.main+xml",
               "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_TITLE_MAX = 30

Sink = Callable[[str, str], None]


def read_docx(path: Path, vocab: Vocabulary, limits: ReadLimits | None = None) -> Extraction:
    """Read one filled-in Word form as a single record."""
    check_zip(path, limits or ReadLimits())
    package = Package.open(str(path))
    part = package.main_document_part
    if part.content_type not in _WORD_TYPES:
        raise UnreadableFile("文件不是 Word 文档（主体部分类型不符），无法读取。", code="wrong_type",
                             path=str(path))
    # python-docx only models .docx proper; templates and macro documents come as raw XML.
    root = part.element if hasattr(part, "element") else etree.fromstring(part.blob, _PARSER)
    body = root.find(W + "body")
    blocks = read_blocks(body) if body is not None else []
    fields, warnings = _fields(blocks, vocab)
    core = _core_properties(package)
    title = _prop(core, "title") or _title(blocks, vocab)
    hint = _prop(core, "subject") or _prop(core, "category") or _prop(core, "keywords")
    return Extraction(kind="form", records=[RawRecord(fields)], text="\n".join(text_lines(blocks)),
                      title=title, form_hint=hint, detected_type="docx", warnings=warnings)


def text_lines(blocks: list[Block]) -> list[str]:
    """All text in reading order: paragraphs, then tables row by row with cells separated by tabs."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Para):
            if block.text.strip():
                lines.append(block.text.rstrip())
            continue
        printed: set[int] = set()
        for row in block.grid:
            cells = _row_cells(row, printed)
            texts = [" ".join(c.text.split()) for c in cells]
            if any(texts):
                lines.append("\t".join(texts))
            for cell in cells:
                lines.extend(text_lines(list(cell.tables)))
    return lines


def _row_cells(row: list[Cell | None], printed: set[int]) -> list[Cell]:
    """The cells that start in this row, each once (merged cells are printed where they begin)."""
    cells: list[Cell] = []
    for cell in row:
        if cell is not None and id(cell) not in printed:
            printed.add(id(cell))
            cells.append(cell)
    return cells


def _fields(blocks: list[Block], vocab: Vocabulary) -> tuple[dict[str, str], list[Problem]]:
    fields: dict[str, str] = {}
    warnings: list[Problem] = []
    conflicting: set[str] = set()

    def add(key: str, value: str) -> None:
        # The first occurrence wins; a different later value is worth a look, not a silent loss.
        if key not in fields:
            fields[key] = value
        elif value and value != fields[key] and key not in conflicting:
            conflicting.add(key)
            warnings.append(Problem(key, "duplicate_label",
                                    f"“{key}”在文件中出现多次且内容不同，已采用第一次出现的内容，请核对。"))

    _collect(blocks, vocab, add)
    return fields, warnings


def _collect(blocks: list[Block], vocab: Vocabulary, add: Sink) -> None:
    for block in blocks:
        if isinstance(block, Para):
            for key, value in paragraph_pairs(block.text, vocab):
                add(key, value)
            continue
        pairs, used = grid_pairs(block.grid, lambda cell: cell.text, vocab)
        if pairs:   # a form's table: its rows under names no form knows are kept as extra fields
            pairs += loose_pairs(block.grid, lambda cell: cell.text, vocab, used)
        for key, value in pairs:
            add(key, value)
        for cell in block.unique_cells():
            if id(cell) not in used:
                # A free cell may hold `标签：值` lines; its later paragraphs continue the value.
                for key, value in text_pairs(cell.text, vocab, multiline=True):
                    add(key, value)
            _collect(list(cell.tables), vocab, add)


def _title(blocks: list[Block], vocab: Vocabulary) -> str | None:
    """A short first paragraph before any table, else a first table row that is one merged cell."""
    for block in blocks:
        if isinstance(block, Para):
            if block.text.strip():
                return _as_title(block.text, vocab)
            continue
        if not block.grid:
            return None
        first = block.grid[0]
        width = max(len(row) for row in block.grid)
        if width >= 2 and len(first) == width and first[0] is not None and all(c is first[0] for c in first):
            return _as_title(first[0].text, vocab)
        return None
    return None


def _as_title(text: str, vocab: Vocabulary) -> str | None:
    title = re.sub(r"\s+", " ", text).strip()
    if not title or len(title) > _TITLE_MAX or label_key(title, vocab) or text_pairs(title, vocab):
        return None
    return title


def _core_properties(package: Package) -> Any:
    """The document's own core properties; python-docx would invent a title when the part is missing."""
    try:
        return package.part_related_by(RT.CORE_PROPERTIES).core_properties  # type: ignore[attr-defined]
    except KeyError:
        return None


def _prop(core: Any, name: str) -> str | None:
    value = getattr(core, name, None) if core is not None else None
    return value.strip() or None if isinstance(value, str) else None
