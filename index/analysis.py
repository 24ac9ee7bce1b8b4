"""Chinese analysis for whoosh: words (segmented, with positions) and character bigrams.

whoosh keeps a whole run of Chinese characters as one token, so "北京市朝阳区" would never match
"朝阳". Two analyzers fix that:
- words: NFKC, full→half width, Traditional→Simplified, lower case, then rjieba segmentation with a
  user dictionary (estate names, form labels, the 物业 vocabulary). Good ranking, phrase queries.
- grams: the same normalisation, then overlapping bigrams of every Chinese run (and whole Latin/digit
  tokens). Any run of two or more characters is a phrase of bigrams, so every substring is found,
  even names a segmenter splits oddly (欧阳建国).
whoosh pickles analyzers into the index, so these classes live at a stable path and hold no
segmenter object: rjieba is loaded lazily, once per process.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.analysis import Token, Tokenizer

from hudang.forms.values import to_simplified

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


def add_words(words: Iterable[str]) -> None:
    """Words the segmenter must keep whole (estate names, form labels); safe before or after loading."""
    with _lock:
        new = {normalize(w) for w in words if w and len(w) >= 2} - _extra_words
        _extra_words.update(new)
        if _segmenter is not None:
            for w in new:
                _segmenter.add_word(w, None, None)


def _rjieba() -> Any:
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                import rjieba

                for word in (*VOCABULARY, *_extra_words):
                    rjieba.add_word(normalize(word), None, None)
                _segmenter = rjieba
    return _segmenter


def normalize(text: str) -> str:
    """NFKC (full→half width), Traditional→Simplified, lower case — the same for text and queries.

    Character by character where possible, so offsets in the result match the original text."""
    text = unicodedata.normalize("NFKC", text)
    return to_simplified(text).lower()


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


class GramTokenizer(_Pieces):
    """Overlapping bigrams of Chinese runs (a lone character stays a unigram); Latin/digit runs whole."""

    def pieces(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        for m in _RUNS.finditer(normalize(value)):
            run, base = m.group(), m.start()
            if "\u3400" <= run[0]:
                pieces = [(run[i:i + 2], i) for i in range(len(run) - 1)] if len(run) > 1 else [(run, 0)]
            else:
                pieces = [(run, 0)]
            for piece, offset in pieces:
                yield piece, base + offset, base + offset + len(piece), 0


FIELD_SEP, VALUE_SEP = "\x1e", "\x1f"


class FieldGramTokenizer(_Pieces):
    """All labelled values of a record in one field: ``label\x1fvalue`` parts joined by ``\x1e``.

    Each bigram is emitted as ``label\x1fbigram``, and positions jump between parts, so
    ``投诉人:张三`` is a phrase inside one label's value only. One field instead of one per label
    keeps whoosh's per-field cost per document flat."""

    def pieces(self, value: str) -> Iterator[tuple[str, int, int, int]]:
        grammer = GramTokenizer()
        gap = 0
        for part in value.split(FIELD_SEP):
            label, sep, text = part.partition(VALUE_SEP)
            if not sep:
                continue
            for gram, start, end, _ in grammer.pieces(text):
                yield f"{label}{VALUE_SEP}{gram}", start, end, gap
                gap = 0
            gap = 100  # no phrase spans two labels


def word_analyzer() -> WordTokenizer:
    return WordTokenizer()


def gram_analyzer() -> GramTokenizer:
    return GramTokenizer()


def grams(text: str) -> list[str]:
    """The bigram tokens of a query string (a phrase in the gram field)."""
    return [t.text for t in GramTokenizer()(text)]


def words(text: str) -> list[str]:
    return [t.text for t in WordTokenizer()(text)]
