"""Fixtures: a fresh data home per test, and the `hudang` command run inside the test process.

`hudang` calls the CLI's own `main(argv)` under click's `CliRunner` isolation, so the one place that turns
errors into exit codes is exercised without paying for a Python start-up per command. `hudang_proc` runs
the installed command as a real subprocess, kept for the few end-to-end checks a process boundary decides
(the JSON contract on a real stdout, an intake run, kills, the watch service).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

# Sample-making helpers (samples/scanning.py) are shared by the demo and the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "samples"))

HUDANG = [sys.executable, "-m", "hudang.pipeline"]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


def _exit_code(exc: SystemExit) -> int:
    """What the shell would see for ``sys.exit(x)``."""
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def _env_overrides(env: dict[str, str]) -> dict[str, str | None]:
    """The changes to ``os.environ`` that make it equal ``env`` for one call (None removes a variable)."""
    changes: dict[str, str | None] = {k: None for k in os.environ if k not in env}
    changes.update({k: v for k, v in env.items() if os.environ.get(k) != v})
    return changes


def run_in_process(args: list[str], env: dict[str, str], stdin: str = "") -> Result:
    """``hudang ARGS`` inside this process, as a fresh process would see it: its own environment and
    streams (``stdin`` its input), and no ``hudang`` log handler left behind on return."""
    from hudang.pipeline.cli.main import main

    logger = logging.getLogger("hudang")
    handlers, level = list(logger.handlers), logger.level
    code = 0
    with CliRunner().isolation(input=stdin, env=_env_overrides(env)) as (out, err, _):
        try:
            main(args)
        except SystemExit as exc:
            code = _exit_code(exc)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for handler in [h for h in logger.handlers if h not in handlers]:
                logger.removeHandler(handler)
                handler.close()
            logger.setLevel(level)
    return Result(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8", "backslashreplace"))


def run_subprocess(args: list[str], env: dict[str, str], timeout: float = 300, stdin: str = "") -> Result:
    """``hudang ARGS`` as the installed command, in a process of its own."""
    proc = subprocess.run([*HUDANG, *args], capture_output=True, text=True, timeout=timeout, env=env,
                          input=stdin or None)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@dataclass
class Hudang:
    """Runs the `hudang` command against one data home: in this process, or (`subprocess`) in its own."""

    home: Path
    env: dict[str, str]
    in_subprocess: bool = False

    def __call__(self, *args: str | Path, check: bool = True, env: dict[str, str] | None = None,
                 timeout: float = 300, stdin: str = "") -> Result:
        argv, full_env = [str(a) for a in args], {**self.env, **(env or {})}
        if self.in_subprocess:
            result = run_subprocess(argv, full_env, timeout, stdin)
        else:
            result = run_in_process(argv, full_env, stdin)
        if check and result.code != 0:
            raise AssertionError(f"hudang {args} exited {result.code}\n{result.stdout}\n{result.stderr}")
        return result

    def proc(self, *args: str | Path, check: bool = True, env: dict[str, str] | None = None,
             timeout: float = 300) -> Result:
        """One command as a real process (a kill at a crash point must not take the test with it)."""
        return Hudang(self.home, self.env, in_subprocess=True)(*args, check=check, env=env, timeout=timeout)

    def json(self, *args: str | Path, **kw: Any) -> Any:
        return self(*args, "--json", **kw).json

    def ingest(self, *paths: str | Path) -> list[dict[str, Any]]:
        return self.json("ingest", *paths)["outcomes"]  # type: ignore[no-any-return]


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without any HUDANG_ setting, pointed at ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUDANG_")}
    env["HUDANG_HOME"] = str(home)
    return env


def new_home(home: Path, *, in_subprocess: bool = False) -> Hudang:
    """A data home made by ``hudang init`` (in this process unless asked otherwise)."""
    h = Hudang(home, clean_env(home), in_subprocess=in_subprocess)
    h("init")
    return h


@pytest.fixture
def hudang(tmp_path: Path) -> Hudang:
    return new_home(tmp_path / "home")


@pytest.fixture
def hudang_proc(tmp_path: Path) -> Hudang:
    """A data home whose every command runs as the installed `hudang` in a subprocess (end-to-end tests)."""
    return new_home(tmp_path / "home", in_subprocess=True)


TYPED = {"投诉人*": "周燕", "投诉时间*": "2026-11-03 09:30", "接报人*": "李客服",
         "投诉内容*": "楼上卫生间渗漏水，天花板发霉"}
"""What the scan tests type onto a printed 投诉处理单."""


@pytest.fixture
def scan_home(hudang: Hudang, roster_csv: Path) -> Hudang:
    """A data home with the roster filed, its clock at 2026-11-26 10:00 (the scan tests')."""
    hudang.env["HUDANG_NOW"] = "2026-11-26T10:00:00+08:00"
    hudang.ingest(roster_csv)
    return hudang


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs of our own (we are root), unmounted whatever happens."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture
def roster_csv(tmp_path: Path) -> Path:
    """A small roster for 金第花园 (3 buildings × 2 units × a few rooms) and a shop."""
    rows = ["项目,楼栋,单元,房号,建筑面积,业主姓名"]
    for b in (1, 2, 3):
        for u in (1, 2):
            for r in ("1201", "1202", "301", "302"):
                rows.append(f"金第花园,{b}栋,{u}单元,{r},98.5,业主{b}{u}{r}")
    rows.append("金第花园,商业街,,S101,45,商户甲")
    path = tmp_path / "房屋清单.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    return path
