"""Commands for backups: `backup create|verify|restore`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from hudang.pipeline.cli.support import CONTEXT, emit, json_option
from hudang.pipeline.cli.support import session as open_session


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


@click.group("backup", context_settings=CONTEXT)
def backup_group() -> None:
    """备份与恢复整个数据目录（档案、目录数据库、审计日志、密钥、配置、模板……）。"""


@backup_group.command("create")
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@click.option("--init", "init", is_flag=True, help="首次备份到一个空文件夹时加上：把它标记为本数据目录的备份位置")
@click.option("--keep", type=click.IntRange(1, 10000), help="保留的备份代数（默认见 config.toml [backup] keep）")
@json_option
@click.pass_context
def backup_create(ctx: click.Context, dest: Path | None, init: bool, keep: int | None, as_json: bool) -> None:
    """写一代新的备份到 DEST（默认 config.toml [backup] dest）；接收服务运行时也可备份。"""
    from hudang.pipeline.app import backup

    with open_session(ctx) as session:
        made = backup.create(session, dest, init=init, keep=keep)

    def human(d: dict[str, Any]) -> None:
        for w in d["warnings"]:
            click.echo(f"注意：{w}", err=True)
        click.echo(f"已备份：{d['path']}（记录 {d['records']} 条，档案单元 {d['units']} 个，"
                   f"其中新增 {d['units_new']} 个、与已有备份共用 {d['units_shared']} 个；"
                   f"新复制 {d['files_copied']} 个文件 {_size(d['bytes_copied'])}，"
                   f"未变的 {d['files_linked']} 个文件与上一代共用）")
        if d["pruned"]:
            click.echo(f"已删除较早的备份：{'、'.join(d['pruned'])}"
                       + (f"（及不再使用的档案单元 {d['units_removed']} 个）" if d["units_removed"] else ""))
    emit(made.as_json(), as_json, human)


@backup_group.command("verify")
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@click.option("--all", "every", is_flag=True, help="检查每一代备份（默认只查最新一代）")
@json_option
@click.pass_context
def backup_verify(ctx: click.Context, dest: Path | None, every: bool, as_json: bool) -> None:
    """逐个文件核对备份；有任何不符则退出码为 1。"""
    from hudang.pipeline.app import backup

    with open_session(ctx) as session:
        result = backup.verify(session, dest, every=every)

    def human(d: dict[str, Any]) -> None:
        for g in d["generations"]:
            click.echo(f"{g['generation']}：已检查 {g['checked']} 个档案文件，"
                       + ("全部一致" if g["ok"] else f"发现 {len(g['problems'])} 处问题"))
            for p in g["problems"]:
                where = f"（备份中位于 {p['where']}）" if p.get("where") else ""
                click.echo(f"  ✗ {p['path']}：{p['message']}{where}")
    emit(result.as_json(), as_json, human)
    if not result.ok:
        sys.exit(1)


@backup_group.command("restore")
@click.argument("dest", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--generation", help="恢复哪一代（默认最新一代），如 20261203-023000")
@json_option
def backup_restore(dest: Path, target: Path, generation: str | None, as_json: bool) -> None:
    """从 DEST 的备份恢复出一个数据目录到 TARGET（必须为空或不存在），并重建检索索引、校验。"""
    from hudang.pipeline.app import backup

    result = backup.restore(dest, target, generation)

    def human(d: dict[str, Any]) -> None:
        click.echo(f"已从备份 {d['generation']} 恢复到 {d['target']}：记录 {d['records']} 条，"
                   f"检索索引 {d['indexed']} 个文档；校验" + ("全部一致" if d["verify_ok"] else "发现问题"))
        for p in d["problems"]:
            click.echo(f"  ✗ {p['path']}：{p['message']}")
    emit(result.as_json(), as_json, human)
    if not result.verify_ok:
        sys.exit(1)
