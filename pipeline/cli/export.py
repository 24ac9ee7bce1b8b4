"""`hudang household export`: the household's file handed out as a binder and a BagIt ZIP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hudang.pipeline.cli.support import json_option, session, show

if TYPE_CHECKING:
    from hudang.pipeline.app.export import Exported


@click.command("export")
@click.argument("address")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="只导出这一天及以后的记录")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="只导出这一天及以前的记录")
@click.option("--purpose", type=click.Choice(["查阅", "诉讼", "移交"]), default="查阅", show_default=True,
              help="调档用途；诉讼：欠费证据（收费明细、催缴记录、催缴函及送达回执，附情况说明）")
@click.option("--full", is_flag=True, help="含完整证件号和电话及原件（须写 --reason，写入审计日志）")
@click.option("--reason", help="导出完整信息的事由")
@json_option
def household_export(address: str, start: str | None, end: str | None, purpose: str, full: bool,
                     reason: str | None, as_json: bool) -> None:
    """调档：把一户的档案装订成一本 PDF（卷皮、卷内目录、各件、备考表）并打包为 BagIt ZIP。
    文件在数据目录 outputs/调档/ 下。ADDRESS 如 金第花园/3-2-1201。"""
    from hudang.pipeline.app.export import export
    from hudang.pipeline.cli.support import day

    first = day(start, "--from") if start else None
    last = day(end, "--to") if end else None
    with session() as s:
        result = export(s, address, purpose=purpose, start=first, end=last, full=full, reason=reason)

    def human(d: Exported) -> None:
        click.echo(f"{d.household} 调档（{d.purpose}，{'完整信息' if d.full else '个人信息已打码'}）：{d.items} 件 "
                   f"{d.pages} 页，调档编号 {d.export_id}")
        click.echo(f"装订卷 PDF：{d.binder}")
        click.echo(f"BagIt 包：{d.bag}")
        if d.withheld:
            click.echo(f"注意：{d.withheld} 份原件或附件含个人信息，未随卷装订（需 --full）")
        if d.unbound:
            click.echo(f"注意：无法转换为 PDF、未装订：{'、'.join(d.unbound)}", err=True)
    show(result, as_json, human)
