"""The ``hudang`` command: a thin layer that opens the data home, calls one function, prints.

Only `main()` turns errors into exit codes (0 done, 1 failed or found a problem, 2 wrong usage)
and messages: Chinese on stderr and, with ``--json``, ``{"error": {...}}`` on stdout.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hudang import __version__
from hudang.errors import HudangError
from hudang.pipeline.cli.support import (
    CONTEXT,
    HOST,
    PORT,
    PORTS,
    Lazy,
    LazyGroup,
    Partial,
    chinese,
    chinese_help,
    json_option,
    optional_day,
    session,
    show,
)

if TYPE_CHECKING:
    from hudang.pipeline.app.ingest import Ingested
    from hudang.pipeline.app.maintenance import Initialised, Rebuilt, Status, Verified
    from hudang.pipeline.app.search import Found
    from hudang.pipeline.intake.outcomes import Outcome


_CLI = "hudang.pipeline.cli."
# The commands of other modules, imported when one of them runs (start-up: a search loads no fee or scan code).
# The text is the first paragraph of each command's help: `hudang --help` lists it without an import.
LAZY = {
    "household": Lazy(_CLI + "archive", "household", "查看住户档案。",
                      extras=((_CLI + "export", "household_export"), (_CLI + "household", "household_moveout"),
                              (_CLI + "household", "household_certificate"))),
    "record": Lazy(_CLI + "archive", "record", "查看和更正单条档案记录（移档、作废、附件）。",
                   extras=((_CLI + "scans", "record_edit"),)),
    "quarantine": Lazy(_CLI + "archive", "quarantine", "隔离区：未通过检查的文件及原因。"),
    "forms": Lazy(_CLI + "archive", "forms", "表单类型（以数据定义，可在数据目录 forms/ 中添加）。",
                  extras=((_CLI + "scans", "forms_blank"), (_CLI + "scans", "forms_separator"))),
    "estates": Lazy(_CLI + "archive", "estates", "项目（小区）及其别名。"),
    "report": Lazy(_CLI + "reports", "report", "报表：客服接待月报表。"),
    "register": Lazy(_CLI + "reports", "register", "台账：把一种表单在一段时间内的记录写成 XLSX 登记台账（证件号码、电话已打码）。"),
    "due": Lazy(_CLI + "reports", "due", "每日跟进清单：将到期或已超期的投诉、超时未回访的维修、应进入下一步催缴的住户。"),
    "backup": Lazy(_CLI + "backup", "backup_group", "备份与恢复整个数据目录（档案、目录数据库、审计日志、密钥、配置、模板……）。"),
    "import-profile": Lazy(_CLI + "imports", "import_profile", "导入方案：别的系统或本处 Excel 的表格格式（工作表、表头行、列对应关系）。"),
    "users": Lazy(_CLI + "web", "users", "网页用户：添加、列出、停用、解锁、改密码、API 令牌。"),
    "serve": Lazy(_CLI + "web", "serve", "启动网页界面（gunicorn）。默认只在本机 127.0.0.1 访问。"),
    "lend": Lazy(_CLI + "household", "lend_group", "纸质档案借阅登记：借出、归还、查看（逾期未还的也列入 hudang due）。"),
    "fees": Lazy(_CLI + "fees", "fees_group", "物业费：每户的收费明细、欠费和催缴进度。"),
    "letters": Lazy(_CLI + "fees", "letters_group", "催缴函：生成、寄出、送达、退回。"),
    "reminders": Lazy(_CLI + "fees", "reminders_group", "催缴记录：登记电话、短信、上门催缴。"),
    "unsorted": Lazy(_CLI + "scans", "unsorted_group", "待分拣的扫描件（无法自动确定住户，或等待文字识别）。"),
    "assign": Lazy(_CLI + "scans", "assign", "把待分拣的扫描件归入一户。ADDRESS 如 金第花园/3-2-1201。"),
    "review": Lazy(_CLI + "scans", "review_group", "待核对的记录（扫描件上未能识别的字段）。"),
}


@click.group(cls=LazyGroup, lazy=LAZY, context_settings=CONTEXT)
@click.option("--home", envvar=None, metavar="DIR", help="数据目录（默认 $HUDANG_HOME，否则 ~/hudang）")
@click.version_option(__version__, prog_name="hudang")
@click.pass_context
def cli(ctx: click.Context, home: str | None) -> None:
    """户档 hudang：物业客服中心“一户一档”档案管理。"""
    ctx.ensure_object(dict)
    ctx.obj["home"] = home


# ---- init ----

@cli.command()
@json_option
@click.pass_context
def init(ctx: click.Context, as_json: bool) -> None:
    """创建数据目录（配置、收件夹、档案库、隔离区……）。"""
    from hudang.homes import resolve_root
    from hudang.pipeline.app.maintenance import init as init_home

    def human(r: Initialised) -> None:
        click.echo(f"{'已创建' if r.created else '已存在'}数据目录：{r.home}\n收件夹：{r.intake}")
    show(init_home(resolve_root(ctx.obj["home"])), as_json, human)


# ---- ingest ----

def _print_outcome(out: Outcome) -> None:
    from collections import Counter

    from hudang.forms.masking import mask_name
    from hudang.pipeline.intake.outcomes import STATUS_TEXT

    status = STATUS_TEXT.get(out.status, out.status)
    where = f" → {out.household}" if out.household else ""
    rec = f"  {out.archive_no}（{out.record_id} 第{out.version}版）" if out.record_id else ""
    kind = f"  {out.kind} {out.row_count} 行" if out.kind else ""
    moved = f"（由 {out.detail['moved_from']} 移入）" if out.detail.get("moved_from") else ""
    click.echo(f"[{status}] {mask_name(out.source)}{where}{rec}{kind}{moved}")
    if out.rows:
        counts = Counter(r.status for r in out.rows)
        click.echo("    " + "，".join(f"{STATUS_TEXT.get(s, s)} {n} 行" for s, n in counts.items()))
    for e in out.errors:
        row = f"第{e['row']}行 " if e.get("row") else ""
        click.echo(f"    ✗ {row}{e['field'] + ' ' if e['field'] else ''}{e['message']}".rstrip())
    for w in out.warnings:
        click.echo(f"    ! {w['field'] or ''} {w['message']}".rstrip())
    if out.detail.get("quarantine_id"):
        click.echo(f"    隔离编号 {out.detail['quarantine_id']}")
    if out.kind and "rows_read" in out.detail:
        click.echo("    " + _import_counts(out.detail))


_COUNTS = (("rows_read", "读到 {} 行"), ("rows_bad", "有问题 {} 行"), ("estates_new", "新项目 {}"),
           ("rooms", "房屋 {} 间"), ("households", "涉及住户 {} 户"), ("ledger_months", "收费月份 {} 条"),
           ("registrations_new", "新住户登记 {} 份"), ("registrations_changed", "住户登记新版本 {} 份"),
           ("registrations_unchanged", "未变的登记 {} 份"))


def _import_counts(detail: dict[str, Any]) -> str:
    """What an import table brings (or, with --dry-run, would bring) in, in one line."""
    parts = []
    for key, text in _COUNTS:
        value = detail.get(key)
        if isinstance(value, list):
            value = "、".join(value) if value else None
        if value:
            parts.append(text.format(value))
    return "，".join(parts)


def _print_ingested(result: Ingested) -> None:
    from collections import Counter

    from hudang.pipeline.intake.outcomes import STATUS_TEXT

    for out in result.outcomes:
        _print_outcome(out)
    counts = Counter(o.status for o in result.outcomes)
    if result.dry_run:
        click.echo("试导入：以上为将会导入的内容，未写入任何档案。")
    click.echo(f"共 {len(result.outcomes)} 个文件：" + "，".join(
        f"{STATUS_TEXT.get(s, s)} {n}" for s, n in counts.most_common()))
    if result.ocr_queue:
        filed = sum(r["status"] == "filed" for r in result.ocr_queue)
        click.echo(f"文字识别队列：识别 {len(result.ocr_queue)} 份，归档 {filed}，待分拣 {len(result.ocr_queue) - filed}")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workers", type=int, default=None, help="读取文件的进程数（默认 CPU 核数）")
@click.option("--estate", default=None, help="表格所属的项目：房屋清单、台账和批量表单中没有“项目”的行都归入该项目")
@click.option("--profile", default=None, help="按此导入方案读取表格（hudang import-profile list 查看）")
@click.option("--sheet", default=None, help="读取工作簿中的这个工作表")
@click.option("--dry-run", is_flag=True, help="试导入：只显示将会新增的行、房屋、住户和月份，不写入任何内容")
@click.option("--household", default=None, metavar="项目/房号", help="与 --document 同用：归入哪一户")
@click.option("--document", "title", default=None, metavar="题名",
              help="作为“文件”归档（来函、合同、证件复印件、照片等），题名如“业主来函（漏水）”")
@click.option("--category", default=None, metavar="类别", help="文件类别：来函/合同/证件复印件/照片/律师函/证明/其他")
@click.option("--author", default=None, metavar="责任者", help="文件的责任者（来函人、发文单位），与 --document 同用")
@json_option
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], workers: int | None, estate: str | None,
           profile: str | None, sheet: str | None, dry_run: bool, household: str | None,
           title: str | None, category: str | None, author: str | None, as_json: bool) -> None:
    """接收文件或文件夹（一次性）；每个文件一个结果。原文件不动，档案保存副本。

    加 --household 和 --document 时，作为该户的“文件”归档（任何可接收的文件和照片）。"""
    from hudang.errors import IngestStopped, UsageError
    from hudang.forms.values import mask_text
    from hudang.pipeline.app.ingest import DocumentRequest
    from hudang.pipeline.app.ingest import ingest as take_in

    if (household is None) != (title is None) or ((category or author) and not title):
        raise UsageError("--household 与 --document 须同时给出（--category、--author 只能与它们同用）",
                         code="document_options")
    document = DocumentRequest(household, title, category, author) if household and title is not None else None

    bar = None

    def start(total: int) -> None:
        nonlocal bar
        from tqdm import tqdm
        bar = tqdm(total=total, unit="件", file=sys.stderr, leave=False, desc="接收")

    def progress(out: Outcome) -> None:
        if bar is not None:
            bar.update(1)
    with session(ctx) as s:
        try:
            result = take_in(s, list(paths), workers=workers, on_outcome=progress, document=document,
                             on_start=start if not as_json and sys.stderr.isatty() else None,
                             estate=estate, profile=profile, sheet=sheet, dry_run=dry_run)
        except IngestStopped as stop:
            if not as_json:
                for out in stop.outcomes:
                    _print_outcome(out)
            raise Partial(stop, {"outcomes": [o.as_json() for o in stop.outcomes],
                                 "waiting": [mask_text(w) for w in stop.waiting]}) from stop
        finally:
            if bar is not None:
                bar.close()
    show(result, as_json, _print_ingested)


# ---- the intake service ----

@cli.command()
@click.option("--polling", is_flag=True, default=None, help="用轮询代替 inotify（网络共享文件夹用）")
@click.option("--workers", type=int, default=None, help="读取文件的进程数（默认 CPU 核数）")
@click.pass_context
def watch(ctx: click.Context, polling: bool | None, workers: int | None) -> None:
    """接收服务：监视收件夹，文件写完后自动接收、归档，并移入 .done。"""
    from hudang.pipeline.cli.quick import Server
    from hudang.pipeline.service.watch import Service

    with session(ctx) as s:
        click.echo(f"接收服务启动：监视 {s.home.intake}（Ctrl+C 或 SIGTERM 停止）", err=True)
        Service(s.home, polling=polling or None, workers=workers).run(beside=Server(s.home.root))


@cli.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """接收服务的状态：是否运行、队列、今日各结果数量、最近结果、隔离与待分拣数量、后续步骤积压。"""
    from hudang.pipeline.app.maintenance import status as read_status
    from hudang.pipeline.intake.outcomes import STATUS_TEXT

    with session(ctx) as s:
        result = read_status(s)

    def human(d: Status) -> None:
        run = f"运行中（PID {d.pid}，自 {d.since}）" if d.running else "未运行"
        click.echo(f"接收服务：{run}\n收件夹：{d.intake}")
        if d.paused:
            click.echo(f"已暂停（自 {d.paused['since'][:19].replace('T', ' ')}）：{d.paused['reason']}；"
                       f"已重试 {d.paused['tries']} 次，下次 {d.paused['next_try'][11:19]}")
        click.echo(f"等待接收：{d.waiting_in_intake} 个文件；队列 {d.queue}，处理中 {d.processing}")
        if d.links_in_intake:
            click.echo(f"注意：收件夹里有 {d.links_in_intake} 个符号链接或不是普通文件的项（命名管道、设备），不会被接收"
                       "（请移走，或放入链接所指的文件本身；日志中逐个写明）")
        if d.disk and d.disk["low"]:
            click.echo(f"警告：磁盘空间不足——数据目录所在磁盘仅剩 {d.disk['free_mb']} MB"
                       f"（低于 [limits] min_free_mb = {d.disk['min_free_mb']} MB）；请清理或扩容，"
                       "磁盘写满时接收会中止")
        counts = d.today.get("counts") or {}
        click.echo(f"今日（{d.today.get('date') or '—'}）：" +
                   ("，".join(f"{STATUS_TEXT.get(k, k)} {v}" for k, v in counts.items()) or "无"))
        click.echo(f"隔离区 {d.quarantine} 个；待分拣扫描件 {d.unsorted} 个"
                   f"（其中等待文字识别 {d.ocr_queue} 个）")
        backlog = "，".join(f"{k} {v}" for k, v in d.backlog.items() if v) or "无"
        click.echo(f"后续步骤积压：{backlog}")
        b = d.backup
        click.echo(f"最近一次备份：{b['at'][:16].replace('T', ' ')}（{b['age_days']} 天前）→ {b['dest']}" if b
                   else "最近一次备份：从未备份（hudang backup create 备份位置 --init）")
        v = d.verify
        click.echo(f"最近一次校验：{v['at'][:16].replace('T', ' ')}，检查 {v['checked']} 个文件，"
                   + ("全部一致" if v["ok"] else f"发现 {v['problems']} 处问题") if v
                   else "最近一次校验：从未校验（hudang verify）")
        if d.last:
            click.echo("最近结果：")
            for o in d.last[:10]:
                click.echo(f"  {o['at'][11:19]} [{STATUS_TEXT.get(o['status'], o['status'])}] {o['source']}"
                           f" {o.get('household') or ''}")
    show(result, as_json, human)


@cli.command("service-unit")
@click.option("--user", default="hudang", help="运行服务的系统用户")
@click.option("--timers", "timers", type=click.Path(file_okay=False, path_type=Path),
              help="把每晚备份、每周校验的 systemd 服务和定时器单元写入这个文件夹")
@click.option("--backup-dest", help="备份位置（默认 config.toml [backup] dest）")
@click.option("--web", is_flag=True, help="输出网页界面的单元（hudang-web.service，运行 hudang serve）")
@click.option("--host", default=HOST, show_default=True, help="与 --web 一起：监听地址")
@click.option("--port", default=PORT, show_default=True, type=PORTS, help="与 --web 一起：端口")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 64), help="与 --web 一起：工作进程数")
def service_unit(user: str, timers: Path | None, backup_dest: str | None, web: bool, host: str, port: int,
                 workers: int) -> None:
    """输出接收服务的 systemd 单元（hudang-watch.service）；--web 输出网页界面的单元；--timers 写出备份与校验的定时器单元。"""
    from hudang.homes import resolve_root
    from hudang.pipeline.app.backup import write_timer_units
    from hudang.pipeline.service.unit import unit_text, web_unit_text

    root = resolve_root(click.get_current_context().obj["home"])
    if web:
        click.echo(web_unit_text(root, user, host, port, workers), nl=False)
        return
    if timers is None:
        click.echo(unit_text(root, user), nl=False)
        return
    for path in write_timer_units(root, user, timers, backup_dest):
        click.echo(str(path))
    click.echo("安装：sudo cp 以上文件 /etc/systemd/system/ && sudo systemctl daemon-reload && "
               "sudo systemctl enable --now hudang-backup.timer hudang-verify.timer", err=True)


# ---- verify, rebuild ----

@cli.command()
@json_option
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> int:
    """按校验清单检查每个归档文件；有任何不符则退出码为 1。"""
    from hudang.pipeline.app.maintenance import verify as check_fixity

    with session(ctx) as s:
        result = check_fixity(s)

    def human(d: Verified) -> None:
        for p in d.problems:
            click.echo(f"✗ {p.path}：{p.message}")
        click.echo(f"已检查 {d.checked} 个文件：" + ("全部一致" if d.ok else f"发现 {len(d.problems)} 处问题"))
        waiting = {k: v for k, v in d.backlog.items() if v}
        if waiting:
            click.echo("后续步骤积压（将自动重试）：" + "，".join(f"{k} {v} 条" for k, v in waiting.items()))
    show(result, as_json, human)
    return 0 if result.ok else 1   # a finding, not an error: main() exits with it


@cli.command()
@json_option
@click.pass_context
def rebuild(ctx: click.Context, as_json: bool) -> None:
    """仅根据档案库重建目录数据库（catalog）。"""
    from hudang.pipeline.app.maintenance import rebuild as rebuild_derived

    with session(ctx) as s:
        result = rebuild_derived(s)

    def human(d: Rebuilt) -> None:
        click.echo(f"已重建目录：项目 {d.estates} 个，记录 {d.records} 条，导入 {d.imports} 次；"
                   f"检索索引 {d.indexed} 个文档")
    show(result, as_json, human)


@cli.command()
@click.argument("words", nargs=-1, required=False)
@click.option("--form", "form_name", default=None, help="表单（id、名称或别名）")
@click.option("--household", default=None, help="住户，如 金第花园/3-2-1201")
@click.option("--estate", default=None, help="项目（名称或别名）")
@click.option("--from", "date_from", default=None, help="起始日期（含），如 2026-10-01")
@click.option("--to", "date_to", default=None, help="截止日期（含）")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), help="最多列出几条")
@click.option("--all-versions", is_flag=True, help="也检索记录的旧版本")
@json_option
@click.pass_context
def search(ctx: click.Context, words: tuple[str, ...], form_name: str | None, household: str | None, estate: str | None,
           date_from: str | None, date_to: str | None, limit: int, all_versions: bool, as_json: bool) -> None:
    """全文检索：词、"短语"、栏目:值（如 投诉人:张三）、AND/OR/NOT/-词，可按表单、住户、项目、日期筛选。

    只给筛选条件、不给检索词时，列出符合条件的全部记录（最新的在前）。"""
    from hudang.pipeline.app.search import search as find

    query = " ".join(words)  # hudang search 漏水 卫生间 is one query; use -- before a leading -word
    since, until = optional_day(date_from, "--from"), optional_day(date_to, "--to")
    with session(ctx) as s:
        result = find(s, query, form_name=form_name, household=household, estate=estate, date_from=since,
                      date_to=until, limit=limit, all_versions=all_versions)
        names = {f.id: f.name for f in s.forms}

    def human(d: Found) -> None:
        click.echo(f"共 {d.total} 条" + (f"，列出前 {len(d.hits)} 条" if d.total > len(d.hits) else ""))
        for n, h in enumerate(d.hits, 1):
            form = names.get(h["form"], h["form"])
            click.echo(f"{n:>3}. {h['date'] or '—':10}  {form:8} {h['household']:24} {h['record_id']}")
            click.echo(f"     {h['snippet']}")
    show(result, as_json, human)


chinese_help(cli)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args
    try:
        exit_status = cli.main(args=args, prog_name="hudang", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已取消", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        _fail("usage", f"用法错误：{chinese(exc.format_message())}（hudang --help 查看用法）", 2, as_json)
    except click.ClickException as exc:
        _fail("usage", exc.format_message(), exc.exit_code or 2, as_json)
    except Partial as exc:
        _fail(exc.error.code, exc.error.message, exc.error.exit_status, as_json, exc.shown)
    except HudangError as exc:
        _fail(exc.code, exc.message, exc.exit_status, as_json)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, keep the traceback in the log
        from hudang.errors import disk_full, disk_full_message

        if disk_full(exc):  # not a bug: the disk under the home is full (a letter run, a rebuild …)
            logging.getLogger("hudang").error("磁盘空间不足：%s", exc)
            _fail("disk_full", disk_full_message(exc), 1, as_json)
        logging.getLogger("hudang").exception("unexpected error")
        _fail("internal", f"内部错误（{type(exc).__name__}）：{exc}。详情见数据目录 logs/hudang.log", 1, as_json)
    sys.exit(exit_status if isinstance(exit_status, int) else 0)   # a command may finish with a finding (verify: 1)


def _fail(code: str, message: str, status: int, as_json: bool, shown: dict[str, Any] | None = None) -> None:
    """The message on stderr; with --json also on stdout, in one document with what was shown before it."""
    from hudang.forms.values import mask_text

    message = mask_text(message)
    click.echo(message, err=True)
    if as_json:
        click.echo(json.dumps({**(shown or {}), "error": {"code": code, "message": message}}, ensure_ascii=False))
    sys.exit(status)
