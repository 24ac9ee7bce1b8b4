"""`hudang quarantine dismiss`: an entry set aside (已搁置) with a reason, listed apart, audited, reversible."""

from __future__ import annotations

from pathlib import Path

from builders import complaint, json_form
from conftest import Hudang


def test_dismiss_lists_apart_audits_and_restores(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    bad = json_form(tmp_path / "坏.json", "投诉处理单", {**complaint("TS-1"), "投诉人": ""})
    [out] = hudang.ingest(bad)
    qid = out["quarantine_id"]
    refused = hudang("quarantine", "dismiss", qid, check=False)
    assert refused.code == 2 and "--reason" in refused.stderr + refused.stdout
    done = hudang.json("quarantine", "dismiss", qid, "--reason", "住户撤回投诉 13812345678")
    assert done["state"] == "dismissed" and done["reason"] == "住户撤回投诉 138****5678"
    assert hudang.json("quarantine", "list")["entries"] == []
    [aside] = hudang.json("quarantine", "list", "--dismissed")["entries"]
    assert aside["id"] == qid and aside["dismissed"]["reason"] == "住户撤回投诉 138****5678"
    assert "已搁置：住户撤回投诉" in hudang("quarantine", "list", "--dismissed").stdout
    again = hudang("quarantine", "dismiss", qid, "--reason", "x", check=False)
    assert again.code == 2 and "已搁置" in again.stderr
    retry = hudang("quarantine", "retry", qid, check=False)
    assert retry.code == 2 and "quarantine restore" in retry.stderr
    audit = (hudang.home / "audit.log").read_text(encoding="utf-8")
    assert "quarantine_dismiss" in audit and "13812345678" not in audit
    # a new entry never takes the id of a dismissed one
    [other] = hudang.ingest(json_form(tmp_path / "坏2.json", "投诉处理单", {**complaint("TS-2"), "接报人": ""}))
    assert other["quarantine_id"] != qid

    hudang("quarantine", "restore", qid)
    assert {e["id"] for e in hudang.json("quarantine", "list")["entries"]} == {qid, other["quarantine_id"]}
    assert hudang.json("quarantine", "list", "--dismissed")["entries"] == []
    assert "quarantine_restore" in (hudang.home / "audit.log").read_text(encoding="utf-8")
