"""Commands over the archive: household and record views, corrections, quarantine, forms, estates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hudang.pipeline.cli.support import CONTEXT, emit, json_option, session, show
from hudang.pipeline.cli.support import session as open_session

if TYPE_CHECKING:
    from hudang.pipeline.app.catalogue import EstateAdded, Estates, Forms
    from hudang.pipeline.app.quarantine import Dismissed, Quarantined, Retries
    from hudang.pipeline.app.records import Attached, HouseholdView, Moved, RecordView, Voided

# ---- household / record ----

@click.group(context_settings=CONTEXT)
def household() -> None:
    """查看住户档案。"""


@household.command("show")
@click.argument("address")
@click.option("--all", "include_voided", is_flag=True, help="同时列出已作废的记录")
@json_option
def household_show(address: str, include_voided: bool, as_json: bool) -> None:
    """显示一户的档案：登记信息，然后按时间列出全部记录。ADDRESS 如 金第花园/3-2-1201。"""
    from hudang.pipeline.app import records

    with session() as s:
        result = records.household(s, address, include_voided=include_voided)

    def human(d: HouseholdView) -> None:
        click.echo(f"{d.estate} {d.display}（{d.household}）")
        if d.owner:
            click.echo(f"房屋清单业主：{d.owner}  建筑面积：{d.area or '—'}")
        if d.owners:
            click.echo("\n业主（按时间）")
            for o in d.owners:
                since = o["from"] or "登记前"
                until = "至今（现业主）" if o["current"] else f"至 {o['to']}"
                how = ("过户（名单导入认定，日期为导入日），" if o.get("transfer_by_import")
                       else "过户，" if o["transfer"] else "")
                click.echo(f"  {o['name']}：{since} {until}（{how}{o['archive_no'] or '房屋清单'}）")
        if d.occupants:
            click.echo("现住人员：" + "、".join(f"{p['name']}（{p['role']}）" for p in d.occupants))
        for p in d.former_occupants:
            click.echo(f"  已离开：{p['name']}（{p['date']} {p['how']}）")
        for loan in d.loans:
            late = " [已逾期]" if loan["overdue"] else ""
            click.echo(f"借出：{loan['loan_id']} 借给 {loan['to']}（{loan['purpose']}），应还 {loan['due']}{late}")
        reg = d.registration
        if reg:
            click.echo(f"\n住户登记（{reg['archive_no']}）")
            for k, v in reg["fields"].items():
                click.echo(f"  {k}：{v}")
        else:
            click.echo("\n尚无住户登记表")
        click.echo(f"\n档案记录（{len(d.records)} 件）")
        for r in d.records:
            void = " [已作废]" if r["voided"] else ""
            if r.get("letter"):
                void += f" [{r['letter']['state_text']}]"
            if r.get("current") is False:
                void += " [非现登记]"
            click.echo(f"  {r['date'] or '—':10}  {r['archive_no']:22} {r['form_name']:8} 第{r['version']}版"
                       f"  {r['summary']}{void}")
        for m in d.moves:
            arrow = "转出至" if m["direction"] == "out" else "转入自"
            other = m["to"] if m["direction"] == "out" else m["from"]
            click.echo(f"  {m['at'][:10]}  {m['archive_no']} {arrow} {other}（{m['reason']}）")
        if d.exports:
            click.echo(f"\n调档记录（{len(d.exports)} 次）")
        for e in d.exports:
            scope = f"完整信息，事由：{e['reason']}" if e["full"] else "个人信息已打码"
            click.echo(f"  {(e['at'] or '')[:16]}  {e['export_id']}  {e['purpose']}  {e['user']}  "
                       f"{e['items']} 件 {e['pages']} 页（{scope}）")
    show(result, as_json, human)


@household.command("summary")
@click.argument("address")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="欠费按哪一天计算（默认今天）")
@json_option
@click.pass_context
def household_summary(ctx: click.Context, address: str, as_of: str | None, as_json: bool) -> None:
    """生成一户的《户档摘要》（一页 DOCX 和 PDF）：住户、未办结事项、欠费与催缴、档案记录。"""
    from hudang.pipeline.app.reports import household_summary as summary
    from hudang.pipeline.cli.support import day

    when = day(as_of, "--as-of")
    with open_session(ctx) as session:
        data = summary(session, address, when).as_json()

    def human(d: dict[str, Any]) -> None:
        for w in d["outputs"]["warnings"]:
            click.echo(f"注意：{w}", err=True)
        click.echo(f"{d['household']} 户档摘要：欠费 {d['arrears']} 元（{d['step']}），未办结 {len(d['open_items'])} 件，"
                   f"档案记录 {d['record_count']} 件")
        click.echo(f"DOCX：{d['outputs']['docx']}")
        if d["outputs"]["pdf"]:
            click.echo(f"PDF：{d['outputs']['pdf']}")
    emit(data, as_json, human)


@click.group(context_settings=CONTEXT)
def record() -> None:
    """查看和更正单条档案记录（移档、作废、附件）。"""


@record.command("show")
@click.argument("record_id")
@click.option("--reveal", is_flag=True, help="显示完整证件号和电话（会写入审计日志）")
@click.option("--reason", default=None, help="查看完整信息的原因（与 --reveal 一起使用，写入审计日志）")
@json_option
def record_show(record_id: str, reveal: bool, reason: str | None, as_json: bool) -> None:
    """显示一条记录：字段、各版本、文件、事件。"""
    from hudang.pipeline.app import records

    with session() as s:
        result = records.record(s, record_id, reveal=reveal, reason=reason)

    def human(d: RecordView) -> None:
        void = f"  [已作废：{d.void_reason}]" if d.voided else ""
        click.echo(f"{d.archive_no}  {d.form_name}  {d.household}  {d.record_id}{void}")
        for k, v in d.fields.items():
            click.echo(f"  {k}：{v}{'（附加栏目）' if k in d.extra_fields else ''}")
        click.echo("版本：")
        for v in d.versions:
            click.echo(f"  第{v['version']}版 {v['received_at']} {v['source_name']} sha256={v['sha256'][:12]}…")
        for e in d.events:
            click.echo(f"  事件 {e['unit']} {e['kind']} {e['at']} {e.get('reason') or ''}")
        for a in d.attachments:
            click.echo(f"  附件 {a['unit']} {a['name']} {a.get('note') or ''}")
    show(result, as_json, human)


@record.command("move")
@click.argument("record_id")
@click.argument("address")
@click.option("--reason", required=True, help="移档原因（写入审计日志）")
@json_option
def record_move(record_id: str, address: str, reason: str, as_json: bool) -> None:
    """把误归档的记录移到另一户（原户档案显示转出）。"""
    from hudang.pipeline.app import records

    with session() as s:
        result = records.move(s, record_id, address, reason)

    def human(d: Moved) -> None:
        click.echo(f"已移档：{d.record_id} {d.source} → {d.target}")
    show(result, as_json, human)


@record.command("void")
@click.argument("record_id")
@click.option("--reason", required=True, help="作废原因")
@json_option
def record_void(record_id: str, reason: str, as_json: bool) -> None:
    """作废误录的记录：保留在档案中，但不再出现在检索和报表里。"""
    from hudang.pipeline.app import records

    with session() as s:
        result = records.void(s, record_id, reason)

    def human(d: Voided) -> None:
        click.echo(f"已作废：{d.record_id}（{d.reason}）")
    show(result, as_json, human)


@record.command("attach")
@click.argument("record_id")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--note", default="", help="附件说明，如 委托书、身份证复印件")
@json_option
def record_attach(record_id: str, file: Path, note: str, as_json: bool) -> None:
    """给记录添加附件（证件复印件、委托书、照片、签收单），随记录做校验。"""
    from hudang.pipeline.app import records

    with session() as s:
        result = records.attach(s, record_id, file, note)

    def human(d: Attached) -> None:
        click.echo(f"已添加附件 {d.attachment}：{d.name}")
    show(result, as_json, human)


# ---- quarantine ----

@click.group(context_settings=CONTEXT)
def quarantine() -> None:
    """隔离区：未通过检查的文件及原因。"""


@quarantine.command("list")
@click.option("--resolved", is_flag=True, help="列出已重试处理的记录")
@click.option("--dismissed", is_flag=True, help="列出已搁置的记录")
@json_option
def quarantine_list(resolved: bool, dismissed: bool, as_json: bool) -> None:
    """列出隔离的文件和原因（已搁置的另列，用 --dismissed 查看）。"""
    from hudang.pipeline.app import quarantine as q

    with session() as s:
        result = q.entries(s, resolved=resolved, dismissed=dismissed)

    def human(d: Quarantined) -> None:
        if not d.entries:
            click.echo("没有已搁置的隔离记录" if dismissed else "隔离区为空")
        for e in d.entries:
            click.echo(f"{e['id']}  {e.get('source')}  {e.get('form_name') or ''}")
            if e.get("dismissed"):
                note = e["dismissed"]
                click.echo(f"    已搁置：{note.get('reason')}（{note.get('by')}，{note.get('at')}）")
            for p in e.get("problems", []):
                row = f"第{p['row']}行 " if p.get("row") else ""
                click.echo(f"    {row}{p.get('field') or ''} {p['message']}")
    show(result, as_json, human)


@quarantine.command("retry")
@click.argument("ids", nargs=-1)
@json_option
def quarantine_retry(ids: tuple[str, ...], as_json: bool) -> None:
    """改正后重新接收隔离的文件（不写编号则重试全部）。"""
    from hudang.pipeline.app import quarantine as q
    from hudang.pipeline.intake.outcomes import STATUS_TEXT

    with session() as s:
        result = q.retry(s, list(ids))

    def human(d: Retries) -> None:
        for r in d.results:
            out = r.outcome
            click.echo(f"{r.id}  {STATUS_TEXT.get(out['status'], out['status'])}  {out.get('household') or ''}")
            for e in out.get("errors", []):
                click.echo(f"    {e.get('field') or ''} {e['message']}")
    show(result, as_json, human)


@quarantine.command("dismiss")
@click.argument("qid", metavar="ID")
@click.option("--reason", required=True, help="搁置原因（写入审计日志）")
@json_option
def quarantine_dismiss(qid: str, reason: str, as_json: bool) -> None:
    """把隔离记录设为“已搁置”：文件和报告保留，另列（quarantine list --dismissed），可用 restore 恢复。"""
    from hudang.pipeline.app import quarantine as q

    with session() as s:
        result = q.dismiss(s, qid, reason)

    def human(d: Dismissed) -> None:
        click.echo(f"{d.id} 已搁置：{d.reason}")
    show(result, as_json, human)


@quarantine.command("restore")
@click.argument("qid", metavar="ID")
@json_option
def quarantine_restore(qid: str, as_json: bool) -> None:
    """把已搁置的隔离记录恢复为待处理。"""
    from hudang.pipeline.app import quarantine as q

    with session() as s:
        result = q.restore(s, qid)

    def human(d: Dismissed) -> None:
        click.echo(f"{d.id} 已恢复为待处理")
    show(result, as_json, human)


# ---- forms, estates ----

@click.group(context_settings=CONTEXT)
def forms() -> None:
    """表单类型（以数据定义，可在数据目录 forms/ 中添加）。"""


@forms.command("list")
@json_option
def forms_list(as_json: bool) -> None:
    """列出已知的表单类型。"""
    from hudang.pipeline.app import catalogue

    with session() as s:
        result = catalogue.forms(s)

    def human(d: Forms) -> None:
        for f in d.forms:
            click.echo(f"{f.id:14} {f.name:10} 代码 {f.code}  {len(f.fields)} 个字段"
                       f"  别名：{'、'.join(f.aliases)}")
    show(result, as_json, human)


@click.group(context_settings=CONTEXT)
def estates() -> None:
    """项目（小区）及其别名。"""


@estates.command("add")
@click.argument("name")
@click.option("--alias", "aliases", multiple=True, help="别名（可多次）")
@click.option("--code", default=None, help="项目代码，用于档号（默认 E01、E02……）")
@json_option
def estates_add(name: str, aliases: tuple[str, ...], code: str | None, as_json: bool) -> None:
    """添加项目（没有房屋清单时，接受任何格式正确的房号）。"""
    from hudang.pipeline.app import catalogue

    with session() as s:
        result = catalogue.add_estate(s, name, list(aliases), code)

    def human(d: EstateAdded) -> None:
        click.echo(f"{'已添加' if d.created else '已更新'}项目：{d.name}（代码 {d.code}）")
    show(result, as_json, human)


@estates.command("list")
@json_option
def estates_list(as_json: bool) -> None:
    """列出项目、别名和房屋清单。"""
    from hudang.pipeline.app import catalogue

    with session() as s:
        result = catalogue.estates(s)

    def human(d: Estates) -> None:
        for e in d.estates:
            click.echo(f"{e.name}（{e.code}）房屋 {e.rooms} 间  别名：{'、'.join(e.aliases) or '—'}")
    show(result, as_json, human)
