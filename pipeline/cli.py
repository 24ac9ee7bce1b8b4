"""The ``hudang`` command: a thin layer that opens the data home, calls one function, prints.

Only `main()` turns errors into exit codes (0 done, 1 failed or found a problem, 2 wrong usage)
and messages: Chinese on stderr and, with ``--json``, ``{"error": {...}}`` on stdout.
"""

from __future__ import annotations

import getpass
import json
import logging
import sys
from collections import Counter
from collections.abc import Callable
from functools import wraps
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import click

from hudang import __version__
from hudang.archive.fixity import verify as verify_archive
from hudang.archive.rebuild import rebuild_catalog
from hudang.archive.store import Archive
from hudang.clock import stamp
from hudang.errors import HudangError, UsageError
from hudang.forms.definitions import load_forms
from hudang.forms.values import mask_text
from hudang.pipeline import quarantine as q
from hudang.pipeline import stages, views
from hudang.pipeline.outcomes import QUARANTINED, STATUS_TEXT, Outcome
from hudang.pipeline.runner import IngestStopped
from hudang.pipeline.runner import ingest as run_ingest
from hudang.settings import Home, init_home, load_home, resolve_root

CONTEXT = {"help_option_names": ["-h", "--help"]}


def emit(data: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        human(data)


def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供脚本使用）")(fn)


def open_home(ctx: click.Context) -> Home:
    home = load_home(resolve_root(ctx.obj["home"]))
    _setup_logging(home)
    return home


def _setup_logging(home: Home) -> None:
    logger = logging.getLogger("hudang")
    if logger.handlers:
        return
    home.logs_dir.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(home.logs_dir / "hudang.log", maxBytes=5 * 1024 * 1024, backupCount=5,
                                  encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(_MaskFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


class _MaskFilter(logging.Filter):
    """Personal data never reaches the log file in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = ()
        if record.exc_info:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def audit(home: Home, action: str, **detail: Any) -> None:
    """Append one line to the audit log: who did what to which record, when."""
    masked = {k: mask_text(v) if isinstance(v, str) and k not in ("sha256",) else v for k, v in detail.items()}
    line = json.dumps({"at": stamp(), "user": getpass.getuser(), "action": action, **masked}, ensure_ascii=False)
    with open(home.audit_log, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def with_archive(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        home = open_home(ctx)
        archive = Archive(home)
        try:
            return fn(home, archive, *args, **kwargs)
        finally:
            archive.close()
    return wrapper


@click.group(context_settings=CONTEXT)
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
    home, created = init_home(resolve_root(ctx.obj["home"]))
    Archive(home).close()
    forms = load_forms([home.forms_dir])
    # One intake sub-folder per form type (dropping there fixes the type) plus the table and scan folders.
    for name in [form.intake_folder or form.name for form in forms] + ["房屋清单", "收费台账", "催缴记录", "扫描件"]:
        (home.intake / name).mkdir(exist_ok=True)
    data = {"home": str(home.root), "created": created, "intake": str(home.intake), "archive": str(home.archive)}
    emit(data, as_json, lambda d: click.echo(f"{'已创建' if created else '已存在'}数据目录：{d['home']}\n"
                                             f"收件夹：{d['intake']}"))


# ---- ingest ----

def _print_outcome(out: Outcome) -> None:
    status = STATUS_TEXT.get(out.status, out.status)
    where = f" → {out.household}" if out.household else ""
    rec = f"  {out.archive_no}（{out.record_id} 第{out.version}版）" if out.record_id else ""
    kind = f"  {out.kind} {out.row_count} 行" if out.kind else ""
    moved = f"（由 {out.detail['moved_from']} 移入）" if out.detail.get("moved_from") else ""
    click.echo(f"[{status}] {out.source}{where}{rec}{kind}{moved}")
    if out.rows:
        counts = Counter(r.status for r in out.rows)
        click.echo("    " + "，".join(f"{STATUS_TEXT.get(s, s)} {n} 行" for s, n in counts.items()))
    for e in out.errors:
        row = f"第{e['row']}行 " if e.get("row") else ""
        click.echo(f"    ✗ {row}{e['field'] or ''} {e['message']}".rstrip())
    for w in out.warnings:
        click.echo(f"    ! {w['field'] or ''} {w['message']}".rstrip())
    if out.detail.get("quarantine_id"):
        click.echo(f"    隔离编号 {out.detail['quarantine_id']}")


def _summary(outcomes: list[Outcome]) -> str:
    counts = Counter(o.status for o in outcomes)
    return f"共 {len(outcomes)} 个文件：" + "，".join(
        f"{STATUS_TEXT.get(s, s)} {n}" for s, n in counts.most_common())


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workers", type=int, default=None, help="读取文件的进程数（默认 CPU 核数）")
@json_option
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], workers: int | None, as_json: bool) -> None:
    """接收文件或文件夹（一次性）；每个文件一个结果。原文件不动，档案保存副本。"""
    home = open_home(ctx)
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"找不到文件或文件夹：{path}", code="no_path")
    bar = None
    if not as_json and sys.stderr.isatty():
        from tqdm import tqdm
        total = sum(1 for _ in stages.discover(list(paths)))
        bar = tqdm(total=total, unit="件", file=sys.stderr, leave=False, desc="接收")

    def progress(out: Outcome) -> None:
        if bar is not None:
            bar.update(1)
    try:
        outcomes = run_ingest(home, list(paths), workers=workers, on_outcome=progress)
    except IngestStopped as stop:
        if bar is not None:
            bar.close()
        if as_json:  # the error document still lists every outcome reached
            click.echo(json.dumps({"outcomes": [o.as_json() for o in stop.outcomes], "waiting": stop.waiting,
                                   "error": {"code": stop.code, "message": stop.message}}, ensure_ascii=False))
            sys.exit(1)
        for out in stop.outcomes:
            _print_outcome(out)
        raise
    if bar is not None:
        bar.close()
    if as_json:
        emit({"outcomes": [o.as_json() for o in outcomes]}, True, print)
    else:
        for out in outcomes:
            _print_outcome(out)
        click.echo(_summary(outcomes))


# ---- household / record ----

@cli.group(context_settings=CONTEXT)
def household() -> None:
    """查看住户档案。"""


@household.command("show")
@click.argument("address")
@click.option("--all", "include_voided", is_flag=True, help="同时列出已作废的记录")
@json_option
@with_archive
def household_show(home: Home, archive: Archive, address: str, include_voided: bool, as_json: bool) -> None:
    """显示一户的档案：登记信息，然后按时间列出全部记录。ADDRESS 如 金第花园/3-2-1201。"""
    place = archive.estates.household(address)
    data = views.household(archive, place, load_forms([home.forms_dir]), include_voided=include_voided)

    def human(d: dict[str, Any]) -> None:
        click.echo(f"{d['estate']} {d['display']}（{d['household']}）")
        if d.get("owner"):
            click.echo(f"房屋清单业主：{d['owner']}  建筑面积：{d.get('area') or '—'}")
        reg = d["registration"]
        if reg:
            click.echo(f"\n住户登记（{reg['archive_no']}）")
            for k, v in reg["fields"].items():
                click.echo(f"  {k}：{v}")
        else:
            click.echo("\n尚无住户登记表")
        click.echo(f"\n档案记录（{len(d['records'])} 件）")
        for r in d["records"]:
            void = " [已作废]" if r["voided"] else ""
            click.echo(f"  {r['date'] or '—':10}  {r['archive_no']:22} {r['form_name']:8} 第{r['version']}版"
                       f"  {r['summary']}{void}")
        for m in d["moves"]:
            arrow = "转出至" if m["direction"] == "out" else "转入自"
            other = m["to"] if m["direction"] == "out" else m["from"]
            click.echo(f"  {m['at'][:10]}  {m['archive_no']} {arrow} {other}（{m['reason']}）")
    emit(data, as_json, human)


@cli.group(context_settings=CONTEXT)
def record() -> None:
    """查看和更正单条档案记录（移档、作废、附件）。"""


@record.command("show")
@click.argument("record_id")
@click.option("--reveal", is_flag=True, help="显示完整证件号和电话（会写入审计日志）")
@json_option
@with_archive
def record_show(home: Home, archive: Archive, record_id: str, reveal: bool, as_json: bool) -> None:
    """显示一条记录：字段、各版本、文件、事件。"""
    data = views.record(archive, record_id, load_forms([home.forms_dir]), reveal=reveal)
    if reveal:
        audit(home, "reveal", record_id=data["record_id"], archive_no=data["archive_no"])

    def human(d: dict[str, Any]) -> None:
        void = f"  [已作废：{d['void_reason']}]" if d["voided"] else ""
        click.echo(f"{d['archive_no']}  {d['form_name']}  {d['household']}  {d['record_id']}{void}")
        for k, v in d["fields"].items():
            click.echo(f"  {k}：{v}")
        click.echo("版本：")
        for v in d["versions"]:
            click.echo(f"  第{v['version']}版 {v['received_at']} {v['source_name']} sha256={v['sha256'][:12]}…")
        for e in d["events"]:
            click.echo(f"  事件 {e['unit']} {e['kind']} {e['at']} {e.get('reason') or ''}")
        for a in d["attachments"]:
            click.echo(f"  附件 {a['unit']} {a['name']} {a.get('note') or ''}")
    emit(data, as_json, human)


@record.command("move")
@click.argument("record_id")
@click.argument("address")
@click.option("--reason", required=True, help="移档原因（写入审计日志）")
@json_option
@with_archive
def record_move(home: Home, archive: Archive, record_id: str, address: str, reason: str, as_json: bool) -> None:
    """把误归档的记录移到另一户（原户档案显示转出）。"""
    with archive.writer():
        place = archive.estates.household(address, strict=True)
        data = archive.move(record_id, place, reason, getpass.getuser())
    audit(home, "move", **data, reason=reason)
    data["reason"] = mask_text(reason)
    emit(data, as_json, lambda d: click.echo(f"已移档：{d['record_id']} {d['from']} → {d['to']}"))


@record.command("void")
@click.argument("record_id")
@click.option("--reason", required=True, help="作废原因")
@json_option
@with_archive
def record_void(home: Home, archive: Archive, record_id: str, reason: str, as_json: bool) -> None:
    """作废误录的记录：保留在档案中，但不再出现在检索和报表里。"""
    with archive.writer():
        data = archive.void(record_id, reason, getpass.getuser())
    audit(home, "void", record_id=data["record_id"], reason=reason)
    data["reason"] = mask_text(reason)
    emit(data, as_json, lambda d: click.echo(f"已作废：{d['record_id']}（{d['reason']}）"))


@record.command("attach")
@click.argument("record_id")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--note", default="", help="附件说明，如 委托书、身份证复印件")
@json_option
@with_archive
def record_attach(home: Home, archive: Archive, record_id: str, file: Path, note: str, as_json: bool) -> None:
    """给记录添加附件（证件复印件、委托书、照片、签收单），随记录做校验。"""
    with archive.writer():
        data = archive.attach(record_id, file, note, getpass.getuser())
    audit(home, "attach", record_id=data["record_id"], name=data["name"], sha256=data["sha256"])
    emit(data, as_json, lambda d: click.echo(f"已添加附件 {d['attachment']}：{d['name']}"))


# ---- quarantine ----

@cli.group(context_settings=CONTEXT)
def quarantine() -> None:
    """隔离区：未通过检查的文件及原因。"""


@quarantine.command("list")
@click.option("--resolved", is_flag=True, help="列出已重试处理的记录")
@json_option
@click.pass_context
def quarantine_list(ctx: click.Context, resolved: bool, as_json: bool) -> None:
    """列出隔离的文件和原因。"""
    home = open_home(ctx)
    items = q.entries(home.quarantine, resolved=resolved)

    def human(d: dict[str, Any]) -> None:
        if not d["entries"]:
            click.echo("隔离区为空")
        for e in d["entries"]:
            click.echo(f"{e['id']}  {e.get('source')}  {e.get('form_name') or ''}")
            for p in e.get("problems", []):
                row = f"第{p['row']}行 " if p.get("row") else ""
                click.echo(f"    {row}{p.get('field') or ''} {p['message']}")
    emit({"entries": items}, as_json, human)


@quarantine.command("retry")
@click.argument("ids", nargs=-1)
@json_option
@click.pass_context
def quarantine_retry(ctx: click.Context, ids: tuple[str, ...], as_json: bool) -> None:
    """改正后重新接收隔离的文件（不写编号则重试全部）。"""
    home = open_home(ctx)
    pending = [e for e in q.entries(home.quarantine) if not ids or e["id"] in ids]
    missing = set(ids) - {e["id"] for e in pending}
    if missing:
        raise UsageError(f"找不到隔离记录：{'、'.join(sorted(missing))}")
    results = []
    for entry in pending:
        path = Path(entry["path"])
        if not entry.get("file") or not (path / entry["file"]).is_file():
            results.append({"id": entry["id"], "status": QUARANTINED, "message": "没有可重试的文件"})
            continue
        staged = path / entry["file"]
        form_dir = entry.get("form_name")
        outcomes = run_ingest(home, [staged], workers=1, retry_of=entry["id"],
                              folder_form=form_dir)
        out = outcomes[0].as_json() if outcomes else {"status": QUARANTINED}
        out["source"] = entry["source"]
        if out["status"] != QUARANTINED and out["status"] != "partial":
            q.resolve(home.quarantine, entry["id"], out)
        results.append({"id": entry["id"], **out})

    def human(d: dict[str, Any]) -> None:
        for r in d["results"]:
            click.echo(f"{r['id']}  {STATUS_TEXT.get(r['status'], r['status'])}  {r.get('household') or ''}")
            for e in r.get("errors", []):
                click.echo(f"    {e.get('field') or ''} {e['message']}")
    emit({"results": results}, as_json, human)


# ---- forms, estates ----

@cli.group(context_settings=CONTEXT)
def forms() -> None:
    """表单类型（以数据定义，可在数据目录 forms/ 中添加）。"""


@forms.command("list")
@json_option
@click.pass_context
def forms_list(ctx: click.Context, as_json: bool) -> None:
    """列出已知的表单类型。"""
    home = open_home(ctx)
    data = [{"id": f.id, "name": f.name, "aliases": list(f.aliases), "code": f.code, "version": f.version,
             "fields": [{"name": x.name, "type": x.type, "required": x.required} for x in f.fields]}
            for f in load_forms([home.forms_dir])]
    def human(d: dict[str, Any]) -> None:
        for f in d["forms"]:
            click.echo(f"{f['id']:14} {f['name']:10} 代码 {f['code']}  {len(f['fields'])} 个字段"
                       f"  别名：{'、'.join(f['aliases'])}")
    emit({"forms": data}, as_json, human)


@cli.group(context_settings=CONTEXT)
def estates() -> None:
    """项目（小区）及其别名。"""


@estates.command("add")
@click.argument("name")
@click.option("--alias", "aliases", multiple=True, help="别名（可多次）")
@click.option("--code", default=None, help="项目代码，用于档号（默认 E01、E02……）")
@json_option
@with_archive
def estates_add(home: Home, archive: Archive, name: str, aliases: tuple[str, ...], code: str | None,
                as_json: bool) -> None:
    """添加项目（没有房屋清单时，接受任何格式正确的房号）。"""
    with archive.writer():
        data = archive.add_estate(name, list(aliases), code)
    emit(data, as_json, lambda d: click.echo(f"{'已添加' if d['created'] else '已更新'}项目：{d['name']}（代码 {d['code']}）"))


@estates.command("list")
@json_option
@with_archive
def estates_list(home: Home, archive: Archive, as_json: bool) -> None:
    """列出项目、别名和房屋清单。"""
    data = [{"name": r["name"], "code": r["code"], "has_roster": bool(r["has_roster"]), "rooms": r["rooms"],
             "aliases": (r["aliases"] or "").split("、") if r["aliases"] else []} for r in archive.estates.names()]
    def human(d: dict[str, Any]) -> None:
        for e in d["estates"]:
            click.echo(f"{e['name']}（{e['code']}）房屋 {e['rooms']} 间  别名：{'、'.join(e['aliases']) or '—'}")
    emit({"estates": data}, as_json, human)


# ---- verify, rebuild ----

@cli.command()
@json_option
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """按校验清单检查每个归档文件；有任何不符则退出码为 1。"""
    home = open_home(ctx)
    checked, problems = verify_archive(home.archive)
    data = {"ok": not problems, "checked": checked, "problems": [p.as_json() for p in problems]}

    def human(d: dict[str, Any]) -> None:
        for p in d["problems"]:
            click.echo(f"✗ {p['path']}：{p['message']}")
        click.echo(f"已检查 {d['checked']} 个文件：" + ("全部一致" if d["ok"] else f"发现 {len(d['problems'])} 处问题"))
    emit(data, as_json, human)
    if problems:
        sys.exit(1)


@cli.command()
@json_option
@click.pass_context
def rebuild(ctx: click.Context, as_json: bool) -> None:
    """仅根据档案库重建目录数据库（catalog）。"""
    home = open_home(ctx)
    archive = Archive(home)
    try:
        with archive.writer():
            counts = rebuild_catalog(home.archive, home.catalog_path)
    finally:
        archive.close()
    emit(counts, as_json, lambda d: click.echo(
        f"已重建目录：项目 {d['estates']} 个，记录 {d['records']} 条，导入 {d['imports']} 次"))


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args
    try:
        cli.main(args=args, prog_name="hudang", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已取消", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        _fail("usage", f"用法错误：{_chinese(exc.format_message())}（hudang --help 查看用法）", 2, as_json)
    except click.ClickException as exc:
        _fail("usage", exc.format_message(), exc.exit_code or 2, as_json)
    except HudangError as exc:
        _fail(exc.code, exc.message, exc.exit_status, as_json)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, keep the traceback in the log
        logging.getLogger("hudang").exception("unexpected error")
        _fail("internal", f"内部错误（{type(exc).__name__}）：{exc}。详情见数据目录 logs/hudang.log", 1, as_json)
    sys.exit(0)


_CLICK_TEXT = [("No such command", "没有这个命令"), ("No such option", "没有这个选项"),
               ("Missing argument", "缺少参数"), ("Missing option", "缺少选项"),
               ("Got unexpected extra arguments", "多余的参数"), ("Got unexpected extra argument", "多余的参数"),
               ("Invalid value for", "取值无效："), ("requires an argument", "需要一个值"),
               ("Option", "选项"), ("Did you mean", "是否想用")]


def _chinese(message: str) -> str:
    """Click speaks English; the archivist reads Chinese."""
    for english, chinese in _CLICK_TEXT:
        message = message.replace(english, chinese)
    return message


def _fail(code: str, message: str, status: int, as_json: bool) -> None:
    message = mask_text(message)
    click.echo(message, err=True)
    if as_json:
        click.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    sys.exit(status)
