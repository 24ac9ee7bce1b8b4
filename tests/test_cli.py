"""The command-line contract: help everywhere, exit codes, JSON errors, masking in logs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
import pytest

from hudang.pipeline.cli.main import cli

from builders import json_form, registration
from conftest import HUDANG, Hudang


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, (*prefix, name)))
    return out


@pytest.mark.parametrize("path", _commands(cli))
def test_every_command_has_chinese_help(path: tuple[str, ...]) -> None:
    cmd: click.Command = cli
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    assert cmd.help and any("\u4e00" <= ch <= "\u9fff" for ch in cmd.help), path
    proc = subprocess.run([*HUDANG, *path, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and cmd.help.split("\n")[0][:10] in proc.stdout


def test_exit_codes_and_json_errors(hudang: Hudang, tmp_path: Path) -> None:
    wrong = hudang("ingest", check=False)
    assert wrong.code == 2 and "用法" in wrong.stderr
    missing = hudang("record", "show", "R9999999", "--json", check=False)
    assert missing.code == 1 and missing.json["error"]["code"] == "no_record" and "找不到" in missing.stderr
    unknown = hudang("household", "show", "不存在小区/1-1-101", "--json", check=False)
    assert unknown.code == 1 and unknown.json["error"]["code"] == "unknown_estate"
    nohome = hudang("verify", check=False, env={"HUDANG_HOME": str(tmp_path / "nowhere")})
    assert nohome.code == 1 and "hudang init" in nohome.stderr
    other = tmp_path / "explicit"
    assert hudang("--home", other, "init", "--json").json["home"] == str(other)
    assert (other / "config.toml").exists()


def test_ingest_that_quarantines_still_did_its_work_and_logs_are_masked(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    json_form(tmp_path / "in" / "bad.json", "住户登记表", registration(联系电话="1381234567"))
    json_form(tmp_path / "in" / "good.json", "住户登记表", registration(联系电话="13912345678", 备注="电话13912345678"))
    result = hudang("ingest", tmp_path / "in")
    assert result.code == 0 and "已隔离 1" in result.stdout and "已归档 1" in result.stdout
    assert "13912345678" not in result.stdout and "1381234567" not in result.stdout
    log = (hudang.home / "logs" / "hudang.log").read_text(encoding="utf-8")
    assert "已归档" in log and "已隔离" in log
    assert "13912345678" not in log and "1381234567" not in log
    report = next((hudang.home / "quarantine").glob("Q*/报告.txt")).read_text(encoding="utf-8")
    assert "1381234567" not in report and "联系电话" in report
