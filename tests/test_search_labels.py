"""Label queries combined with filters (the demo's `投诉人:王 --form 投诉` once failed inside whoosh)."""

from __future__ import annotations

from pathlib import Path

from builders import complaint, json_form
from conftest import Hudang


def test_label_queries_with_filters(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    hudang.ingest(roster_csv)
    forms = [json_form(tmp_path / f"c{i}.json", "投诉处理单", complaint(f"TS-L{i}", room=room, 投诉人=name))
             for i, (name, room) in enumerate([("王建国", "1-1-301"), ("王芳", "2-1-302"), ("李四", "3-2-1201")])]
    assert {o["status"] for o in hudang.ingest(*forms)} == {"filed"}
    for args, total in [(["投诉人:王", "--form", "投诉"], 2), (["投诉人:王", "--form", "投诉", "--estate", "金第花园"], 2),
                        (["投诉人:王建国", "--household", "金第花园/1-1-301"], 1),
                        (["投诉人:王 OR 投诉人:李", "--form", "投诉处理单"], 3),
                        (["投诉人:王 -投诉人:王芳", "--from", "2026-11-01", "--to", "2026-11-30"], 1)]:
        assert hudang.json("search", *args)["total"] == total, args
