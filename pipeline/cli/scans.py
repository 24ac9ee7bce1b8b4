"""Commands for paper: `forms blank|separator`, `unsorted list|ocr`, `assign`, `review list`, `record edit`."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import click

from hudang.archive.store import Archive
from hudang.errors import ToolMissing, UsageError
from hudang.forms import office
from hudang.forms.blank import blank_form, separator
from hudang.forms.definitions import load_forms
from hudang.pipeline.cli.support import CONTEXT, audit, emit, json_option, with_archive
from hudang.pipeline.intake import backlog
from hudang.pipeline.scans import queue
from hudang.settings import Home


def _to_pdf(home: Home, docx: Path) -> tuple[str | None, list[str]]:
    try:
        conversion = office.to_pdf([docx], docx.parent, instances=1, timeout=home.office.timeout)
    except ToolMissing as exc:
        return None, [f"{exc.message}；只生成了 DOCX"]
    pdf = conversion.pdfs.get(docx)
    return (str(pdf), []) if pdf else (None, ["LibreOffice 未能生成 PDF，已保留 DOCX"])


@click.command("blank")
@click.argument("form_name", metavar="FORM")
@click.option("--household", help="为某一户打印（二维码和表头写明住户），如 金第花园/3-2-1201")
@click.option("--copies", type=click.IntRange(1, 500), default=1, show_default=True, help="份数（每份一页）")
@json_option
@with_archive
def forms_blank(home: Home, archive: Archive, form_name: str, household: str | None, copies: int,
                as_json: bool) -> None:
    """打印空白表单（DOCX 和 A4 PDF），带二维码，扫描后自动归档。FORM 如 投诉处理单。"""
    forms = load_forms([home.forms_dir]).intake()
    form = forms.get(form_name)
    if form is None:
        raise UsageError(f"未知的表单“{form_name}”（可用：{'、'.join(f.name for f in forms)}）")
    place = archive.estates.household(household, strict=True) if household else None
    contact = home.contact(place.estate if place else None)
    name = f"{form.name}-{place.estate}-{place.key}" if place else f"{form.name}-空白"
    docx = blank_form(form, contact.company, home.outputs_dir / "空白表单" / f"{name}.docx", place=place,
                      copies=copies)
    pdf, warnings = _to_pdf(home, docx)
    data = {"form": form.id, "household": place.address if place else None, "copies": copies,
            "docx": str(docx), "pdf": pdf, "warnings": warnings}

    def human(d: dict[str, Any]) -> None:
        for w in d["warnings"]:
            click.echo(f"注意：{w}", err=True)
        click.echo(f"DOCX：{d['docx']}")
        if d["pdf"]:
            click.echo(f"PDF：{d['pdf']}")
    emit(data, as_json, human)


@click.command("separator")
@json_option
@with_archive
def forms_separator(home: Home, archive: Archive, as_json: bool) -> None:
    """打印批量扫描用的分隔页（放在两份表单之间）。"""
    docx = separator(home.outputs_dir / "空白表单" / "分隔页.docx")
    pdf, warnings = _to_pdf(home, docx)
    emit({"docx": str(docx), "pdf": pdf, "warnings": warnings}, as_json,
         lambda d: click.echo(f"DOCX：{d['docx']}" + (f"\nPDF：{d['pdf']}" if d["pdf"] else "")))


@click.group("unsorted", context_settings=CONTEXT)
def unsorted_group() -> None:
    """待分拣的扫描件（无法自动确定住户，或等待文字识别）。"""


@unsorted_group.command("list")
@json_option
@with_archive
def unsorted_list(home: Home, archive: Archive, as_json: bool) -> None:
    """列出待分拣的扫描件：缩略图路径和识别出的前几行文字。"""
    data = {"scans": queue.listing(home)}

    def human(d: dict[str, Any]) -> None:
        for s in d["scans"]:
            state = "等待文字识别" if s["state"] == queue.OCR_PENDING else "待分拣"
            click.echo(f"{s['scan_id']}  {s['source']}  {s['received_at']}  {state}  表单：{s['form'] or '未知'}")
            if s["thumbnail"]:
                click.echo(f"    缩略图：{s['thumbnail']}")
            for line in s["text"][:3]:
                click.echo(f"    {line}")
        click.echo(f"共 {len(d['scans'])} 份待分拣扫描件；用 hudang assign 扫描件编号 项目/房号 归档")
    emit(data, as_json, human)


@unsorted_group.command("ocr")
@click.option("--workers", type=click.IntRange(1, 64), help="识别进程数（默认 CPU 核数）")
@json_option
@with_archive
def unsorted_ocr(home: Home, archive: Archive, workers: int | None, as_json: bool) -> None:
    """对等待文字识别的扫描件进行识别（安装 Tesseract 后运行），能确定住户的直接归档。"""
    results = queue.process_queue(home, load_forms([home.forms_dir]), workers)
    emit({"results": results}, as_json, lambda d: click.echo(
        f"已识别 {len(d['results'])} 份：归档 {sum(r['status'] == 'filed' for r in d['results'])}，"
        f"待分拣 {sum(r['status'] == 'unsorted' for r in d['results'])}"))


@click.command("assign")
@click.argument("scan_id")
@click.argument("address")
@click.option("--form", "form_name", help="表单类型（扫描件上没有二维码、也认不出时必须指定）")
@json_option
@with_archive
def assign(home: Home, archive: Archive, scan_id: str, address: str, form_name: str | None, as_json: bool) -> None:
    """把待分拣的扫描件归入一户。ADDRESS 如 金第花园/3-2-1201。"""
    data = queue.assign(home, archive, load_forms([home.forms_dir]), scan_id, address, form_name)
    audit(home, "assign", scan_id=scan_id, record_id=data["record_id"], household=data["household"])
    emit(data, as_json, lambda d: click.echo(
        f"已归档：{d['scan_id']} → {d['household']} {d['record_id']}（{d['archive_no']}）"
        + (f"；待核对：{'、'.join(d['review'])}" if d["review"] else "")))


@click.group("review", context_settings=CONTEXT)
def review_group() -> None:
    """待核对的记录（扫描件上未能识别的字段）。"""


@review_group.command("list")
@json_option
@with_archive
def review_list(home: Home, archive: Archive, as_json: bool) -> None:
    """列出有待核对字段的记录；用 hudang record edit 补填。"""
    data = {"records": queue.review_list(archive, load_forms([home.forms_dir]))}

    def human(d: dict[str, Any]) -> None:
        for r in d["records"]:
            click.echo(f"{r['record_id']}  {r['archive_no']}  {r['form_name']}  {r['household']}  "
                       f"待核对：{'、'.join(r['fields'])}")
        click.echo(f"共 {len(d['records'])} 条记录待核对")
    emit(data, as_json, human)


@click.command("edit")
@click.argument("record_id")
@click.argument("changes", nargs=-1, required=True, metavar="字段=值…")
@json_option
@with_archive
def record_edit(home: Home, archive: Archive, record_id: str, changes: tuple[str, ...], as_json: bool) -> None:
    """补填或更正字段，作为记录的新版本（写入审计日志）。例：hudang record edit R0000012 被投诉部门=工程部"""
    parsed: dict[str, str] = {}
    for change in changes:
        name, sep, value = change.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"“{change}”应写作 字段=值，例如 被投诉部门=工程部")
        parsed[name.strip()] = value.strip()
    forms = load_forms([home.forms_dir])
    data = queue.edit(archive, forms, record_id, parsed, getpass.getuser())
    backlog.index_records(home, archive.conn, forms, [data["record_id"]])
    audit(home, "edit", record_id=data["record_id"], version=data["version"], fields=data["changed"])
    emit(data, as_json, lambda d: click.echo(
        f"已保存为第{d['version']}版：{d['record_id']}（{'、'.join(d['changed'])}）"
        + (f"；仍待核对：{'、'.join(d['review'])}" if d["review"] else "")))


TOP = {"unsorted": unsorted_group, "assign": assign, "review": review_group}
