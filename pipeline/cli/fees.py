"""Commands for fees and dunning: `fees show|arrears`, `letters dunning|sent|delivered|returned`, `reminders add`."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import Any

import click

from hudang.archive.store import Archive
from hudang.clock import now
from hudang.errors import UsageError, ValueProblem
from hudang.forms.definitions import load_forms
from hudang.forms.values import parse_date
from hudang.pipeline.cli.support import CONTEXT, audit, emit, json_option, with_archive
from hudang.pipeline.dunning import fees, letters
from hudang.settings import Home


def _day(text: str | None, option: str) -> dt.date:
    if not text:
        return now().date()
    try:
        return parse_date(text)
    except ValueProblem as exc:
        raise UsageError(f"{option} 日期无效：{exc.message}") from exc


def _estate(archive: Archive, text: str | None) -> str | None:
    if not text:
        return None
    name = archive.estates.resolve(text)
    if name is None:
        raise UsageError(f"未知的项目“{text}”", code="unknown_estate")
    return name


def _standing_json(s: fees.Standing) -> dict[str, Any]:
    basis = s.basis
    return {"household": s.household, "step": s.step, "step_text": s.step_text, "reason": s.reason,
            "arrears": f"{s.arrears:.2f}", "periods": s.periods,
            "basis": {"date": basis.date.isoformat(), "method": basis.method, "letter_number": basis.letter_number,
                      "source": basis.source} if basis else None}


# ---- fees ----

@click.group(context_settings=CONTEXT)
def fees_group() -> None:
    """物业费：每户的收费明细、欠费和催缴进度。"""


@fees_group.command("show")
@click.argument("address")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="按哪一天计算（默认今天）")
@json_option
@with_archive
def fees_show(home: Home, archive: Archive, address: str, as_of: str | None, as_json: bool) -> None:
    """一户的收费明细、欠费合计和催缴进度（及原因）。ADDRESS 如 金第花园/3-2-1201。"""
    day = _day(as_of, "--as-of")
    place = archive.estates.household(address)
    found = fees.standings(archive.conn, day, place.estate, place.key)
    rows = fees.fee_rows(archive.conn, place.estate, place.key)
    told = fees.reminders(archive.conn, place.estate, place.key)
    s = found[0] if found else fees.standing(place.estate, place.key, [], told, day)
    data = {"household": place.address, "display": place.display, "as_of": day.isoformat(), **_standing_json(s),
            "rows": [{"item": r.item, "period": r.period, "due": f"{r.due:.2f}", "paid": f"{r.paid:.2f}",
                      "paid_on": r.paid_on.isoformat() if r.paid_on else None,
                      "paid_at_as_of": f"{r.paid_at(day):.2f}", "owed": f"{r.owed_at(day):.2f}",
                      "overdue": r.overdue_at(day), "source": r.source} for r in rows],
            "reminders": [{"date": r.date.isoformat(), "method": r.method, "note": r.note,
                           "letter_number": r.letter_number, "source": r.source}
                          for r in sorted(told, key=lambda r: r.date)]}

    def human(d: dict[str, Any]) -> None:
        click.echo(f"{d['household']}（{d['display']}）截至 {d['as_of']}")
        if not d["rows"]:
            click.echo("  收费台账中没有这一户的记录")
        for r in d["rows"]:
            flag = "  逾期" if r["overdue"] else ""
            click.echo(f"  {r['period']}  {r['item']:10} 应收 {r['due']:>10}  实收 {r['paid_at_as_of']:>10}"
                       f"  欠费 {r['owed']:>10}{flag}")
        click.echo(f"欠费合计：{d['arrears']} 元")
        for r in d["reminders"]:
            extra = f" {r['letter_number']}" if r["letter_number"] else ""
            click.echo(f"  催缴 {r['date']} {r['method']}{extra}")
        click.echo(f"催缴进度：{d['step_text']}（{d['reason']}）")
    emit(data, as_json, human)


@fees_group.command("arrears")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="按哪一天计算（默认今天）")
@click.option("--estate", help="只看一个项目")
@json_option
@with_archive
def fees_arrears(home: Home, archive: Archive, as_of: str | None, estate: str | None, as_json: bool) -> None:
    """列出所有欠费的住户及其催缴进度。"""
    day = _day(as_of, "--as-of")
    found = [s for s in fees.standings(archive.conn, day, _estate(archive, estate)) if s.step != fees.STEP_NONE]
    data = {"as_of": day.isoformat(), "households": [_standing_json(s) for s in found],
            "total": f"{sum((s.arrears for s in found), fees.ZERO):.2f}"}

    def human(d: dict[str, Any]) -> None:
        for h in d["households"]:
            click.echo(f"  {h['household']:24} 欠费 {h['arrears']:>10}  {h['step_text']}")
        click.echo(f"共 {len(d['households'])} 户欠费，合计 {d['total']} 元（截至 {d['as_of']}）")
    emit(data, as_json, human)


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
@with_archive
def letters_dunning(home: Home, archive: Archive, as_of: str, estate: str | None, dry_run: bool,
                    workers: int | None, as_json: bool) -> None:
    """按催缴流程生成催缴函（DOCX、PDF、合并打印文件、特快专递寄件清单），并归入各户档案。"""
    day = _day(as_of, "--as-of")
    run = letters.dunning_run(home, archive, load_forms([home.forms_dir]), day, estate=_estate(archive, estate),
                              dry_run=dry_run, workers=workers)
    data = run.json(archive)
    if dry_run:
        data["dry_run"] = True
    elif run.letters:
        audit(home, "letters_dunning", as_of=day.isoformat(), letters=len(run.letters),
              folder=run.outputs.get("folder"))

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
    emit(data, as_json, human)


def _state_command(state: str, help_text: str, with_receipt: bool = False) -> None:
    @click.argument("number")
    @click.option("--estate", help="函号在多个项目中重复时指定项目")
    @click.option("--date", "day", metavar="YYYY-MM-DD", help="日期（默认今天）")
    @click.option("--tracking", help="特快专递邮件号", required=state == "delivered")
    @click.option("--note", help="备注")
    @json_option
    @with_archive
    def command(home: Home, archive: Archive, number: str, estate: str | None, day: str | None,
                tracking: str | None, note: str | None, as_json: bool, receipt: Path | None = None) -> None:
        with archive.writer():
            data = letters.record_state(archive, number, state, estate=_estate(archive, estate),
                                        day=_day(day, "--date"), tracking=tracking, receipt=receipt, note=note,
                                        user=getpass.getuser())
        audit(home, f"letter_{state}", record_id=data["record_id"], number=data["number"], tracking=tracking)
        emit(data, as_json, lambda d: click.echo(f"催缴函 {d['number']}（{d['household']}）：{d['state_text']}"
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
@click.option("--method", required=True, type=click.Choice(list(fees.CALLS)), help="催缴方式")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="催缴日期（默认今天）")
@click.option("--note", help="备注")
@json_option
@with_archive
def reminders_add(home: Home, archive: Archive, address: str, method: str, day: str | None, note: str | None,
                  as_json: bool) -> None:
    """登记一次催缴（归档为一条催缴记录）。ADDRESS 如 金第花园/3-2-1201。"""
    with archive.writer():
        place = archive.estates.household(address, strict=True)
        data = letters.add_reminder(home, archive, place, method, _day(day, "--date"), note, getpass.getuser())
    audit(home, "reminder_add", household=data["household"], method=method, date=data["date"])
    emit(data, as_json, lambda d: click.echo(f"已登记催缴：{d['household']} {d['date']} {d['method']}"
                                             f"（{d['import_id']}）"))


GROUPS = {"fees": fees_group, "letters": letters_group, "reminders": reminders_group}
