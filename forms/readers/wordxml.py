"""WordprocessingML → a light tree of paragraphs and table grids, in reading order.

python-docx's `cell.text` and `paragraph.text` skip content controls, text boxes and check
boxes, which is where filled-in forms keep their values; so this walks the XML itself.
Merged cells become one `Cell` object in every grid slot they cover.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from hudang.forms.readers.pairs import CHECKED_MARK as _CHECKED
from hudang.forms.readers.pairs import UNCHECKED_MARK as _UNCHECKED

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

_ON = {"1", "true", "on"}
_SKIP = {W + "pPr", W + "rPr", W + "del", W + "moveFrom", W + "sdtPr", W + "sdtEndPr", W + "instrText",
         W + "delText", W + "tcPr", W + "trPr", W + "tblPr", W + "tblGrid"}
_CONTAINERS = {W + "customXml", W + "ins", W + "moveTo", W + "smartTag"}
# Check-box glyphs of the Wingdings fonts (w:sym, or plain text in a Wingdings run).
_SYMBOL_BOXES = {
    "wingdings": {0xFE: _CHECKED, 0xFD: _CHECKED, 0x78: _CHECKED, 0xA8: _UNCHECKED, 0x6F: _UNCHECKED},
    "wingdings 2": {0x52: _CHECKED, 0x54: _CHECKED, 0x51: _CHECKED, 0xA3: _UNCHECKED, 0x2A: _UNCHECKED},
}


@dataclass
class Para:
    text: str


@dataclass(eq=False)
class Cell:
    blocks: list[Para | Table] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The cell's own paragraphs (text boxes included, nested tables not)."""
        return "\n".join(b.text for b in self.blocks if isinstance(b, Para))

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


@dataclass
class Table:
    grid: list[list[Cell | None]]

    def unique_cells(self) -> list[Cell]:
        seen: dict[int, Cell] = {}
        for row in self.grid:
            for cell in row:
                if cell is not None:
                    seen.setdefault(id(cell), cell)
        return list(seen.values())


Block = Para | Table


def read_blocks(container: etree._Element) -> list[Block]:
    """The paragraphs and tables of a body, cell, text box or block content control."""
    blocks: list[Block] = []
    for child in container:
        tag = child.tag
        if tag == W + "p":
            boxes: list[etree._Element] = []
            parts: list[str] = []
            _inline(child, parts, boxes)
            blocks.append(Para("".join(parts)))
            for box in boxes:
                blocks.extend(read_blocks(box))
        elif tag == W + "tbl":
            blocks.append(_table(child))
        elif tag == W + "sdt":
            if not _showing_placeholder(child):
                blocks.extend(read_blocks(_content(child)))
        elif tag == MC + "AlternateContent":
            blocks.extend(read_blocks(_choice(child)))
        elif tag in _CONTAINERS:
            blocks.extend(read_blocks(child))
    return blocks


def _inline(el: etree._Element, out: list[str], boxes: list[etree._Element]) -> None:
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == W + "t":
            out.append(_symbol_text(child))
        elif tag in (W + "tab", W + "ptab"):
            out.append("\t")
        elif tag in (W + "br", W + "cr"):
            out.append("\n")
        elif tag == W + "noBreakHyphen":
            out.append("-")
        elif tag == W + "sym":
            out.append(_sym(child))
        elif tag == W + "fldChar":
            out.append(_form_checkbox(child))
        elif tag == W + "sdt":
            _inline_sdt(child, out, boxes)
        elif tag == W + "txbxContent":
            boxes.append(child)
        elif tag == MC + "AlternateContent":
            _inline(_choice(child), out, boxes)
        else:
            _inline(child, out, boxes)   # runs, hyperlinks, drawings and shapes holding text boxes


def _inline_sdt(sdt: etree._Element, out: list[str], boxes: list[etree._Element]) -> None:
    checkbox = sdt.find(f"{W}sdtPr/{W14}checkbox")
    if checkbox is not None:
        checked = checkbox.find(W14 + "checked")
        on = checked is not None and checked.get(W14 + "val", "0").lower() in _ON
        out.append(_CHECKED if on else _UNCHECKED)
    elif not _showing_placeholder(sdt):
        _inline(_content(sdt), out, boxes)


def _form_checkbox(fld_char: etree._Element) -> str:
    """A legacy form-field check box (FORMCHECKBOX) as a mark; '' for any other field."""
    box = fld_char.find(f"{W}ffData/{W}checkBox")
    if box is None:
        return ""
    checked = box.find(W + "checked")
    state = checked if checked is not None else box.find(W + "default")
    on = state is not None and state.get(W + "val", "1").lower() in _ON
    return _CHECKED if on else _UNCHECKED


def _sym(sym: etree._Element) -> str:
    font = (sym.get(W + "font") or "").lower()
    try:
        code = int(sym.get(W + "char") or "", 16)
    except ValueError:
        return ""
    code = code - 0xF000 if code >= 0xF000 else code
    return _SYMBOL_BOXES.get(font, {}).get(code, "")


def _symbol_text(t: etree._Element) -> str:
    text = t.text or ""
    run = t.getparent()
    fonts = run.find(f"{W}rPr/{W}rFonts") if run is not None else None
    font = (fonts.get(W + "ascii") or fonts.get(W + "hAnsi") or "").lower() if fonts is not None else ""
    table = _SYMBOL_BOXES.get(font)
    if table is None:
        return text
    return "".join(table.get(ord(ch) & 0xFF, ch) if ord(ch) < 0x100 or 0xF000 <= ord(ch) < 0xF100 else ch
                   for ch in text)


def _showing_placeholder(sdt: etree._Element) -> bool:
    flag = sdt.find(f"{W}sdtPr/{W}showingPlcHdr")
    return flag is not None and flag.get(W + "val", "1").lower() in _ON


def _content(sdt: etree._Element) -> etree._Element:
    content = sdt.find(W + "sdtContent")
    return content if content is not None else etree.Element(W + "sdtContent")


def _choice(alternate: etree._Element) -> etree._Element:
    """The first branch of mc:AlternateContent; the fallback repeats the same text (e.g. VML text boxes)."""
    for branch in alternate:
        if branch.tag in (MC + "Choice", MC + "Fallback"):
            return branch
    return alternate


def _children(el: etree._Element, tag: str) -> list[etree._Element]:
    """Direct children with `tag`, looking through content controls and custom XML around them."""
    found: list[etree._Element] = []
    for child in el:
        if child.tag == tag:
            found.append(child)
        elif child.tag == W + "sdt":
            found.extend(_children(_content(child), tag))
        elif child.tag == W + "customXml":
            found.extend(_children(child, tag))
    return found


def _table(tbl: etree._Element) -> Table:
    grid: list[list[Cell | None]] = []
    for tr in _children(tbl, W + "tr"):
        row: list[Cell | None] = [None] * _int_val(tr.find(f"{W}trPr/{W}gridBefore"), 0)
        above = grid[-1] if grid else []
        for tc in _children(tr, W + "tc"):
            col = len(row)
            blocks = read_blocks(tc)
            cell: Cell | None = None
            if _continues(tc, "vMerge") and col < len(above):
                cell = above[col]
            elif _continues(tc, "hMerge") and row:
                cell = row[-1]
            if cell is None:
                cell = Cell(blocks)
            elif any(isinstance(b, Table) or b.text.strip() for b in blocks):
                cell.blocks.extend(blocks)   # Word hides text in merged-away cells; keep it anyway
            row.extend([cell] * max(1, _int_val(tc.find(f"{W}tcPr/{W}gridSpan"), 1)))
        grid.append(row)
    return Table(grid)


def _continues(tc: etree._Element, merge: str) -> bool:
    mark = tc.find(f"{W}tcPr/{W}{merge}")
    return mark is not None and mark.get(W + "val", "continue") == "continue"


def _int_val(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return int(el.get(W + "val") or default)
    except ValueError:
        return default
