"""What every command shares: options, output, help in Chinese, the session on the data home.

Kept light on purpose: `hudang --help` imports this and click only; commands import the application
layer (and with it the archive, the index, the document libraries) inside their own bodies.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

from hudang.errors import HudangError

if TYPE_CHECKING:
    from hudang.pipeline.app.session import Session

CONTEXT = {"help_option_names": ["-h", "--help"]}

# ---------------------------------------------------------------- click's own words, in Chinese

_HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
_WORDS = [("Show this message and exit.", "显示本帮助并退出。"), ("Show the version and exit.", "显示版本号并退出。"),
          ("[default: ", "[默认："), ("[required]", "[必填]"),
          ("No such command", "没有这个命令"), ("No such option", "没有这个选项"),
          ("Missing argument", "缺少参数"), ("Missing option", "缺少选项"),
          ("Got unexpected extra arguments", "多余的参数"), ("Got unexpected extra argument", "多余的参数"),
          ("Invalid value for", "取值无效："), ("requires an argument", "需要一个值"),
          ("Option", "选项"), ("Did you mean", "是否想用")]
"""Click's own phrases (help lines and usage-error messages), most specific first."""


HOST, PORT = "127.0.0.1", 8080
"""Where `hudang serve` listens, and the unit `hudang service-unit --web` writes, unless told otherwise."""
PORTS = click.IntRange(1, 65535)


class ChineseHelpFormatter(click.HelpFormatter):
    """Click writes its help in English; the archivist reads ``用法：``, ``选项：``, ``命令：``."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, chinese(text)) for term, text in rows], col_max, col_spacing)


def chinese(text: str) -> str:
    """Click speaks English; the archivist reads Chinese."""
    for english, translated in _WORDS:
        text = text.replace(english, translated)
    return text


class ChineseContext(click.Context):
    formatter_class = ChineseHelpFormatter


def chinese_help(command: click.Command) -> None:
    """Give a command and everything under it the Chinese help (call once, after every command is added)."""
    command.context_class = ChineseContext
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            chinese_help(sub)


# ---------------------------------------------------------------- commands loaded when used

@dataclass(frozen=True)
class Lazy:
    """A sub-command that lives in another module: where, and the first paragraph of its help (what the
    parent's --help lists). `extras` are commands of other modules added under it once it is loaded."""

    module: str
    attribute: str
    help: str
    extras: tuple[tuple[str, str], ...] = ()


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when that command runs or its own help is shown;
    the group's --help lists every command from the `Lazy` entries alone (tests/test_startup.py keeps those
    entries equal to the commands' own help)."""

    def __init__(self, *args: Any, lazy: Mapping[str, Lazy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            if self._listing:   # a stand-in with the same first paragraph: the same line in the list
                return click.Command(cmd_name, help=self.lazy[cmd_name].help)
            self.load(cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:   # "did you mean" among every command, loaded or not
            raise click.exceptions.NoSuchCommand(exc.command_name, possibilities=self.list_commands(ctx),
                                                 ctx=ctx) from None

    def load(self, name: str) -> click.Command:
        """Import the command `name` (with its extras) and add it, with the Chinese help."""
        entry = self.lazy[name]
        command: click.Command = getattr(importlib.import_module(entry.module), entry.attribute)
        for module, attribute in entry.extras:
            assert isinstance(command, click.Group)
            command.add_command(getattr(importlib.import_module(module), attribute))
        chinese_help(command)
        self.add_command(command, name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False


# ---------------------------------------------------------------- options and output

class Partial(Exception):
    """A command stopped by ``error`` after it showed part of its work (``shown``): `main()` reports the
    error, and with ``--json`` prints it in one document with that work."""

    def __init__(self, error: HudangError, shown: dict[str, Any]) -> None:
        super().__init__(error.message)
        self.error = error
        self.shown = shown


class Result(Protocol):
    def as_json(self) -> Any: ...


R = TypeVar("R", bound=Result)


def emit(data: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    """``--json`` prints ``data`` as one JSON document; otherwise the human rendering."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        human(data)


def show(result: R, as_json: bool, human: Callable[[R], None]) -> None:
    """A typed result: ``--json`` prints its ``as_json()``; otherwise the human rendering of the result itself."""
    if as_json:
        emit(result.as_json(), True, human)
    else:
        human(result)


def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供脚本使用）")(fn)


def day(text: str | None, option: str) -> dt.date:
    """A date option as the archivist writes it; today when absent."""
    from hudang.clock import now, parse_day

    return parse_day(text, option) or now().date()


def optional_day(text: str | None, option: str) -> dt.date | None:
    """A date bound of a search (--from, --to); absent means unbounded."""
    from hudang.clock import parse_day

    return parse_day(text, option)


# ---------------------------------------------------------------- the data home

def home_option(ctx: click.Context) -> str | None:
    """The ``--home`` given to ``hudang`` (None: $HUDANG_HOME, else ~/hudang)."""
    obj = ctx.find_root().obj or {}
    return obj.get("home")


@contextmanager
def session(ctx: click.Context | None = None) -> Iterator[Session]:
    """The data home opened for the user at the terminal; closed when the command is done."""
    from hudang.homes import resolve_root
    from hudang.pipeline.app.session import Session
    from hudang.settings import load_home, make_private

    ctx = ctx or click.get_current_context()
    home = load_home(resolve_root(home_option(ctx)))
    make_private(home)  # before the session opens the log: all we write is private (SPEC §7)
    with Session(home) as opened:
        yield opened


