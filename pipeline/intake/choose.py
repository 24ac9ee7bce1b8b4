"""Which sheet of a workbook is an import table, of which kind, under which profile (SPEC §12).

A workbook's sheets are tried in order: with ``--profile`` (or the one shipped/saved profile whose headers the
sheet holds, when exactly one does) the profile's mapping and kind; otherwise the kinds in their declared order.
A header close to a kind but short of it is refused with one summary of what was found and missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hudang.errors import Problem
from hudang.forms.definitions import FormRegistry
from hudang.forms.import_profiles import Profile, Profiles
from hudang.forms.readers.model import Extraction
from hudang.forms.table_kinds import HeaderMap, TableKinds, header_key

if TYPE_CHECKING:
    from hudang.pipeline.intake.stages import Item


def _foreign(header: list[str], forms: FormRegistry, tables: TableKinds) -> int:
    """How many headers are labels of a form and of no import kind: two or more make a form batch."""
    table_labels = tables.labels
    form_labels = forms.all_labels()
    return sum(1 for h in header if (k := header_key(h)) and k in form_labels and k not in table_labels)


def _match(ext: Extraction, tables: TableKinds, profiles: Profiles, profile: Profile | None,
           forms: FormRegistry) -> HeaderMap | None:
    header = ext.header_cells or []
    if profile is not None:
        if profile.sheet and ext.sheet and ext.sheet != profile.sheet and ext.alternatives:
            return None
        return profile.conventions(tables.match(header, profile.mapping, only=profile.kind, profile=profile.name))
    fitting = [m for p in profiles.fitting(header)
               if (m := p.conventions(tables.match(header, p.mapping, only=p.kind, profile=p.name))) is not None]
    if len(fitting) == 1:
        return fitting[0]
    if _foreign(header, forms, tables) >= 2:
        return None
    found = tables.match(header)
    if found is not None and found.kind.form and _foreign(header, forms, tables):
        return None
    return found


def choose_table(item: Item, tables: TableKinds, profiles: Profiles, forms: FormRegistry) -> bool:
    """Set the item's table kind, column map and chosen sheet; False when the file is not an import table."""
    from hudang.pipeline.intake.stages import reject

    ext = item.extraction
    assert ext is not None
    options = item.options
    profile = None
    if options and options.profile:
        profile = profiles.get(options.profile)
        if profile is None:
            names = "、".join(p.name for p in profiles) or "无"
            raise reject("unknown_profile", f"导入方案“{options.profile}”不存在（现有：{names}）")
    candidates = [ext, *ext.alternatives]
    wanted = (options.sheet if options and options.sheet else None) or (profile.sheet if profile else None)
    if wanted:
        chosen = [c for c in candidates if c.sheet == wanted]
        if not chosen and ext.sheet is not None and (options and options.sheet):
            raise reject("no_sheet", f"工作簿中没有可读的工作表“{wanted}”（有表头的工作表：{_names(candidates)}）")
        candidates = chosen or candidates
    matched = [(cand, found) for cand in candidates
               if (found := _match(cand, tables, profiles, profile, forms)) is not None]
    if matched:   # the sheet whose header fits best: most columns recognised, the first of equals
        cand, found = max(matched, key=lambda m: (len(m[1].found), -candidates.index(m[0])))
        skipped = [s for s in ext.sheets if s != cand.sheet]
        cand.sheets, cand.alternatives = ext.sheets, []
        item.extraction, item.table, item.columns = cand, found.kind, found
        if skipped:
            item.warnings.append(Problem(None, "sheets_skipped",
                                         f"已读取工作表“{cand.sheet}”，未导入的工作表：{'、'.join(skipped)}"))
        return True
    near = None
    if profile is not None:
        near = tables.kind(profile.kind).map_header(ext.header_cells or [], profile.mapping, profile.name)
    else:
        near = tables.nearest(ext.header_cells)
        if near is not None and (not near.missing or near.excluded
                                 or _foreign(ext.header_cells or [], forms, tables) >= 2
                                 or (not near.suggestions and len(near.found) < 4)):
            near = None
    if near is not None:
        raise reject("columns_missing", f"无法按“{near.kind.name}”导入：{near.summary()}")
    return False


def _names(candidates: list[Extraction]) -> str:
    return "、".join(c.sheet or "" for c in candidates) or "无"
