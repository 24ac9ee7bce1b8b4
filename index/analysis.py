"""Chinese analysis for whoosh: words (segmented, with positions) and character bigrams.

whoosh keeps a whole run of Chinese characters as one token, so "北京市朝阳区" would never match
"朝阳". Two analyzers fix that:
- words: NFKC, full→half width, Traditional→Simplified, lower case, then rjieba segmentation with a
  user dictionary (estate names, form labels, the 物业 vocabulary). Good ranking, phrase queries.
- grams: the same normalisation, then overlapping bigrams of every Chinese run (and whole Latin/digit
  tokens). Any run of two or more characters is a phrase of bigrams, so every substring is found,
  even names a segmenter splits oddly (欧阳建国).
whoosh pickles analyzers into the index, so these classes live at a stable path and hold no
segmenter object: rjieba is loaded lazily, once per process (a query is cut without it: `query_words`).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.analysis import Token, Tokenizer

from hudang.forms.values import to_simplified
from hudang.patterns import lazy

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:[.\-·][a-z0-9]+)*")
_WORDISH = re.compile(rf"[{_CJK}a-z0-9]")

# 物业 vocabulary kept whole by the segmenter (in addition to estate names and form labels).
VOCABULARY = (
    "渗漏水", "漏水", "物业费", "物业服务费", "车位管理费", "催缴函", "业主", "住户", "租户", "受托人", "委托书",
    "装修", "装修垃圾", "垃圾清运", "电梯故障", "噪音扰民", "停车位", "地下车库", "门禁", "监控", "保安",
    "保洁", "绿化", "秩序维护部", "工程部", "客服中心", "回访", "返修", "有偿服务", "公共区域", "公共设施",
    "安全设施", "水电", "门窗", "天花板", "卫生间", "厨房", "阳台", "外墙", "楼道", "消防通道", "化粪池",
    "业主委员会", "物业服务中心", "维修基金", "钥匙借用", "物品放行", "房屋清单", "投诉处理单", "维修工作单",
)

_lock = threading.Lock()
_segmenter: Any = None
_extra_words: set[str] = set()
_added: list[str] = []   # the words added to the loaded segmenter, in order (the query side replays them)


def add_words(words: Iterable[str]) -> None:
    """Words the segmenter must keep whole (estate names, form labels); safe before or after loading."""
    with _lock:
        new = {normalize(w) for w in words if w and len(w) >= 2} - _extra_words
        _extra_words.update(new)
        if _segmenter is not None:
            for w in sorted(new):
                _segmenter.add_word(w, None, None)
                _added.append(w)


def _sequence() -> list[str]:
    """The words added to the segmenter, in the order they are (or, once loaded, will be) added."""
    with _lock:
        if _segmenter is not None:
            return list(_added)
        return [normalize(w) for w in VOCABULARY] + sorted(_extra_words)


def _rjieba() -> Any:
    """The full segmenter (the whole jieba dictionary), loaded once per process. Added words go in a fixed
    order (the vocabulary, then the others sorted): the frequency jieba gives an added word depends on it."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                from hudang.index.segmenter import native

                seg = native().Jieba()
                for word in (*(normalize(w) for w in VOCABULARY), *sorted(_extra_words)):
                    seg.add_word(word, None, None)
                    _added.append(word)
                _segmenter = seg
    return _segmenter


_recent: dict[str, str] = {}


def normalize(text: str) -> str:
    """NFKC (full→half width), Traditional→Simplified, lower case — the same for text and queries.

    Character by character where possible, so offsets in the result match the original text. The last few
    long texts are remembered: a document's body goes through the word and the bigram analyzers in turn."""
    done = _recent.get(text)
    if done is not None:
        return done
    done = to_simplified(unicodedata.normalize("NFKC", text)).lower()
    if len(text) > 64:
        if len(_recent) >= 8:
            _recent.clear()
        _recent[text] = done
    return done


class _Pieces(Tokenizer):
    """Base of our tokenizers: a subclass yields (text, start, end, gap) pieces; this turns them into
    whoosh Tokens with positions and offsets. Stateless, so equal whenever the class is the same."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def pieces(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        raise NotImplementedError

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for text, start, end, gap in self.pieces(value):
            pos += gap
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = text
            if positions:
                t.pos = pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            pos += 1
            yield t


class WordTokenizer(_Pieces):
    """rjieba words with positions; punctuation and spaces dropped."""

    def pieces(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        for word, start, end in _rjieba().tokenize(normalize(value)):
            if _WORDISH.search(word):
                yield word.strip(), start, end, 0


_DATE = lazy(r"(?<![0-9])(\d{4}) ?[年/.\-] ?(\d{1,2}) ?[月/.\-] ?(\d{1,2})(?![0-9])")
_JOINERS = lazy("[·・•]")


def _iso(m: re.Match[str]) -> str | None:
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def _gram_pieces(text: str, query: bool = False) -> Iterator[tuple[str, int, int, int]]:
    """Bigrams of each Chinese run, then the run's last character alone, so that one character is found
    wherever it stands (as the prefix of a bigram, or this unigram). Latin/digit runs whole, with the
    dots of licence plates dropped (皖A·12345 = 皖A12345). In a document, a date in any spelling is also
    indexed as YYYY-MM-DD, at the end and sharing the last position, so no phrase is broken by it. A query
    leaves out its own last unigram (its text may go on in the document) and the dates.

    A code of letters and digits in a document (PG-001, A12栋, WX2026-07) is also indexed by its parts
    (pg, 001; a, 12), sharing the whole code's position, and the first character of a Chinese run right
    after it alone too (sharing its bigram's position): so `PG`, `001`, `12栋`, `A12栋` and `单号PG` find it,
    however the text goes on."""
    runs = list(_RUNS.finditer(text))
    for n, m in enumerate(runs):
        run, base = m.group(), m.start()
        if "\u3400" <= run[0]:
            after_code = not query and n and len(run) > 1 and runs[n - 1].group()[0] < "\u3400"
            for i in range(len(run) - 1):
                yield run[i:i + 2], base + i, base + i + 2, 0
                if i == 0 and after_code:
                    yield run[0], base, base + 1, -1
            if not query or n < len(runs) - 1 or len(run) == 1:
                yield run[-1], base + len(run) - 1, base + len(run), 0
        else:
            code = _JOINERS.sub("", run)
            yield code, base, base + len(run), 0
            if not query:
                for part, start, end in _code_parts(run):
                    yield part, base + start, base + end, -1
    if not query:
        for m in _DATE.finditer(text):
            iso = _iso(m)
            if iso and iso != m.group():
                yield iso, m.start(), m.end(), -1


def _code_parts(run: str) -> list[tuple[str, int, int]]:
    """The pieces of a letter-and-digit code other than itself: between its dashes or dots, and each run of
    letters or of digits (wx2026-07 → wx2026, 07, wx, 2026); none for a plain word or number."""
    found: dict[str, tuple[int, int]] = {}
    for m in re.finditer(r"[a-z0-9]+", run):
        found.setdefault(m.group(), (m.start(), m.end()))
        for p in re.finditer(r"[a-z]+|[0-9]+", m.group()):
            found.setdefault(p.group(), (m.start() + p.start(), m.start() + p.end()))
    found.pop(_JOINERS.sub("", run), None)
    return [(text, start, end) for text, (start, end) in found.items()]


FIELD_SEP, VALUE_SEP = "\x1e", "\x1f"
LINE_GAP = 4096   # positions between lines: no phrase spans two lines, a label's value stays within its line


def marker(label: str) -> str:
    """The token at the start of a ``label\x1fvalue`` line: 投诉人:张三 is 张三 after it, in the same line."""
    return normalize(label) + VALUE_SEP


def _body_pieces(text: str) -> Iterator[tuple[str, int, int, int]]:
    base, gap = 0, 0
    for line in text.split("\n"):
        label, sep, _ = line.partition(VALUE_SEP)
        if sep:
            yield label + VALUE_SEP, base, base + len(label), gap
            gap = 0
        for piece, start, end, step in _gram_pieces(line):
            yield piece, base + start, base + end, gap + step
            gap = 0
        base += len(line) + 1
        gap = LINE_GAP


class GramTokenizer(_Pieces):
    """Bigrams of Chinese runs and whole Latin/digit runs (see `_gram_pieces`), line by line; a line
    ``label\x1fvalue`` (a field of the record) starts with the label's marker token."""

    def pieces(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        return _body_pieces(normalize(value))


class FieldGramTokenizer(_Pieces):
    """Schema 2's labelled-values field (one ``label\x1fbigram`` term per bigram of every value). Kept only so
    that an index of that schema still opens far enough to ask for `hudang rebuild`: those rare terms made
    a third of the build's cost; schema 3 finds labelled values by the label's marker in the bigram field."""

    def pieces(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        gap = 0
        for part in normalize(value).split(FIELD_SEP):
            label, sep, text = part.partition(VALUE_SEP)
            if not sep:
                continue
            for gram, start, end, step in _gram_pieces(text):
                yield f"{label}{VALUE_SEP}{gram}", start, end, gap + step
                gap = 0
            gap = 100  # no phrase spans two labels


def word_analyzer() -> WordTokenizer:
    return WordTokenizer()


def gram_analyzer() -> GramTokenizer:
    return GramTokenizer()


def grams(text: str) -> list[str]:
    """The bigram tokens of a query string (a phrase in the gram field)."""
    return [piece for piece, *_ in _gram_pieces(normalize(text), query=True)]


def words(text: str) -> list[str]:
    """The segmented words of a text, by the full segmenter (what the index's word field holds)."""
    return [t.text for t in WordTokenizer()(text)]


def query_words(text: str) -> list[str]:
    """`words(text)` for a query, without loading the whole jieba dictionary when a process has not yet
    (index/segmenter.py): the same words, a few milliseconds instead of a sixth of a second."""
    if _segmenter is not None:
        return words(text)
    from hudang.index import segmenter

    norm = normalize(text)
    found = segmenter.dictionary() if segmenter.PAD not in norm else None
    if found is None:
        return words(text)
    pieces = segmenter.cut(found, norm, _sequence(), segmenter.native().Jieba.empty)
    return [word.strip() for word, _, _ in pieces if _WORDISH.search(word)]
