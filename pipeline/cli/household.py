"""Commands over a household through time: `household moveout`, and lending paper originals (`lend`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hudang.pipeline.cli.support import CONTEXT, day, json_option, session, show

if TYPE_CHECKING:
    from hudang.pipeline.app.household import Certificate, Loans, LoanView, MovedOut


@click.command("moveout")
@click.argument("address")
@click.option("--person", required=True, help="迁出人姓名（须是登记在住的人员）")
@click.option("--date", "when", required=True, metavar="YYYY-MM-DD", help="迁出日期")
@json_option
def household_moveout(address: str, person: str, when: str, as_json: bool) -> None:
    """登记住户人员迁出（作为该户档案中的一条事件）；此后不再列为现住人员。"""
    from hudang.pipeline.app import household

    with session() as s:
        result = household.moveout(s, address, person, day(when, "--date"))

    def human(d: MovedOut) -> None:
        click.echo(f"已登记迁出：{d.household} {d.person}（{d.date}）")
        click.echo("现住人员：" + ("、".join(f"{p['name']}（{p['role']}）" for p in d.occupants) or "无"))
    show(result, as_json, human)


@click.command("certificate")
@click.argument("address")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="证明截至哪一天（默认今天）")
@json_option
def household_certificate(address: str, as_of: str | None, as_json: bool) -> None:
    """出具《欠费证明》或《无欠费证明》（一页 DOCX 和 PDF，编号如〔2026〕证字第001号），并作为“文件”归入该户档案。"""
    from hudang.pipeline.app import household

    with session() as s:
        result = household.certificate(s, address, day(as_of, "--as-of"))

    def human(d: Certificate) -> None:
        x = d.data
        for w in x["warnings"]:
            click.echo(f"注意：{w}", err=True)
        click.echo(f"{x['title']} {x['number']}：{x['household']}（现业主 {x['owner']}）截至 {x['as_of']}"
                   + (f"，未缴 {len(x['rows'])} 项，合计 {x['total']} 元" if x["rows"] else "，无欠费"))
        click.echo(f"已归档：{x['record_id']}（{x['archive_no']}）")
        for kind in ("docx", "pdf"):
            if x[kind]:
                click.echo(f"{kind.upper()}：{x[kind]}")
    show(result, as_json, human)


@click.group("lend", context_settings=CONTEXT)
def lend_group() -> None:
    """纸质档案借阅登记：借出、归还、查看（逾期未还的也列入 hudang due）。"""


def _print_loan(loan: dict[str, object]) -> None:
    state = f"已于 {loan['returned']} 归还" if loan["returned"] else (
        f"逾期 {loan['days_late']} 天未还" if loan["overdue"] else "借出中")
    click.echo(f"  {loan['loan_id']}  {loan['household']:22} 借给 {loan['to']}（{loan['purpose']}）"
               f"  {loan['out']} 借出，应还 {loan['due']}  {state}")


@lend_group.command("out")
@click.argument("address")
@click.option("--to", "to", required=True, help="借阅人（姓名或单位）")
@click.option("--purpose", required=True, help="借阅事由，如 诉讼、查阅、移交")
@click.option("--due", "due_date", required=True, metavar="YYYY-MM-DD", help="应还日期")
@json_option
def lend_out(address: str, to: str, purpose: str, due_date: str, as_json: bool) -> None:
    """借出一户的纸质档案原件。ADDRESS 如 金第花园/3-2-1201。"""
    from hudang.pipeline.app import household

    with session() as s:
        result = household.lend_out(s, address, to, purpose, day(due_date, "--due"))

    def human(d: LoanView) -> None:
        click.echo("已登记借出：")
        _print_loan(d.loan)
    show(result, as_json, human)


@lend_group.command("return")
@click.argument("loan_id")
@click.option("--date", "when", default=None, metavar="YYYY-MM-DD", help="归还日期（默认今天）")
@json_option
def lend_return(loan_id: str, when: str | None, as_json: bool) -> None:
    """登记借出的档案已归还。LOAN_ID 如 L0000001。"""
    from hudang.pipeline.app import household

    with session() as s:
        result = household.lend_return(s, loan_id, day(when, "--date"))

    def human(d: LoanView) -> None:
        click.echo("已登记归还：")
        _print_loan(d.loan)
    show(result, as_json, human)


@lend_group.command("list")
@click.option("--overdue", is_flag=True, help="只列逾期未还的")
@click.option("--open", "open_only", is_flag=True, help="只列尚未归还的")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="按哪一天判断逾期（默认今天）")
@click.option("--estate", default=None, help="只看一个项目")
@json_option
def lend_list(overdue: bool, open_only: bool, as_of: str | None, estate: str | None, as_json: bool) -> None:
    """列出借阅登记。"""
    from hudang.pipeline.app import household

    with session() as s:
        result = household.lend_list(s, overdue_only=overdue, open_only=open_only, day=day(as_of, "--as-of"),
                                     estate=estate)

    def human(d: Loans) -> None:
        for loan in d.loans:
            _print_loan(loan)
        click.echo(f"共 {len(d.loans)} 次（截至 {d.as_of}）")
    show(result, as_json, human)
