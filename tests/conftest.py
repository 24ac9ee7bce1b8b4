"""Fixtures: a fresh data home per test, and the real `hudang` command run as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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


@dataclass
class Hudang:
    """Runs the installed command against one data home."""

    home: Path
    env: dict[str, str]

    def __call__(self, *args: str | Path, check: bool = True, env: dict[str, str] | None = None,
                 timeout: float = 300) -> Result:
        proc = subprocess.run([*HUDANG, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                              env={**self.env, **(env or {})})
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"hudang {args} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return result

    def json(self, *args: str | Path, **kw: Any) -> Any:
        return self(*args, "--json", **kw).json

    def ingest(self, *paths: str | Path) -> list[dict[str, Any]]:
        return self.json("ingest", *paths)["outcomes"]  # type: ignore[no-any-return]


@pytest.fixture
def hudang(tmp_path: Path) -> Hudang:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUDANG_")}
    env["HUDANG_HOME"] = str(home)
    h = Hudang(home, env)
    h("init")
    return h


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
