"""Start-up: the command line loads no heavy library before a command needs it, and its help is Chinese."""

from __future__ import annotations

import random
import subprocess
import sys

import click
import zhconv.zhconv as zhconv_module

from hudang.forms import values
from hudang.pipeline.cli.main import LAZY, cli
from hudang.pipeline.cli.support import LazyGroup

from conftest import HUDANG

HEAVY = ("matplotlib", "docx", "docxtpl", "openpyxl", "whoosh", "rapidocr", "rapidocr_onnxruntime", "onnxruntime",
         "pytesseract", "ocrmypdf", "pypdf", "PIL", "qrcode", "zxingcpp", "watchdog", "tqdm", "hudang.forms.office",
         "hudang.forms.ocr", "hudang.forms.readers.legacy")


def _loaded(code: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(eval(proc.stdout))  # a printed sorted list of module names


# What `hudang --help` (and a search) need not load: the other commands' modules and what they bring.
COMMAND_MODULES = ("hudang.pipeline.cli.archive", "hudang.pipeline.cli.backup", "hudang.pipeline.cli.export",
                   "hudang.pipeline.cli.fees", "hudang.pipeline.cli.household", "hudang.pipeline.cli.imports",
                   "hudang.pipeline.cli.reports", "hudang.pipeline.cli.scans", "hudang.pipeline.cli.web",
                   "hudang.pipeline.dunning.fees", "hudang.forms.table_kinds", "sqlite3", "hudang.archive.audit",
                   "pkg_resources")


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    loaded = _loaded("import hudang.pipeline.cli.main, sys; print(sorted(sys.modules))")
    assert "hudang.pipeline.cli.main" in loaded
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_the_help_loads_no_command_module() -> None:
    """`hudang --help` lists every command from the `LAZY` table, importing none of their modules."""
    loaded = _loaded("import contextlib, io, sys\nfrom hudang.pipeline.cli import main\n"
                     "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
                     "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
                     "assert '催缴函' in out.getvalue()\nprint(sorted(sys.modules))")
    assert sorted(m for m in (*HEAVY, *COMMAND_MODULES) if m in loaded) == []


def _listing(group: click.Group) -> str:
    ctx = click.Context(group)
    formatter = ctx.make_formatter()
    group.format_commands(ctx, formatter)
    return formatter.getvalue()


def test_the_command_list_is_each_commands_own_help() -> None:
    """The `LAZY` table's text is the first paragraph of each command's help, so `hudang --help` lists what
    the commands themselves would: compared line by line against a group with every command loaded."""
    lazy, loaded = LazyGroup("hudang", lazy=LAZY), LazyGroup("hudang", lazy=LAZY)
    for name, entry in LAZY.items():
        command = loaded.load(name)
        assert command.help is not None and entry.help.split() == command.help.partition("\n\n")[0].split(), name
    assert not lazy.commands and len(loaded.commands) == len(LAZY)
    assert _listing(lazy) == _listing(loaded)
    assert set(LAZY) < set(cli.list_commands(click.Context(cli))) and "search" in cli.commands


def test_zhconv_is_skipped_only_for_texts_it_would_not_change() -> None:
    """forms/tables/zh_hans_changes.txt holds exactly the words zhconv's zh-hans table changes, and
    `to_simplified` answers as zhconv does: every word of the table alone and inside other text, and mixed text."""
    table = zhconv_module.getdict("zh-hans")
    changing = {word for word, simplified in table.items() if word != simplified}
    assert set(values._CHANGES_FILE.read_text(encoding="utf-8").splitlines()) == changing, \
        "regenerate forms/tables/zh_hans_changes.txt from the installed zhconv"
    rng = random.Random(12)
    words = sorted(table)
    plain = "一户一档物业客服中心金第花园单元室投诉维修回访满意天花板发霉abc 123，。：（）"
    texts = [*words, *(f"{rng.choice(plain)}{w}{rng.choice(plain)}" for w in words)]
    texts += ["".join(rng.choice(plain) for _ in range(rng.randint(1, 80))) for _ in range(2000)]
    texts += ["".join(rng.choice([*plain, *words]) for _ in range(rng.randint(1, 30))) for _ in range(2000)]
    for text in texts:
        assert values._convert(text) == zhconv_module.convert(text, "zh-hans"), text
    assert sum(values._unchanged(t) for t in texts) > 2000   # the shortcut is taken, not only the full path


def test_the_help_speaks_chinese_everywhere() -> None:
    top = subprocess.run([*HUDANG, "--help"], capture_output=True, text=True, timeout=120, check=True).stdout
    assert top.startswith("用法：hudang") and "选项：" in top and "命令：" in top
    assert "显示本帮助并退出" in top and "显示版本号并退出" in top
    sub = subprocess.run([*HUDANG, "search", "-h"], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "[默认：20" in sub and "用法：" in sub
    for english in ("Usage:", "Options:", "Commands:", "Show this message and exit.", "Show the version and exit."):
        assert english not in top + sub
