"""`hudang search`: options resolved against the catalog, the query parsed, the index asked."""

from __future__ import annotations

from typing import Any

from hudang.archive.store import Archive
from hudang.errors import UsageError, ValueProblem
from hudang.forms.definitions import load_forms
from hudang.forms.values import parse_date
from hudang.index.engine import Filters, SearchIndex
from hudang.index.query import form_fields, parse
from hudang.settings import Home


def _date(text: str | None, option: str) -> int | None:
    if not text:
        return None
    try:
        return int(parse_date(text).strftime("%Y%m%d"))
    except ValueProblem as exc:
        raise UsageError(f"{option} 的日期无法识别：{exc.message}", code="bad_date") from None


def run_search(home: Home, query: str, *, form_name: str | None = None, household: str | None = None,
               estate: str | None = None, date_from: str | None = None, date_to: str | None = None,
               limit: int = 20, all_versions: bool = False) -> dict[str, Any]:
    forms = load_forms([home.forms_dir])
    archive = Archive(home)
    try:
        form_id = None
        if form_name:
            form = forms.get(form_name)
            if form is None:
                raise UsageError(f"没有叫“{form_name}”的表单（hudang forms list 查看）", code="unknown_form")
            form_id = form.id
        address = archive.estates.household(household).address if household else None
        estate_name = None
        if estate:
            estate_name = archive.estates.resolve(estate)
            if estate_name is None:
                raise UsageError(f"未知的项目“{estate}”", code="unknown_estate")
    finally:
        archive.close()
    since, until = _date(date_from, "--from"), _date(date_to, "--to")
    if since is not None and until is not None and since > until:
        raise UsageError(f"--from（{date_from}）晚于 --to（{date_to}）：起始日期应不晚于截止日期", code="bad_date_range")
    filters = Filters(form=form_id, household=address, estate=estate_name, date_from=since, date_to=until,
                      all_versions=all_versions)
    parsed = parse(query, home.secret_key(), form_fields(forms))
    return SearchIndex(home.index_dir).search(parsed, filters, limit)
