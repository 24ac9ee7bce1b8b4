"""What intake writes and reads cannot be turned against the archivist: links in a folder are not
followed, files are private, leftovers of killed runs go, a full disk is said in Chinese, logs stay one
line per message."""

from __future__ import annotations

import re
from pathlib import Path

from builders import complaint, json_form
from conftest import Hudang


def test_newline_in_a_file_name_cannot_forge_a_log_line(hudang: Hudang, tmp_path: Path) -> None:
    forged = "2026-01-01 00:00:00,000 INFO 伪造的日志行"
    name = f"投诉\n{forged}\r.json"
    path = json_form(tmp_path / "in" / name, "投诉处理单", complaint("TS-LOG-1"))
    [out] = hudang.ingest(path.parent)
    assert out["status"] == "quarantined"   # no roster yet: quarantined and logged, which is what matters here
    lines = (hudang.home / "logs" / "hudang.log").read_text(encoding="utf-8").splitlines()
    stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")
    assert lines and all(stamp.match(line) for line in lines), lines
    assert not any(line.startswith(forged) for line in lines)
    assert any("投诉\\n2026-01-01" in line for line in lines)
