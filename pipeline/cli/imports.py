"""`hudang import-profile save|list|show|remove`: import profiles (SPEC §12). Parse, call app, render."""

from __future__ import annotations

from pathlib import Path

import click

from hudang.pipeline.cli.support import CONTEXT, emit, json_option, session, show

KINDS = ("roster", "owners", "ledger", "reminders")


@click.group("import-profile", context_settings=CONTEXT)
def import_profile() -> None:
    """导入方案：别的系统或本处 Excel 的表格格式（工作表、表头行、列对应关系）。"""


@import_profile.command("save")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(KINDS),
              help="表格类型：roster 房屋清单、owners 业主名单、ledger 收费台账、reminders 催缴记录")
@click.option("--map", "pairs", multiple=True, metavar="表头=列名",
              help="列对应关系（可多次），如 --map 楼号=楼栋；“=-” 表示不用该列")
@click.option("--sheet", default=None, help="工作表名称")
@click.option("--header-row", type=click.IntRange(1, 10), default=None, help="表头所在行（第几行）")
@click.option("--from", "example", type=click.Path(path_type=Path), default=None,
              help="示例文件：从中取工作表和表头行")
@click.option("--title", default="", help="说明（如“某某系统 房屋导出”）")
@click.option("--room-format", default=None, metavar="格式",
              help="房号一格内的写法：楼栋-单元-房号、楼栋-房号 或 单元-房号（不指定则自动判断）")
@click.option("--serial-dates/--no-serial-dates", default=None,
              help="日期列中的数字一律按 Excel 日期读取（或一律不按）；不指定则自动判断")
@json_option
@click.pass_context
def save(ctx: click.Context, name: str, kind: str, pairs: tuple[str, ...], sheet: str | None,
         header_row: int | None, example: Path | None, title: str, room_format: str | None,
         serial_dates: bool | None, as_json: bool) -> None:
    """保存（或替换）一个导入方案，存放在数据目录的 import-profiles/ 中。"""
    from hudang.forms.import_profiles import Profile
    from hudang.pipeline.app.import_profiles import save_profile

    with session(ctx) as s:
        result = save_profile(s, name, kind, list(pairs), sheet=sheet, header_row=header_row, example=example,
                              title=title, room_format=room_format, serial_dates=serial_dates)

    def human(p: Profile) -> None:
        where = "".join([f"，工作表“{p.sheet}”" if p.sheet else "", f"，表头第 {p.header_row} 行" if p.header_row else "",
                         f"，房号写作“{p.room_format}”" if p.room_format else "",
                         {True: "，日期列的数字按 Excel 日期读取", False: "，日期列的数字不按 Excel 日期读取",
                          None: ""}[p.serial_dates]])
        click.echo(f"已保存导入方案“{p.name}”（{p.kind}{where}），{len(p.mapping)} 个列对应")
    show(result, as_json, human)


@import_profile.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """列出导入方案（随软件提供的和本处保存的）。"""
    from hudang.pipeline.app.import_profiles import ProfileList, list_profiles

    with session(ctx) as s:
        result = list_profiles(s)

    def human(d: ProfileList) -> None:
        for p in d.profiles:
            origin = "随软件提供" if p.builtin else "本处保存"
            click.echo(f"{p.name:26} {p.kind:9} {origin}  {p.title}")
        click.echo(f"共 {len(d.profiles)} 个导入方案")
    show(result, as_json, human)


@import_profile.command("show")
@click.argument("name")
@json_option
@click.pass_context
def show_(ctx: click.Context, name: str, as_json: bool) -> None:
    """显示一个导入方案的内容。"""
    from hudang.forms.import_profiles import Profile
    from hudang.pipeline.app.import_profiles import get_profile

    with session(ctx) as s:
        result = get_profile(s, name)

    def human(p: Profile) -> None:
        click.echo(p.as_toml().rstrip())
    show(result, as_json, human)


@import_profile.command("remove")
@click.argument("name")
@json_option
@click.pass_context
def remove(ctx: click.Context, name: str, as_json: bool) -> None:
    """删除本处保存的导入方案。"""
    from hudang.pipeline.app.import_profiles import remove_profile

    with session(ctx) as s:
        result = {"removed": name, "path": str(remove_profile(s, name))}
    emit(result, as_json, lambda d: click.echo(f"已删除导入方案“{d['removed']}”"))
