"""Commands for fees and dunning: `fees show|arrears`, `letters dunning|sent|delivered|returned`, `reminders add`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hudang.pipeline.cli.support import CONTEXT, day, emit, json_option
from hudang.pipeline.cli.support import session as open_session
from hudang.pipeline.dunning.fees import CALLS  # what an archivist may log by hand (light: data only)

# ---- fees ----

@click.group(context_settings=CONTEXT)
def fees_group() -> None:
    """物业费：每户的收费明细、欠费和催缴进度。"""


@fees_group.command("show")
@click.argument("address")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="按哪一天计算（默认今天）")
@json_option
@click.pass_context
def fees_show(ctx: click.Context, address: str, as_of: str | None, as_json: bool) -> None:
    """一户的收费明细、欠费合计和催缴进度（及原因）。ADDRESS 如 金第花园/3-2-1201。"""
    from hudang.pipeline.app import fees

    when = day(as_of, "--as-of")
    with open_session(ctx) as session:
        result = fees.statement(session, address, when)

    def human(d: dict[str, Any]) -> None:
        click.echo(f"{d['household']}（{d['display']}）截至 {d['as_of']}")
        if not d["rows"]:
            click.echo("  收费台账中没有这一户的记录")
        for r in d["rows"]:
            flag = "  逾期" if r["overdue"] else ""
            whose = f"  （{r['owner']}）" if r["owner"] else ""
            click.echo(f"  {r['period']}  {r['item']:10} 应收 {r['due']:>10}  实收 {r['paid_at_as_of']:>10}"
                       f"  欠费 {r['owed']:>10}{flag}{whose}")
        click.echo(f"欠费合计：{d['arrears']} 元" + (f"（现业主 {d['owner']}）" if d["owner"] else ""))
        for p in d["prior_owner_arrears"]:
            click.echo(f"过户前欠费：原业主 {p['owner']}（{p['until']} 过户）{p['amount']} 元，"
                       f"所属期间 {'、'.join(p['periods'])}，不向现业主催缴")
        for r in d["reminders"]:
            extra = f" {r['letter_number']}" if r["letter_number"] else ""
            click.echo(f"  催缴 {r['date']} {r['method']}{extra}")
        click.echo(f"催缴进度：{d['step_text']}（{d['reason']}）")
    emit(result.as_json(), as_json, human)


@fees_group.command("arrears")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="按哪一天计算（默认今天）")
@click.option("--estate", help="只看一个项目")
@json_option
@click.pass_context
def fees_arrears(ctx: click.Context, as_of: str | None, estate: str | None, as_json: bool) -> None:
    """列出所有欠费的住户及其催缴进度。"""
    from hudang.pipeline.app import fees

    when = day(as_of, "--as-of")
    with open_session(ctx) as session:
        result = fees.arrears(session, when, estate)

    def human(d: dict[str, Any]) -> None:
        for h in d["households"]:
            click.echo(f"  {h['household']:24} 欠费 {h['arrears']:>10}  {h['step_text']}")
        click.echo(f"共 {len(d['households'])} 户欠费，合计 {d['total']} 元（截至 {d['as_of']}）")
    emit(result.as_json(), as_json, human)


# ---- letters ----

@click.group("letters", context_settings=CONTEXT)
def letters_group() -> None:
    """催缴函：生成、寄出、送达、退回。"""


@letters_group.command("dunning")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", required=True, help="催缴函的日期（按这一天判断欠费）")
@click.option("--estate", help="只处理一个项目")
@click.option("--dry-run", is_flag=True, help="只列出，不生成文件、不占用函号")
@click.option("--workers", type=click.IntRange(1, 64), help="生成 DOCX 的进程数（默认 CPU 核数）")
@json_option
@click.pass_context
def letters_dunning(ctx: click.Context, as_of: str, estate: str | None, dry_run: bool, workers: int | None,
                    as_json: bool) -> None:
    """按催缴流程生成催缴函（DOCX、PDF、合并打印文件、特快专递寄件清单），并归入各户档案。"""
    from hudang.pipeline.app import letters

    when = day(as_of, "--as-of")
    with open_session(ctx) as session:
        result = letters.dunning(session, when, estate=estate, dry_run=dry_run, workers=workers)

    def human(d: dict[str, Any]) -> None:
        for w in d["warnings"]:
            click.echo(f"注意：{w}", err=True)
        for x in d["letters"]:
            click.echo(f"  催缴函 {x['number'] or '（试算）'}  {x['household']:24} 欠费 {x['amount']:>10}"
                       f"  {'、'.join(x['periods'])}")
        for x in d["escalations"]:
            proof = "已有送达回执" if x["delivery_proven"] else "送达未证实"
            click.echo(f"  上门/法律途径 {x['household']:24} 欠费 {x['amount']:>10}  函件 {x['letter_number'] or '—'}"
                       f"（{x['letter_date']}，{proof}）")
        for x in d["reminders"]:
            click.echo(f"  电话/短信催缴 {x['household']:24} 欠费 {x['amount']:>10}")
        verb = "将生成" if d.get("dry_run") else "已生成"
        click.echo(f"{verb}催缴函 {len(d['letters'])} 封；待上门或法律途径 {len(d['escalations'])} 户；"
                   f"待电话/短信催缴 {len(d['reminders'])} 户（截至 {d['as_of']}）")
        if d["outputs"].get("folder"):
            click.echo(f"文件夹：{d['outputs']['folder']}")
    emit(result.as_json(), as_json, human)


def _state_command(state: str, help_text: str, with_receipt: bool = False) -> None:
    @click.argument("number")
    @click.option("--estate", help="函号在多个项目中重复时指定项目")
    @click.option("--date", "on", metavar="YYYY-MM-DD", help="日期（默认今天）")
    @click.option("--tracking", help="特快专递邮件号", required=state == "delivered")
    @click.option("--note", help="备注")
    @json_option
    @click.pass_context
    def command(ctx: click.Context, number: str, estate: str | None, on: str | None, tracking: str | None,
                note: str | None, as_json: bool, receipt: Path | None = None) -> None:
        from hudang.pipeline.app import letters

        when = day(on, "--date")
        with open_session(ctx) as session:
            result = letters.track(session, number, state, estate=estate, day=when, tracking=tracking,
                                   receipt=receipt, note=note)
        emit(result.as_json(), as_json,
             lambda d: click.echo(f"催缴函 {d['number']}（{d['household']}）：{d['state_text']}"
                                  + ("，送达回执已归档" if d["delivery_proven"] else "")))
    command.__doc__ = help_text
    if with_receipt:
        command = click.option("--receipt", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                               help="签收的送达回执扫描件（归入该函件的档案）")(command)
    letters_group.command(state)(command)


_state_command("sent", "登记催缴函已寄出（特快专递邮件号）。NUMBER 如 〔2026〕催字第015号 或 2026-015。")
_state_command("delivered", "登记催缴函已送达，可附签收的送达回执。NUMBER 如 〔2026〕催字第015号 或 2026-015。",
               with_receipt=True)
_state_command("returned", "登记催缴函被退回。NUMBER 如 〔2026〕催字第015号 或 2026-015。")


# ---- reminders ----

@click.group("reminders", context_settings=CONTEXT)
def reminders_group() -> None:
    """催缴记录：登记电话、短信、上门催缴。"""


@reminders_group.command("add")
@click.argument("address")
@click.option("--method", required=True, type=click.Choice(list(CALLS)), help="催缴方式")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="催缴日期（默认今天）")
@click.option("--note", help="备注")
@json_option
@click.pass_context
def reminders_add(ctx: click.Context, address: str, method: str, on: str | None, note: str | None,
                  as_json: bool) -> None:
    """登记一次催缴（归档为一条催缴记录）。ADDRESS 如 金第花园/3-2-1201。"""
    from hudang.pipeline.app import fees

    with open_session(ctx) as session:
        result = fees.add_reminder(session, address, method, day(on, "--date"), note)
    emit(result.as_json(), as_json, lambda d: click.echo(f"已登记催缴：{d['household']} {d['date']} {d['method']}"
                                             f"（{d['import_id']}）"))


