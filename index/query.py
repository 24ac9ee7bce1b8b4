"""The search language: words, "phrases", 标签:值, AND / OR / NOT / -word, parentheses.

A plain word is a phrase of bigrams (any substring matches), ranked higher where it is a whole segmented
word; a whole room spelling is its household key, a date in any spelling its YYYY-MM-DD token, and an ID or
phone number (a phone's last four digits too) its keyed hash. 标签:值 is the value after the label's
marker, within the label's line.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from whoosh import query as wq
from whoosh.matching import NullMatcher

from hudang.errors import QueryError, ValueProblem
from hudang.forms.rooms import parse_room
from hudang.forms.values import normalize_label, parse_date, to_halfwidth
from hudang.index.analysis import LINE_GAP, grams, marker, normalize, query_words
from hudang.index.documents import pii_tokens

if TYPE_CHECKING:
    from hudang.forms.definitions import FormRegistry

_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<field>[^\s:：()"]+)[:：](?P<fv>"[^"]*"|[^\s()"]*)'
                    r'|(?P<phrase>"[^"]*")|(?P<word>[^\s()"]+))')
_OPS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "与": "AND", "或": "OR", "非": "NOT", "并且": "AND", "或者": "OR"}
# Chinese input methods type these: read them as the ASCII syntax.
_SYNTAX = str.maketrans({"（": "(", "）": ")", "“": '"', "”": '"', "＂": '"', "：": ":", "－": "-", "—": "-",
                         "\u3000": " "})
_TEXT_FIELDS = {"档号", "编号"}   # searched in the whole text (they are in every document's heading)


@dataclass
class Parsed:
    query: wq.Query
    literals: list[str] = field(default_factory=list)   # what to mark in snippets


def _phrase(fieldname: str, tokens: list[str]) -> wq.Query | None:
    if not tokens:
        return None
    if len(tokens) == 1 and len(tokens[0]) == 1 and "\u3400" <= tokens[0] and fieldname == "grams":
        # One Chinese character (a surname, say): the bigrams that start with it, and itself alone (the last
        # character of a run is indexed alone too).
        return wq.Prefix(fieldname, tokens[0])
    return wq.Term(fieldname, tokens[0]) if len(tokens) == 1 else wq.Phrase(fieldname, tokens)


def _pii(key: bytes, text: str) -> list[wq.Query]:
    plain = re.sub(r"[\s\-]", "", to_halfwidth(text))
    out: list[wq.Query] = []
    if re.fullmatch(r"\d{17}[\dXx]|\d{15}", plain):
        out += [wq.Term("pii", t) for t in pii_tokens(key, "id", plain)]
    elif re.fullmatch(r"(?:\+?86)?(?:1[3-9]\d{9}|0\d{9,11})", plain):
        out += [wq.Term("pii", t) for t in pii_tokens(key, "phone", plain)[:1]]
    elif re.fullmatch(r"[A-Z0-9]{5,20}", plain.upper()) and re.search(r"\d", plain) and re.search(r"[A-Za-z]", plain):
        out += [wq.Term("pii", t) for t in pii_tokens(key, "id", plain)]  # passport, permit, licence
    elif re.fullmatch(r"\d{4}", plain):
        from hudang.index.documents import pii_token
        out.append(wq.Term("pii", pii_token(key, "last4", plain)))
    return out


_ROOMISH = re.compile(r"[栋幢座单元室]|号楼|^[0-9a-z]{1,3}(?:-[0-9a-z]{1,3})?-\d{3,5}$", re.IGNORECASE)


def room_key(text: str) -> str | None:
    """The household key when the text spells a whole room (3栋2单元1201, A座2801, 1-2-1201), else None."""
    plain = re.sub(r"\s+", "", to_halfwidth(text))
    if not _ROOMISH.search(plain):
        return None
    try:
        return parse_room(plain).key
    except ValueProblem:
        return None


def date_token(text: str) -> str | None:
    """A date in any office spelling (2026年10月5日, 2026/10/5) as the token every spelling is indexed under."""
    if not re.search(r"\d{4}", text) or len(text) > 16:
        return None
    try:
        return parse_date(text).isoformat()
    except ValueProblem:
        return None


def text_query(text: str, key: bytes) -> wq.Query:
    """Bigrams find every substring (the clause that decides what matches); the segmented words only add to
    the score of the records where the text is a whole word, except where a word is not a bigram phrase
    (a digit run inside a longer token), where they match too."""
    room = room_key(text)
    if room is not None:   # a whole room spelling: the household, not every "3", "2" and "1201"
        code = _phrase("grams", grams(text)) if re.search(r"[a-z]", normalize(text)) else None
        # … and where letters make it read like a code too (PG-001, A-101), that code in the text
        return wq.Term("hkey", room) if code is None else wq.Or([wq.Term("hkey", room), code])
    day = date_token(text)
    if day is not None:
        return wq.Term("grams", day)
    found = _phrase("grams", grams(text))
    tokens = query_words(text)
    ranked = _phrase("content", tokens)
    pii = _pii(key, text)
    if found is None:
        parts = [q for q in (ranked, *pii) if q is not None]
    elif re.search(r"[0-9a-z]", normalize(text)):
        parts = [found, *([ranked] if ranked is not None else []), *pii]   # a word may be no bigram phrase
    elif len(tokens) == 1:
        parts = [wq.AndMaybe(found, ranked), *pii]  # the whole word ranks first; the bigrams decide
    else:
        parts = [found, *pii]  # several words: the bigram phrase ranks well enough, a second phrase costs
    # twice (positions of every candidate)
    if not parts:
        raise QueryError(f"检索词“{text}”里没有可检索的文字")
    return parts[0] if len(parts) == 1 else wq.Or(parts)


class _Parser:
    def __init__(self, text: str, key: bytes, fields: Callable[[str], str | None]) -> None:
        self.key = key
        self.fields = fields
        self.tokens = self._lex(text.translate(_SYNTAX))
        self.pos = 0
        self.literals: list[str] = []

    def _lex(self, text: str) -> list[tuple[str, str, str]]:
        if text.count('"') % 2:
            raise QueryError("检索式的引号不成对：短语要用一对英文双引号括起来，如 \"卫生间漏水\"")
        out, pos = [], 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip():
                    raise QueryError(f"检索式有误：无法理解“{text[pos:pos + 10]}”")
                break
            pos = m.end()
            if m["lp"]:
                out.append(("(", "", ""))
            elif m["rp"]:
                out.append((")", "", ""))
            elif m["field"] is not None:
                label, value = m["field"], (m["fv"] or "").strip('"')
                chinese_label = all("\u3400" <= ch <= "\u9fff" for ch in label)
                if self.fields(label) is None and label not in _TEXT_FIELDS and not chinese_label:
                    out.append(("word", m.group().strip(), ""))  # 09:30, a URL …: plain text, not a field
                elif label in _TEXT_FIELDS and value:
                    out.append(("phrase", value, ""))
                else:
                    out.append(("field", label, value))
            elif m["phrase"]:
                out.append(("phrase", m["phrase"].strip('"'), ""))
            elif m["word"].upper() in _OPS or m["word"] in _OPS:
                out.append((_OPS.get(m["word"].upper()) or _OPS[m["word"]], "", ""))
            elif m["word"] == "-":
                if text.startswith("(", pos):
                    out.append(("NOT", "", ""))  # -(a OR b) excludes the group
                continue  # a lone minus excludes nothing
            else:
                out.append(("word", m["word"], ""))
        return out

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def parse(self) -> wq.Query:
        if not self.tokens:
            raise QueryError("检索式为空")
        q = self.or_expr()
        if self.pos != len(self.tokens):
            raise QueryError("检索式有误：括号不成对或运算符位置不对")
        return q

    def or_expr(self) -> wq.Query:
        parts = [self.and_expr()]
        while self.peek() == "OR":
            self.pos += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    def and_expr(self) -> wq.Query:
        positive: list[wq.Query] = []
        negative: list[wq.Query] = []
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.pos += 1
                continue
            q, negated = self.unary()
            (negative if negated else positive).append(q)
        if not positive:
            raise QueryError("检索式有误：至少要有一个要找的词（不能只有 NOT 或 -词）")
        base = positive[0] if len(positive) == 1 else wq.And(positive)
        return wq.AndNot(base, wq.Or(negative)) if negative else base

    def unary(self) -> tuple[wq.Query, bool]:
        kind = self.peek()
        if kind == "NOT":
            self.pos += 1
            if self.peek() in (None, ")", "OR", "AND", "NOT"):
                raise QueryError("检索式有误：NOT 后面缺少要排除的词")
            return self.atom(negated=True), True
        if kind == "word" and self.tokens[self.pos][1].startswith("-") and len(self.tokens[self.pos][1]) > 1:
            text = self.tokens[self.pos][1][1:]
            self.pos += 1
            return text_query(text, self.key), True
        return self.atom(), False

    def atom(self, negated: bool = False) -> wq.Query:
        kind, a, b = self.tokens[self.pos]
        self.pos += 1
        if kind == "(":
            q = self.or_expr()
            if self.peek() != ")":
                raise QueryError("检索式的括号不成对")
            self.pos += 1
            return q
        if kind in ("word", "phrase"):
            if not negated:
                self.literals += [a, *filter(None, [date_token(a)])]
            return text_query(a, self.key)
        if kind == "field":
            return self.field_query(a, b, negated)
        raise QueryError(f"检索式有误：“{kind}”的位置不对")

    def field_query(self, label: str, value: str, negated: bool) -> wq.Query:
        name = self.fields(label)
        if name is None:
            raise QueryError(f"没有叫“{label}”的栏目：可用表单里的栏目名，如 投诉人:张三、维修类别:渗漏水")
        if not value:
            raise QueryError(f"“{label}:”后面缺少要找的内容")
        if not negated:
            self.literals.append(value)
        pii = _pii(self.key, value)
        if pii:
            return pii[0] if len(pii) == 1 else wq.Or(pii)
        day = date_token(value)
        tokens = [day] if day is not None else grams(value)
        if not tokens:
            raise QueryError(f"“{label}:{value}”里没有可检索的文字")
        if len(tokens) == 1 and len(tokens[0]) == 1 and "\u3400" <= tokens[0]:
            inner: wq.Query = SpanPrefix("grams", tokens[0])   # a surname alone
        else:
            inner = wq.Term("grams", tokens[0]) if len(tokens) == 1 else wq.Phrase("grams", tokens)
        return LabelNear(wq.Term("grams", marker(name)), inner, slop=LINE_GAP - 1, ordered=True)


class LabelNear(wq.SpanNear):
    """A value near its label's marker. whoosh's SpanNear cannot estimate its size, which an And with a filter
    (``投诉人:王 --form 投诉``) asks of every part: the marker's document count bounds it."""

    def estimate_size(self, ixreader: Any) -> int:
        return int(self.a.estimate_size(ixreader))

    def estimate_min_size(self, ixreader: Any) -> int:
        return 0


class SpanPrefix(wq.Prefix):
    """Terms starting with a text, as spans (whoosh's Prefix matcher has no positions to place it)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        terms = [wq.Term(self.fieldname, self.field_from_bytes(searcher, b))
                 for b in itertools.islice(self._btexts(searcher.reader()), 4096)]
        if not terms:
            return NullMatcher()
        return (terms[0] if len(terms) == 1 else wq.SpanOr(terms)).matcher(searcher, context)

    def field_from_bytes(self, searcher: Any, btext: bytes) -> str:
        return str(searcher.schema[self.fieldname].from_bytes(btext))


def parse(text: str, key: bytes, fields: Callable[[str], str | None]) -> Parsed:
    parser = _Parser(text, key, fields)
    q = parser.parse()
    return Parsed(q, [normalize(x) for x in parser.literals])


def field_resolver(labels: dict[str, str]) -> Callable[[str], str | None]:
    """Any label or alias of any form → its field name."""
    return lambda label: labels.get(normalize_label(label))


def form_fields(forms: FormRegistry) -> Callable[[str], str | None]:
    """标签:值 over every form: any label or alias of any form (the first form's wins), and 编号/房号."""
    labels: dict[str, str] = {}
    for form in forms:
        for label, name in form.labels.items():
            labels.setdefault(label, name)
    labels.update({normalize_label(k): v for k, v in {"编号": "编号", "房号": "房号"}.items()})
    return field_resolver(labels)
