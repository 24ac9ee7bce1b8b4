"""Commands for management's figures: the monthly report, registers (台账) and the daily follow-up list."""

from __future__ import annotations

from typing import Any

import click

from hudang.pipeline.cli.support import CONTEXT, day, emit, json_option
from hudang.pipeline.cli.support import session as open_session


@click.group(context_settings=CONTEXT)
def report() -> None:
    """报表：客服接待月报表。"""


@report.command("monthly")
@click.argument("month")
@click.option("--estate", default=None, help="项目（名称或别名）；不写则统计全部项目")
@click.option("--issue", is_flag=True, help="签发：归档本次版本（签发版本永不覆盖）")
@click.option("--no-pdf", is_flag=True, help="不生成 PDF（只写 DOCX 和 XLSX）")
@click.option("--figures-only", is_flag=True, help="只计算数字，不写文件")
@json_option
@click.pass_context
def report_monthly(ctx: click.Context, month: str, estate: str | None, issue: bool, no_pdf: bool,
                   figures_only: bool, as_json: bool) -> None:
    """客服接待月报表：MONTH 如 2026-10。写出 DOCX、XLSX 和 PDF（在数据目录 reports/ 下）。"""
    from hudang.pipeline.app import reports
    from hudang.pipeline.reports.analysis import pct, yuan

    with open_session(ctx) as session:
        result = reports.monthly(session, month, estate, issue=issue, pdf=not no_pdf, write=not figures_only)
    for message in result.messages:
        click.echo(message, err=True)

    def human(d: dict[str, Any]) -> None:
        c, r, s, f = d["complaints"], d["repairs"], d["satisfaction"], d["fees"]
        click.echo(f"{d['month']} 客服接待月报表（{estate or '全部项目'}）")
        click.echo(f"  投诉 {c['total']} 件：办结 {c['closed']}（处理率 {pct(c['handling_rate'])}），"
                   f"时限内 {c['on_time']}（及时率 {pct(c['timely_rate'])}）")
        click.echo(f"  报修 {r['total']} 件：完成 {r['completed']}（{pct(r['completion_rate'])}），"
                   f"回访 {r['revisited']}（回访率 {pct(r['revisit_rate'])}，及时率 {pct(r['revisit_timely_rate'])}），"
                   f"返修 {r['rework']}（{pct(r['rework_rate'])}）")
        click.echo(f"  满意率 {pct(s['satisfaction_rate'])}（{s['satisfied']}/{s['with_result']}）；"
                   f"新入住登记 {d['registrations']['total']} 户")
        click.echo("  收费：" + (f"应收 {yuan(f['billed'])}，实收 {yuan(f['collected'])}，"
                                f"收缴率 {pct(f['collection_rate'])}" if f else "无本月收费台账"))
        for path in d["outputs"]:
            click.echo(f"  → {path}")
    emit(result.as_json(), as_json, human)


@click.command("register")
@click.argument("form_name", metavar="FORM")
@click.option("--estate", default=None, help="项目（名称或别名）；不写则为全部项目")
@click.option("--from", "date_from", required=True, help="起始日期（含），如 2026-10-01")
@click.option("--to", "date_to", required=True, help="截止日期（含），如 2026-10-31")
@json_option
@click.pass_context
def register(ctx: click.Context, form_name: str, estate: str | None, date_from: str, date_to: str,
             as_json: bool) -> None:
    """台账：把一种表单在一段时间内的记录写成 XLSX 登记台账（证件号码、电话已打码）。

    FORM 写“借阅”时生成纸质档案的《借阅登记簿》。"""
    from hudang.pipeline.app import reports

    since, until = day(date_from, "--from"), day(date_to, "--to")
    with open_session(ctx) as session:
        result = reports.register(session, form_name, estate, since, until)
    emit(result.as_json(), as_json, lambda d: click.echo(f"{d['register']}：{d['from']} 至 {d['to']} 共 {d['rows']} 件 → {d['path']}"))


@click.command("due")
@click.option("--as-of", "as_of", default=None, help="日期（默认今天），按当天结束时计算")
@click.option("--estate", default=None, help="项目（名称或别名）")
@json_option
@click.pass_context
def due(ctx: click.Context, as_of: str | None, estate: str | None, as_json: bool) -> None:
    """每日跟进清单：将到期或已超期的投诉、超时未回访的维修、应进入下一步催缴的住户。"""
    from hudang.pipeline.app import reports

    when = day(as_of, "--as-of")
    with open_session(ctx) as session:
        result = reports.due(session, when, estate)

    def human(d: dict[str, Any]) -> None:
        click.echo(f"跟进清单（截至 {d['as_of']} 日终{'，' + d['estate'] if d['estate'] else ''}）")
        click.echo(f"\n投诉（未办结，已超期或一天内到期）：{len(d['complaints'])} 件")
        for c in d["complaints"]:
            late = f"超期 {c['days_late']} 天" if c["days_late"] > 0 else f"还剩 {abs(c['days_late'])} 天"
            click.echo(f"  [{c['state']}] {c['number']:14} {c['household']:22} {c['severity']}  期限 {c['deadline']}  {late}")
        click.echo(f"\n维修（已完成未回访，已过回访期限）：{len(d['repairs'])} 件")
        for r in d["repairs"]:
            click.echo(f"  [{r['state']}] {r['number']:14} {r['household']:22} {r['category']}  "
                       f"回访期限 {r['deadline']}  超期 {r['days_late']} 天")
        click.echo(f"\n催缴（应进入下一步的住户）：{len(d['dunning'])} 户")
        for x in d["dunning"]:
            since = f"  自 {x['deadline']} 起（{x['days_late']} 天）" if x["deadline"] else ""
            click.echo(f"  [{x['step']}] {x['household']:22} 欠费 ¥{x['amount']}{since}")
        if d["prior_owner_arrears"]:
            click.echo(f"\n过户前欠费（原业主，不向现业主催缴）：{len(d['prior_owner_arrears'])} 户")
            for p in d["prior_owner_arrears"]:
                click.echo(f"  {p['household']:22} 原业主 {p['owner']}（{p['transfer_date']} 过户）欠费 ¥{p['amount']}"
                           f"  所属期间 {'、'.join(p['periods'])}")
        click.echo(f"\n借阅（纸质档案逾期未还）：{len(d['loans'])} 次")
        for loan in d["loans"]:
            click.echo(f"  {loan['loan_id']} {loan['household']:22} 借给 {loan['to']}（{loan['purpose']}）"
                       f"  应还 {loan['due']}  逾期 {loan['days_late']} 天")
    emit(result.as_json(), as_json, human)


COMMANDS = (report, register, due)
