"""The command-line contract: help everywhere, exit codes, JSON errors, masking in logs."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from hudang.pipeline.cli.main import cli

from builders import complaint, json_form, registration
from conftest import Hudang, clean_env, run_in_process


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, the lazily loaded ones included (get_command imports them)."""
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, (*prefix, name)))
    return out


@pytest.mark.parametrize("path", _commands(cli))
def test_every_command_has_chinese_help(path: tuple[str, ...]) -> None:
    cmd: click.Command = cli
    for name in path:
        assert isinstance(cmd, click.Group)
        sub = cmd.get_command(click.Context(cmd), name)
        assert sub is not None
        cmd = sub
    assert cmd.help and any("\u4e00" <= ch <= "\u9fff" for ch in cmd.help), path
    shown = run_in_process([*path, "--help"], clean_env(Path("/nonexistent")))
    assert shown.code == 0 and cmd.help.split("\n")[0][:10] in shown.stdout


def _one_document(stdout: str) -> object:
    """The whole of stdout is exactly one JSON document (json.loads refuses trailing text)."""
    assert stdout.strip(), "nothing on stdout"
    return json.loads(stdout)


@pytest.mark.slow
def test_json_contract_of_the_real_command(hudang_proc: Hudang, tmp_path: Path) -> None:
    """End to end through a real process: with --json stdout is one JSON document whatever happens,
    messages go to stderr, and the exit code says done (0), failed (1) or wrong usage (2)."""
    hudang_proc("estates", "add", "金第花园")
    form = json_form(tmp_path / "in" / "c.json", "投诉处理单", complaint("TS-J1"))
    done = hudang_proc("ingest", form, "--json")
    assert done.code == 0
    [out] = _one_document(done.stdout)["outcomes"]  # type: ignore[index]
    assert out["status"] == "filed" and out["household"] == "金第花园/3-2-1201"
    failed = hudang_proc("record", "show", "R9999999", "--json", check=False)
    assert failed.code == 1 and "找不到" in failed.stderr
    assert _one_document(failed.stdout) == {"error": {"code": "no_record", "message": failed.stderr.strip()}}
    wrong = hudang_proc("search", "--no-such-option", "--json", check=False)
    assert wrong.code == 2 and "用法" in wrong.stderr
    assert _one_document(wrong.stdout)["error"]["code"] == "usage"  # type: ignore[index]
    verified = hudang_proc("verify", "--json")
    assert verified.code == 0 and _one_document(verified.stdout)["ok"] is True  # type: ignore[index]


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
