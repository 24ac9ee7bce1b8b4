"""Commands for paper: `forms blank|separator`, `unsorted list|ocr`, `assign`, `review list|show`, `record edit`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hudang.errors import UsageError
from hudang.pipeline.cli.support import CONTEXT, json_option, session, show

if TYPE_CHECKING:
    from hudang.pipeline.app.catalogue import BlankForms, Printed
    from hudang.pipeline.app.records import Edited
    from hudang.pipeline.app.scans import Assigned, OcrRun, ReviewCrops, ToReview, Unsorted


@click.command("blank")
@click.argument("form_name", metavar="FORM")
@click.option("--household", help="为某一户打印（二维码和表头写明住户），如 金第花园/3-2-1201")
@click.option("--copies", type=click.IntRange(1, 500), default=1, show_default=True, help="份数（每份一页）")
@json_option
def forms_blank(form_name: str, household: str | None, copies: int, as_json: bool) -> None:
    """打印空白表单（DOCX 和 A4 PDF），带二维码，扫描后自动归档。FORM 如 投诉处理单。"""
    from hudang.pipeline.app import catalogue

    with session() as s:
        result = catalogue.blank(s, form_name, household, copies)

    def human(d: BlankForms) -> None:
        for w in d.printed.warnings:
            click.echo(f"注意：{w}", err=True)
        click.echo(f"DOCX：{d.printed.docx}")
        if d.printed.pdf:
            click.echo(f"PDF：{d.printed.pdf}")
    show(result, as_json, human)


@click.command("separator")
@json_option
def forms_separator(as_json: bool) -> None:
    """打印批量扫描用的分隔页（放在两份表单之间）。"""
    from hudang.pipeline.app import catalogue

    with session() as s:
        result = catalogue.separator(s)

    def human(d: Printed) -> None:
        click.echo(f"DOCX：{d.docx}" + (f"\nPDF：{d.pdf}" if d.pdf else ""))
    show(result, as_json, human)


@click.group("unsorted", context_settings=CONTEXT)
def unsorted_group() -> None:
    """待分拣的扫描件（无法自动确定住户，或等待文字识别）。"""


@unsorted_group.command("list")
@json_option
def unsorted_list(as_json: bool) -> None:
    """列出待分拣的扫描件：缩略图路径和识别出的前几行文字。"""
    from hudang.pipeline.app import scans

    with session() as s:
        result = scans.unsorted(s)

    def human(d: Unsorted) -> None:
        for scan in d.scans:
            state = "等待文字识别" if scan["state"] == scans.OCR_PENDING else "待分拣"
            click.echo(f"{scan['scan_id']}  {scan['source']}  {scan['received_at']}  {state}"
                       f"  表单：{scan['form'] or '未知'}")
            if scan["thumbnail"]:
                click.echo(f"    缩略图：{scan['thumbnail']}")
            for line in scan["text"][:3]:
                click.echo(f"    {line}")
        click.echo(f"共 {len(d.scans)} 份待分拣扫描件；用 hudang assign 扫描件编号 项目/房号 归档")
    show(result, as_json, human)


@unsorted_group.command("ocr")
@click.option("--workers", type=click.IntRange(1, 64), help="识别进程数（默认 CPU 核数）")
@json_option
def unsorted_ocr(workers: int | None, as_json: bool) -> None:
    """对等待文字识别的扫描件进行识别（安装 Tesseract 后运行），能确定住户的直接归档。"""
    from hudang.pipeline.app import scans

    with session() as s:
        result = scans.ocr(s, workers)

    def human(d: OcrRun) -> None:
        click.echo(f"已处理 {len(d.results)} 份：归档 {d.filed}，待分拣 {d.unsorted}"
                   + (f"，隔离 {len(d.quarantined)}" if d.quarantined else ""))
        for r in d.quarantined:
            click.echo(f"[已隔离] {r['source']}\n    ✗ {r['message']}\n    隔离编号 {r['quarantine_id']}")
    show(result, as_json, human)


@click.command("assign")
@click.argument("scan_id")
@click.argument("address")
@click.option("--form", "form_name", help="表单类型（扫描件上没有二维码、也认不出时必须指定）")
@json_option
def assign(scan_id: str, address: str, form_name: str | None, as_json: bool) -> None:
    """把待分拣的扫描件归入一户。ADDRESS 如 金第花园/3-2-1201。"""
    from hudang.pipeline.app import scans

    with session() as s:
        result = scans.assign(s, scan_id, address, form_name)

    def human(d: Assigned) -> None:
        click.echo(f"已归档：{d.scan_id} → {d.household} {d.record_id}（{d.archive_no}）"
                   + (f"；待核对：{'、'.join(d.review)}" if d.review else ""))
    show(result, as_json, human)


@click.group("review", context_settings=CONTEXT)
def review_group() -> None:
    """待核对的记录（扫描件上未能识别的字段）。"""


@review_group.command("list")
@json_option
def review_list(as_json: bool) -> None:
    """列出有待核对字段的记录；用 hudang record edit 补填。"""
    from hudang.pipeline.app import scans

    with session() as s:
        result = scans.review(s)

    def human(d: ToReview) -> None:
        for r in d.records:
            click.echo(f"{r['record_id']}  {r['archive_no']}  {r['form_name']}  {r['household']}  "
                       f"待核对：{'、'.join(r['fields'])}")
        click.echo(f"共 {len(d.records)} 条记录待核对")
    show(result, as_json, human)


@review_group.command("show")
@click.argument("record_id")
@json_option
def review_show(record_id: str, as_json: bool) -> None:
    """写出并列出一条记录待核对字段在扫描件上的截图（PNG），对照截图用 hudang record edit 补填。"""
    from hudang.pipeline.app import scans

    with session() as s:
        result = scans.review_show(s, record_id)

    def human(d: ReviewCrops) -> None:
        for c in d.crops:
            click.echo(f"{c['field']}：{c['value'] or '（未识别）'}  截图：{c['png'] or '无（非本系统表单或无版面）'}")
        click.echo(f"共 {len(d.crops)} 个字段待核对；截图在 {d.folder}")
    show(result, as_json, human)


def _changes(changes: tuple[str, ...]) -> dict[str, str]:
    """字段=值 arguments as a mapping; anything else is a usage error."""
    parsed: dict[str, str] = {}
    for change in changes:
        name, sep, value = change.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"“{change}”应写作 字段=值，例如 被投诉部门=工程部")
        parsed[name.strip()] = value.strip()
    return parsed


@click.command("edit")
@click.argument("record_id")
@click.argument("changes", nargs=-1, required=True, metavar="字段=值…")
@json_option
def record_edit(record_id: str, changes: tuple[str, ...], as_json: bool) -> None:
    """补填或更正字段，作为记录的新版本（写入审计日志）。例：hudang record edit R0000012 被投诉部门=工程部"""
    from hudang.pipeline.app import records

    parsed = _changes(changes)
    with session() as s:
        result = records.edit(s, record_id, parsed)

    def human(d: Edited) -> None:
        click.echo(f"已保存为第{d.version}版：{d.record_id}（{'、'.join(d.changed)}）"
                   + (f"；仍待核对：{'、'.join(d.review)}" if d.review else ""))
    show(result, as_json, human)


