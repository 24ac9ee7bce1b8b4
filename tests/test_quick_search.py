"""`hudang search` answered by the running intake service (pipeline/cli/quick.py): the same output, messages
and exit status as searching by itself, without importing the search's libraries in the command's process; and
the command searching by itself whenever the service is not there to ask."""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_watch import Watcher

from hudang.pipeline.cli.quick import socket_path

from builders import complaint, json_form, wait_until
from conftest import Hudang

pytestmark = pytest.mark.slow

# The command as the console entry runs it, telling on stderr's last line whether whoosh was imported in its own
# process (it is not when the service answered).
PROBE = ("import sys\nfrom hudang.pipeline.cli import main\n"
         "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
         "sys.stdout.flush()\nprint('whoosh' in sys.modules, file=sys.stderr)\nsys.exit(code)\n")


def _search(hudang: Hudang, *args: str) -> tuple[int, str, str, bool]:
    done = subprocess.run([sys.executable, "-c", PROBE, "search", *args], env=hudang.env, capture_output=True,
                          text=True, timeout=120)
    *message, imported = done.stderr.splitlines() or ["?"]
    return done.returncode, done.stdout, "\n".join(message), imported == "True"


@pytest.fixture
def filed(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> Hudang:
    hudang.ingest(roster_csv)
    for n, room in enumerate(("3-2-1201", "1-1-301", "2-2-1201"), 1):
        json_form(tmp_path / "in" / f"c{n}.json", "投诉处理单", complaint(f"TS-{n}", room=room))
    hudang.ingest(tmp_path / "in")
    return hudang


SEARCHES = [("漏水",), ("漏水", "--json"), ("不存在的词",), ("投诉人:张三",), ("--form", "投诉处理单", "--limit", "2"),
            ('栏目:"',), ("--from", "2026-12-01", "--to", "2026-01-01"), ("--household", "金第花园/9-9-999")]


def test_the_service_answers_a_search_exactly_as_the_command_would(filed: Hudang) -> None:
    alone = {args: _search(filed, *args) for args in SEARCHES}
    assert all(imported for *_, imported in alone.values())     # no service: each searched by itself
    service = Watcher(filed)
    try:
        sock = Path(socket_path(filed.home))
        assert stat.S_ISSOCK(sock.stat().st_mode) and stat.S_IMODE(sock.stat().st_mode) == 0o600
        for args in SEARCHES:
            code, out, err, imported = _search(filed, *args)
            assert (code, out, err) == alone[args][:3], args
            assert not imported, args                            # the service's child ran it
        assert alone[("漏水",)][0] == 0 and "共 3 条" in alone[("漏水",)][1]
        assert alone[('栏目:"',)][0] == 2 and alone[('栏目:"',)][2]
        # a new record is found at once: the child opens the index as it is now
        json_form(filed.home / "intake" / "新.json", "投诉处理单", complaint("TS-9", **{"投诉内容": "电梯异响扰民"}))
        wait_until(lambda: "共 1 条" in _search(filed, "电梯异响")[1], 60, "the new record found")
    finally:
        service.stop(signal.SIGKILL)       # leaves its socket behind, as a crash would
    # the answering process ends within a second of the service; then the socket is stale and the command
    # searches by itself — the same answer all along
    wait_until(lambda: _search(filed, "漏水")[3], 30, "the command searching by itself")
    assert _search(filed, "漏水")[:3] == alone[("漏水",)][:3]


def test_a_search_through_the_service_takes_the_callers_folder_and_environment(filed: Hudang) -> None:
    """HUDANG_HOME given relative to where the command runs: the service's child resolves it from the caller's
    folder, as the command would (from the service's own folder it names no home); a service that stops takes
    its socket away."""
    service = Watcher(filed)
    try:
        env = {**filed.env, "HUDANG_HOME": filed.home.name}
        done = subprocess.run([sys.executable, "-c", PROBE, "search", "漏水", "--limit", "1"], env=env,
                              capture_output=True, text=True, timeout=120, cwd=filed.home.parent)
        assert done.returncode == 0 and "列出前 1 条" in done.stdout, done.stderr
        assert done.stderr.splitlines()[-1] == "False"          # answered by the service
    finally:
        service.stop()
    assert not Path(socket_path(filed.home)).exists()
