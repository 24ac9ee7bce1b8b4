"""`hudang users …` (web accounts) and `hudang serve` (the web interface under gunicorn)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from hudang.pipeline.cli.support import CONTEXT, HOST, PORT, PORTS, json_option, session, show

if TYPE_CHECKING:
    from hudang.pipeline.app.users import Token, UserInfo, Users




def _password(from_stdin: bool) -> str:
    """A password from stdin (scripts) or typed twice at the terminal, never on the command line."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码"))


def _line(u: UserInfo) -> str:
    state = "已停用" if not u.active else ("已锁定" if u.locked else "正常")
    where = "、".join(u.estates) or "全部项目"
    return f"{u.name:12} {'、'.join(u.roles):20} {where:16} {state}" + ("  有API令牌" if u.has_token else "")


@click.group(context_settings=CONTEXT)
def users() -> None:
    """网页用户：添加、列出、停用、解锁、改密码、API 令牌。"""


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="角色：档案员|客服|收费员|主管|管理员（可多次）")
@click.option("--estate", "estates", multiple=True, help="只能访问的项目（可多次；不写则全部项目）")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行）")
@json_option
def users_add(name: str, roles: tuple[str, ...], estates: tuple[str, ...], password_stdin: bool, as_json: bool) -> None:
    """添加网页用户（密码以 Argon2 保存）。"""
    from hudang.pipeline.app.users import add

    with session() as s:
        result = add(s, name, list(roles), list(estates), _password(password_stdin))
    show(result, as_json, lambda u: click.echo(f"已添加用户：{_line(u)}"))


@users.command("list")
@json_option
def users_list(as_json: bool) -> None:
    """列出网页用户、角色、项目限制和状态。"""
    from hudang.pipeline.app.users import list_users

    with session() as s:
        result = list_users(s)

    def human(d: Users) -> None:
        for u in d.users:
            click.echo(_line(u))
        click.echo(f"共 {len(d.users)} 个用户")
    show(result, as_json, human)


@users.command("disable")
@click.argument("name")
@json_option
def users_disable(name: str, as_json: bool) -> None:
    """停用用户：不能再登录，已登录的会话和 API 令牌立即失效。"""
    from hudang.pipeline.app.users import disable

    with session() as s:
        result = disable(s, name)
    show(result, as_json, lambda u: click.echo(f"已停用：{u.name}"))


@users.command("unlock")
@click.argument("name")
@json_option
def users_unlock(name: str, as_json: bool) -> None:
    """解除因多次输错密码造成的锁定。"""
    from hudang.pipeline.app.users import unlock

    with session() as s:
        result = unlock(s, name)
    show(result, as_json, lambda u: click.echo(f"已解锁：{u.name}"))


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取新密码（一行）")
@json_option
def users_password(name: str, password_stdin: bool, as_json: bool) -> None:
    """设置用户的新密码。"""
    from hudang.pipeline.app.users import set_password

    with session() as s:
        result = set_password(s, name, _password(password_stdin))
    show(result, as_json, lambda u: click.echo(f"已更新密码：{u.name}"))


@users.command("token")
@click.argument("name")
@json_option
def users_token(name: str, as_json: bool) -> None:
    """生成新的 API 令牌（只显示这一次；旧令牌作废；只保存其散列值）。"""
    from hudang.pipeline.app.users import token

    with session() as s:
        result = token(s, name)

    def human(t: Token) -> None:
        click.echo(f"{t.name} 的 API 令牌（只显示这一次，请妥善保存）：\n{t.token}")
        click.echo("使用：curl -H \"Authorization: Token <令牌>\" http://服务器:8080/api/v1/…", err=True)
    show(result, as_json, human)


@click.command(context_settings=CONTEXT)
@click.option("--host", default=HOST, show_default=True, help="监听地址；0.0.0.0 对局域网开放")
@click.option("--port", default=PORT, show_default=True, type=PORTS, help="端口")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="工作进程数（默认 CPU 核数×2，2–8）")
def serve(host: str, port: int, workers: int | None) -> None:
    """启动网页界面（gunicorn）。默认只在本机 127.0.0.1 访问。"""
    from hudang.pipeline.web.server import default_workers, exec_gunicorn, prepare

    with session() as s:
        prepare(s.home)
        root = s.home.root
        hosts = s.home.web.allowed_hosts
    if host in ("0.0.0.0", "::"):
        click.echo("警告：网页界面将对局域网开放（--host 0.0.0.0）。请只在可信的办公网络中这样做，最好在前面放置"
                   "带 TLS 的 nginx（见 README），并在 config.toml [web] allowed_hosts 中写上服务器的名称或 IP"
                   f"（现为：{'、'.join(hosts)}）。", err=True)
    shown = HOST if host in ("0.0.0.0", "::") else host
    click.echo(f"网页界面：http://{shown}:{port}/ （Ctrl+C 停止）", err=True)
    exec_gunicorn(root, host, port, workers or default_workers())
