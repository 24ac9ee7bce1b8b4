"""`hudang search`: options resolved against the catalog, the query parsed, the index asked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hudang.clock import check_range
from hudang.errors import UsageError
from hudang.pipeline.app.session import Session
from hudang.settings import Home

LIMITS = (1, 10000)
"""How many hits one search may list (``--limit``, the API's ``limit``)."""
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Found:
    total: int
    hits: list[dict[str, Any]]
    """The best hits first, as many as the limit: record, household, form, date, a masked snippet."""

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "hits": self.hits}


def search(session: Session, query: str, *, form_name: str | None = None, household: str | None = None,
           estate: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None,
           limit: int = DEFAULT_LIMIT, all_versions: bool = False, estates: tuple[str, ...] = (),
           newest_first: bool = False) -> Found:
    """Current versions of records not voided, unless ``all_versions``; dates are the records' own (inclusive).
    ``estates`` keeps the hits within a user's estate limits; ``newest_first`` sorts by the records' dates.

    With no words (a blank query) and at least one filter: every record the filters allow, newest first (the
    record's own date, then the later record ID), with the exact total; the hits have the same shape."""
    from hudang.index.engine import Filters, SearchIndex
    from hudang.index.query import form_fields, parse

    form_id = session.form(form_name).id if form_name else None
    address = session.archive.estates.household(household).address if household else None
    estate_name = session.estate(estate)
    check_range(date_from, date_to)
    since, until = (int(d.strftime("%Y%m%d")) if d else None for d in (date_from, date_to))
    filters = Filters(form=form_id, household=address, estate=estate_name, estates=estates, date_from=since,
                      date_to=until, all_versions=all_versions)
    index = SearchIndex(session.home.index_dir)
    if not query.strip():
        if not filters.clauses():
            raise UsageError("请给出检索词，或至少一个筛选条件（--form、--estate、--household、--from/--to）",
                             code="empty_query")
        return Found(**index.listing(filters, limit))   # every record the filters allow, newest first
    parsed = parse(query, session.home.secret_key(), form_fields(session.forms))
    return Found(**index.search(parsed, filters, limit, newest_first))


def run_search(home: Home, query: str, **options: Any) -> dict[str, Any]:
    """The same search for a caller that holds only a data home (benches, tests), as its JSON."""
    with Session(home) as session:
        return search(session, query, **options).as_json()
