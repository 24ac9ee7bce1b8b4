"""The index schema, declared once. Bump SCHEMA_VERSION whenever a field or analyzer changes."""

from __future__ import annotations

from whoosh.fields import BOOLEAN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from hudang.index.analysis import GramTokenizer, WordTokenizer

SCHEMA_VERSION = 4   # 4: a code's parts (PG-001: pg, 001) and the character after it


def make_schema() -> Schema:
    schema = Schema(
        doc_id=ID(stored=True, unique=True),       # record_id/vN
        record_id=ID(stored=True),
        version=STORED,
        current=BOOLEAN(stored=True),
        form=ID(stored=True),
        estate=ID(stored=True),
        household=ID(stored=True),                 # ESTATE/KEY
        hkey=ID,                                   # KEY alone: a room in any spelling finds it
        date=NUMERIC(int, bits=32, signed=False, stored=True),  # YYYYMMDD of the form's own date
        archive_no=ID(stored=True),
        number=ID(stored=True),
        content=TEXT(analyzer=WordTokenizer(), phrase=True),
        grams=TEXT(analyzer=GramTokenizer(), phrase=True),   # also the labels' markers: 投诉人:张三
        pii=KEYWORD,                               # keyed hashes of ID and phone numbers, never the numbers
        text=STORED,                               # masked text for snippets
    )
    return schema
