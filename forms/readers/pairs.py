"""Finding label → value pairs: in lines of text (`标签：值`) and in table grids, and reading check boxes.

Shared by every reader that sees a laid-out form (Word now; PDF text layers and OCR can reuse it).
Only the `Vocabulary` decides what is a label; nothing here knows any form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from hudang.forms.readers.model import Vocabulary

T = TypeVar("T")

CHECKED_MARK = "☑"
UNCHECKED_MARK = "□"
_GLYPH_CHECKED = "☑☒■√✓✔"
_GLYPH_UNCHECKED = "□☐"
_MARK = re.compile(
    r"[\[［(（]\s*[√✓✔]\s*[\]］)）]"        # [√] (√): checked
    r"|[\[［(（][ \u3000]*[\]］)）]"         # [ ] ( ): unchecked, only once a real mark is present
    rf"|[{_GLYPH_CHECKED}{_GLYPH_UNCHECKED}]"
)
_OPTION_TRIM = " \t\r\n\u3000,，;；、/|"
_DECOR = re.compile(r"^[\s*＊※]+|[\s*＊※:：]+$")
_COLON = re.compile(r"[:：]")
_LABEL_START_AFTER = set("、.．)）]】》>")
_MAX_LABEL_SPAN = 40


def label_key(text: str, vocab: Vocabulary) -> str | None:
    """The normalised label a cell or caption stands for, or None; tolerates `投诉人：` and `*投诉人`."""
    bare = _DECOR.sub("", text)
    if not bare or len(bare) > _MAX_LABEL_SPAN:
        return None
    key = vocab.normalize(bare)
    return key if key and vocab.is_label(key) else None


def resolve_checks(value: str) -> str:
    """`☑来电 □来访` → `来电`; several checked options are joined with `、`; text without marks is kept."""
    text = value.strip()
    marks = list(_MARK.finditer(text))
    if not any(_is_checked(m.group()) or m.group() in _GLYPH_UNCHECKED for m in marks):
        return value
    mark_first = _MARK.match(text) is not None
    mark_after = not mark_first and marks[-1].end() == len(text)   # `是☑ 否□`
    if len(marks) == 1 and not (mark_first or mark_after):
        return value          # one mark inside free text (`漏水（√已报物业）`) is not a choice
    options: list[tuple[bool, str]] = []
    for i, mark in enumerate(marks):
        if mark_after:
            label = text[marks[i - 1].end() if i else 0:mark.start()]
        else:
            label = text[mark.end():marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        options.append((_is_checked(mark.group()), label.strip(_OPTION_TRIM)))
    if not any(label for _, label in options):
        return text
    return "、".join(label for checked, label in options if checked and label)


def _is_checked(mark: str) -> bool:
    return any(ch in _GLYPH_CHECKED for ch in mark)


def text_pairs(text: str, vocab: Vocabulary, *, multiline: bool = False) -> list[tuple[str, str]]:
    """Pairs `标签：值` in text; one line may hold several (`投诉人：张三    联系电话：138…`).

    With `multiline` (the text of one table cell), lines without a label continue the value
    of the pair before them, so `投诉内容：` followed by paragraphs of content keeps them all.
    """
    pairs: list[list[str]] = []
    continuing = False
    for line in text.splitlines():
        line_pairs = _line_pairs(line, vocab)
        if line_pairs:
            pairs.extend([key, value] for key, value in line_pairs)
            continuing = multiline
        elif continuing and line.strip():
            last = pairs[-1]
            last[1] = f"{last[1].strip()}\n{line.strip()}" if last[1].strip() else line.strip()
    return [(key, resolve_checks(value.strip())) for key, value in pairs]


def _line_pairs(line: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    found = _line_labels(line, vocab)
    if not found:
        return []
    ends = [start for _, start, _ in found[1:]] + [len(line)]
    return [(key, line[value:end]) for (key, _, value), end in zip(found, ends, strict=True)]


def _line_labels(line: str, vocab: Vocabulary) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []   # key, label start, value start
    floor = 0
    for colon in _COLON.finditer(line):
        if colon.start() < floor:
            continue
        label = _label_before(line, floor, colon.start(), vocab)
        if label is not None:
            found.append((label[0], label[1], colon.end()))
            floor = colon.end()
    return found


def _label_before(line: str, floor: int, colon: int, vocab: Vocabulary) -> tuple[str, int] | None:
    """The shortest label ending at `colon` that starts a word (`姓    名：` finds `姓名`)."""
    for start in range(colon - 1, max(floor, colon - _MAX_LABEL_SPAN) - 1, -1):
        if line[start].isspace():
            continue
        before = line[start - 1] if start else ""
        if start and not (before.isspace() or before in _LABEL_START_AFTER):
            continue
        key = label_key(line[start:colon], vocab)
        if key is not None:
            return key, start
    return None


def grid_pairs(grid: Sequence[Sequence[T | None]], text_of: Callable[[T], str],
               vocab: Vocabulary) -> tuple[list[tuple[str, str]], set[int]]:
    """Pairs from a table grid, and the ids of the cells used as labels or values.

    A grid slot holds the same object for every position a merged cell covers, so merged cells
    count once. A label takes the next cell in its row unless that cell is a label (an empty
    cell is an empty value); a label followed by a label, or last in its row, takes the cell below. When
    there is no value below and the label after it has no value of its own to its right either, that
    "label" is the value (a choice `电话` under 投诉方式 is never silently dropped).
    """
    keys: dict[int, str | None] = {}

    def key_of(cell: T) -> str | None:
        if id(cell) not in keys:
            keys[id(cell)] = label_key(text_of(cell), vocab)
        return keys[id(cell)]

    pairs: list[tuple[str, str]] = []
    used: set[int] = set()
    for r, row in enumerate(grid):
        logical = _logical_cells(row)
        for i, (cell, col) in enumerate(logical):
            key = key_of(cell)
            if key is None or id(cell) in used:
                continue
            used.add(id(cell))
            following = logical[i + 1][0] if i + 1 < len(logical) else None
            after = logical[i + 2][0] if i + 2 < len(logical) else None
            if following is not None and key_of(following) is None:
                value_cell: T | None = following
            else:
                value_cell = _below(grid, r, col, cell)
                if value_cell is not None and key_of(value_cell) is not None:
                    value_cell = None
                if value_cell is None and following is not None and (after is None or key_of(after) is not None):
                    # `投诉方式 | 电话`: a value that happens to spell a label, with nothing below to take and
                    # nothing to its own right, is this label's value — validation then judges it.
                    value_cell = following
            if value_cell is None:
                pairs.append((key, ""))
                continue
            used.add(id(value_cell))
            pairs.append((key, resolve_checks(text_of(value_cell).strip())))
    return pairs, used


_NAME_LIKE = re.compile(r"[\u4e00-\u9fff][\u4e00-\u9fff（）()/]{1,11}")


def loose_pairs(grid: Sequence[Sequence[T | None]], text_of: Callable[[T], str], vocab: Vocabulary,
                used: set[int]) -> list[tuple[str, str]]:
    """`名称 | 值` pairs in a form's table whose name is no known label (派工单号, 材料费, 合计 …).

    Only cells `grid_pairs` left unused, in runs that alternate a short Chinese name (no digits, no colon
    after it) with a filled value that is no label; the record keeps them as extra fields (named in a
    warning), so what a form's own layout adds is not dropped. ``used`` gains the cells taken."""
    pairs: list[tuple[str, str]] = []
    for row in grid:
        run: list[T] = []
        for cell, _ in [*_logical_cells(row), (None, -1)]:
            if cell is not None and id(cell) not in used:
                run.append(cell)
                continue
            if len(run) % 2 == 0:
                found = [(run[i], run[i + 1]) for i in range(0, len(run), 2)]
                if found and all(_loose_name(text_of(n)) and text_of(v).strip()
                                 and label_key(text_of(v), vocab) is None for n, v in found):
                    for name, value in found:
                        used.update((id(name), id(value)))
                        pairs.append((vocab.normalize(text_of(name)), resolve_checks(text_of(value).strip())))
            run = []
    return pairs


def _loose_name(text: str) -> bool:
    return _NAME_LIKE.fullmatch(text.strip()) is not None


# A paragraph's `名称：值` whose name is no known label: the name must read as a short label (up to 8 Chinese
# characters, at the line's start or after a gap), not as the start of a sentence (`经现场查看发现：…`).
_LOOSE_LINE_NAME = re.compile(r"(?:^|(?<=\s))([\u4e00-\u9fff][\u4e00-\u9fff（）()/]{1,7})\s*[:：]")
_SENTENCE = re.compile(r"[的了我您你他她们请将把被经已因如若但并及与和在对从向为是]|如下|以下|发现|特此|说明|通知|告知")


def paragraph_pairs(text: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """A paragraph's pairs: `标签：值` as `text_pairs` finds them, and `派工单号：PG-0007` where the name is no
    known label, kept so what a form's own layout adds is not dropped (the record stores it as an extra field,
    named in a warning). A value ends where the next name, known or not, begins; a loose name with an empty
    value is no pair."""
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        labels = _line_labels(line, vocab)
        spans = [(start, value) for _, start, value in labels]
        found: list[tuple[int, int, str, bool]] = [(start, value, key, True) for key, start, value in labels]
        for m in _LOOSE_LINE_NAME.finditer(line):
            name = m[1]
            if (label_key(name, vocab) is None and not _SENTENCE.search(name)
                    and not any(start <= m.start(1) < value for start, value in spans)):
                found.append((m.start(1), m.end(), vocab.normalize(name), False))
        if not found:
            continue
        found.sort()
        ends = [start for start, *_ in found[1:]] + [len(line)]
        for (_, value_start, key, known), end in zip(found, ends, strict=True):
            value = line[value_start:end].strip()
            if known or value:
                pairs.append((key, resolve_checks(value)))
    return pairs


def _logical_cells(row: Sequence[T | None]) -> list[tuple[T, int]]:
    cells: list[tuple[T, int]] = []
    previous: T | None = None
    for col, cell in enumerate(row):
        if cell is not None and cell is not previous:
            cells.append((cell, col))
        previous = cell
    return cells


def _below(grid: Sequence[Sequence[T | None]], r: int, col: int, cell: T) -> T | None:
    below = r + 1
    while below < len(grid) and col < len(grid[below]) and grid[below][col] is cell:
        below += 1   # the label itself is merged downwards
    if below < len(grid) and col < len(grid[below]):
        return grid[below][col]
    return None
