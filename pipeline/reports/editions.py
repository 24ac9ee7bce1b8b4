"""Where monthly reports are written, issued editions kept, and the PDF made by LibreOffice.

Layout under the data home::

    reports/<项目 or 全部项目>/<YYYY-MM>/客服接待月报表_<项目>_<YYYY-MM>_草稿.docx|xlsx|pdf   the latest draft
    reports/<项目 or 全部项目>/<YYYY-MM>/签发第<N>版/…                                       an issued edition

An issued edition is a sealed unit (manifest, read-only files, `issued.json` with its figures):
it is never overwritten; a later run writes a new draft, or with ``--issue`` the next edition.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.archive.durable import UnitWriter, fsync_dir
from hudang.archive.paths import safe_component
from hudang.clock import now, stamp
from hudang.errors import ReportError, ToolMissing
from hudang.forms.definitions import load_forms
from hudang.pipeline.reports import figures
from hudang.pipeline.reports.documents import TITLE, Edition, build_tables, context, write_docx, write_xlsx
from hudang.settings import Home

ALL_ESTATES = "全部项目"
ISSUED_PREFIX = "签发第"
_EDITION_RE = re.compile(r"签发第(\d+)版")


def reports_root(home: Home) -> Path:
    return home.root / "reports"


def month_dir(home: Home, estate_label: str, month: figures.Month) -> Path:
    return reports_root(home) / safe_component(estate_label) / month.label


def templates_dir(home: Home) -> Path:
    return home.root / "templates"


def file_stem(estate_label: str, month: figures.Month) -> str:
    return safe_component(f"{TITLE}_{estate_label}_{month.label}")


def editions(home: Home, estate_label: str, month: figures.Month) -> list[dict[str, Any]]:
    """Issued editions of a month, oldest first, each as its issued.json says."""
    folder = month_dir(home, estate_label, month)
    found = []
    if folder.is_dir():
        for sub in folder.iterdir():
            m = _EDITION_RE.fullmatch(sub.name)
            if m and (sub / "issued.json").is_file():
                found.append(json.loads((sub / "issued.json").read_text(encoding="utf-8")) | {"dir": str(sub)})
    return sorted(found, key=lambda e: e["edition"])


def to_pdf(docx: Path, out: Path, timeout: float) -> Path:
    """DOCX → PDF by the one LibreOffice runner (forms/office.py: own profile, killed on time-out, retried once)."""
    from hudang.forms import office

    try:
        conversion = office.to_pdf([docx], out.parent, instances=1, timeout=timeout)
    except ToolMissing as exc:
        raise ReportError(exc.message, code="tool_missing") from None
    pdf = conversion.pdfs[docx]
    if pdf is None:
        raise ReportError(f"LibreOffice 生成 PDF 超时（超过 {timeout:g} 秒）" if conversion.timeouts
                          else "LibreOffice 未能生成 PDF", code="pdf_failed")
    if pdf != out:
        os.replace(pdf, out)
    return out


@dataclass
class MonthlyResult:
    data: dict[str, Any]                       # the JSON document (§9 figures, previous, outputs)
    messages: list[str] = field(default_factory=list)
    edition: int | None = None


def monthly(home: Home, conn: sqlite3.Connection, month_text: str, estate: str | None, *,
            issue: bool = False, pdf: bool = True, write: bool = True) -> MonthlyResult:
    """Compute the month's figures and (unless `write` is off) write the draft or the issued edition.

    ``estate`` is the canonical name (None for all estates together)."""
    month = figures.Month.parse(month_text)
    label = estate or ALL_ESTATES
    forms = load_forms([home.forms_dir])
    cases = figures.two_months(conn, forms, month, estate)
    data = figures.figures(conn, forms, month, estate, cases)
    result = MonthlyResult(data)
    if not write:
        data["outputs"] = []
        return result
    details = figures.details(conn, forms, month, estate, cases[0])
    issued_before = editions(home, label, month)
    prev_issued = editions(home, label, month.previous())
    edition_no = (issued_before[-1]["edition"] + 1) if issued_before else 1
    if issue:
        edition = Edition(f"第{edition_no}版（签发）",
                          f"签发时间：{now().strftime('%Y-%m-%d %H:%M')}" +
                          (f"（更正并替代第{edition_no - 1}版）" if issued_before else ""),
                          prev_issued[-1] if prev_issued else None)
    else:
        note = "本稿为草稿，未经签发，数据以签发版本为准。"
        if issued_before:
            last = issued_before[-1]
            note = f"本月报表已于{last['issued_at'][:10]}签发第{last['edition']}版；本稿为签发后重新生成的草稿，签发版本未改动。"
            result.messages.append(f"{month.chinese}（{label}）已签发第{last['edition']}版，签发版本不会被覆盖；"
                                   "本次生成的是新的草稿；如需更正，请加 --issue 签发新版本")
        edition = Edition("草稿", note, prev_issued[-1] if prev_issued else None)
    prev_shown = edition.previous_issued["figures"] if edition.previous_issued else data["previous"]
    tables = build_tables(data, prev_shown, data["previous"] if edition.previous_issued else None)
    ctx = context(data, details, tables, edition, month=month, estate_label=label, company=home.company.name,
                  centre=home.company.service_centre, compiled=now().strftime("%Y年%-m月%-d日"))
    folder = month_dir(home, label, month)
    folder.mkdir(parents=True, exist_ok=True)
    stem = file_stem(label, month)
    with tempfile.TemporaryDirectory(prefix=".work-", dir=folder) as tmp:
        work = Path(tmp)
        made = [write_docx(templates_dir(home), ctx, data, prev_shown, details, month, work / f"{stem}.docx"),
                write_xlsx(ctx, tables, details, work / f"{stem}.xlsx")]
        if pdf:
            try:
                made.append(to_pdf(made[0], work / f"{stem}.pdf", home.office.timeout))
            except ReportError as exc:
                if issue:
                    raise
                result.messages.append(f"未生成 PDF：{exc.message}")
        if issue:
            outputs = _seal_edition(home, folder, edition_no, made, data, label, month)
            result.edition = edition_no
            result.messages.append(f"已签发{month.chinese}（{label}）第{edition_no}版：{folder / (ISSUED_PREFIX + str(edition_no) + '版')}")
        else:
            outputs = []
            for path in made:
                target = folder / f"{stem}_草稿{path.suffix}"
                os.replace(path, target)
                outputs.append(str(target))
            for stale in (".pdf",):  # a draft without a fresh PDF must not sit beside an old one
                if not any(p.endswith(stale) for p in outputs):
                    (folder / f"{stem}_草稿{stale}").unlink(missing_ok=True)
    data["outputs"] = outputs
    return result


def _seal_edition(home: Home, folder: Path, edition_no: int, made: list[Path], data: dict[str, Any],
                  label: str, month: figures.Month) -> list[str]:
    """File the issued edition as a sealed unit; it is read-only and never replaced."""
    dest = folder / f"{ISSUED_PREFIX}{edition_no}版"
    if dest.exists():
        raise ReportError(f"{dest} 已存在，签发版本不会被覆盖", code="issued_exists")
    writer = UnitWriter(reports_root(home) / ".staging")
    names = []
    for path in made:
        name = f"{path.stem}_签发第{edition_no}版{path.suffix}"
        writer.add_file(name, path)
        names.append(name)
    figures = {k: v for k, v in data.items() if k not in ("previous", "outputs")}
    issued = {"month": month.label, "estate": label, "edition": edition_no, "issued_at": stamp(),
              "figures": figures, "previous": data["previous"], "files": names}
    writer.add_bytes("issued.json", (json.dumps(issued, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    writer.seal()
    writer.commit(dest)
    for child in dest.iterdir():
        child.chmod(0o444)
    fsync_dir(dest)
    return [str(dest / name) for name in names]


CHART_DIR = "图表"


def chart(home: Home, conn: sqlite3.Connection, month_text: str, estate: str | None, name: str) -> Path:
    """Draw the month's charts as the report's DOCX has them (previous month: its issued figures when issued)
    into ``<month>/图表/`` and return the one named ``name`` (bars, trend)."""
    from hudang.pipeline.reports.documents import make_charts

    month = figures.Month.parse(month_text)
    label = estate or ALL_ESTATES
    forms = load_forms([home.forms_dir])
    cases = figures.two_months(conn, forms, month, estate)
    data = figures.figures(conn, forms, month, estate, cases)
    details = figures.details(conn, forms, month, estate, cases[0])
    prev_issued = editions(home, label, month.previous())
    prev_shown = prev_issued[-1]["figures"] if prev_issued else data["previous"]
    folder = month_dir(home, label, month) / CHART_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".work-", dir=folder) as tmp:
        made = make_charts(data, prev_shown, details, month, Path(tmp), only=name)
        target = folder / f"{name}.png"
        os.replace(made[f"chart_{name}"], target)
    return target
