"""What every reader returns: labelled values, the document's text, and hints for routing.

Readers know nothing about form definitions; they only ask a `Vocabulary` whether a piece of
text is a label. Which form a document is, and whether its values are valid, is decided later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from hudang.errors import Problem
from hudang.settings import Limits, OcrSettings, OfficeSettings

Kind = Literal["form", "table", "scan"]


class Vocabulary(Protocol):
    """The labels of every known form and import kind, after `normalize`."""

    def normalize(self, text: str) -> str: ...

    def is_label(self, normalized: str) -> bool: ...


@dataclass(frozen=True)
class SimpleVocabulary:
    """A vocabulary over a fixed set of labels (tests, and the base of the real one)."""

    labels: frozenset[str]
    normalizer: Callable[[str], str]

    def normalize(self, text: str) -> str:
        return self.normalizer(text)

    def is_label(self, normalized: str) -> bool:
        return normalized in self.labels


@dataclass(frozen=True)
class ReadLimits:
    max_bytes: int = Limits.max_bytes                    # larger intake files are refused
    max_unzipped_bytes: int = Limits.max_unzipped_bytes  # total inflated size of an OOXML package
    max_ratio: int = 200                                 # inflated / compressed, per member
    libreoffice_timeout: float = OfficeSettings.timeout  # the data home's one LibreOffice time-out
    scan_pages: int = Limits.scan_pages                  # pages per scanned file
    page_pixels: int = Limits.page_pixels                # pixels of one rendered scan page
    sheet_cells: int = Limits.sheet_cells                # cells read per worksheet
    row_columns: int = Limits.row_columns                # columns per row (XLSX and CSV)
    shared_strings: int = Limits.shared_strings          # shared strings per XLSX workbook
    cell_chars: int = Limits.cell_chars                  # characters in one CSV cell
    ocr_engine: str = OcrSettings.engine                 # the recognizer of scanned pages ([ocr] engine)
    layouts: str = ""                                    # the data home's layouts of printed blank forms

    @classmethod
    def of(cls, limits: Limits, office: OfficeSettings, ocr: OcrSettings | None = None,
           layouts: str = "") -> ReadLimits:
        """The readers' limits from a data home's settings."""
        return cls(max_bytes=limits.max_bytes, max_unzipped_bytes=limits.max_unzipped_bytes,
                   libreoffice_timeout=office.timeout, scan_pages=limits.scan_pages,
                   page_pixels=limits.page_pixels, sheet_cells=limits.sheet_cells,
                   row_columns=limits.row_columns, shared_strings=limits.shared_strings,
                   cell_chars=limits.cell_chars, ocr_engine=(ocr or OcrSettings()).engine, layouts=layouts)


@dataclass
class RawRecord:
    """One record's values: normalised label → raw text ('' for an empty cell)."""

    fields: dict[str, str]
    row: int | None = None            # 1-based row number in the sheet/CSV (batches only)
    cells: list[str] | None = None    # the row's raw cells, to write bad rows back out


@dataclass
class Extraction:
    kind: Kind
    records: list[RawRecord]
    text: str = ""                    # all text of the document, for the archive and the index
    title: str | None = None          # title paragraph / core property / PDF title / sheet title row
    form_hint: str | None = None      # a form name the document states (JSON 表单, metadata)
    header: list[str] | None = None   # tables: normalised header labels
    header_cells: list[str] | None = None  # tables: header as written
    header_row: int | None = None
    title_rows: list[list[str]] = field(default_factory=list)
    sheet: str | None = None
    converted_from: str | None = None  # e.g. "doc" when LibreOffice converted a legacy file
    detected_type: str | None = None   # "docx", "pdf", "json", "csv", "xlsx", "image", ...
    pages: int | None = None
    scan: Any = None                  # scans: the `forms.scans.ScanReading` (QR codes, documents, OCR text)
    warnings: list[Problem] = field(default_factory=list)
    alternatives: list[Extraction] = field(default_factory=list)  # workbooks: the other sheets with a header
    sheets: list[str] = field(default_factory=list)                # workbooks: every sheet's name, in order


def renamed(message: str, internal: str, shown: str) -> str:
    """A message about our working copy ``internal`` as the clerk knows the file: ``shown``."""
    return message.replace(internal, shown) if internal != shown else message
