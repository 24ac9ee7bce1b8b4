"""A query is segmented without the whole jieba dictionary (index/segmenter.py), and nothing found changes.

Each comparison runs in a fresh process: there the query side first answers with its small segmenter; then the
full segmenter is loaded (as the old code always did) and the same searches run again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_startup import COMMAND_MODULES, HEAVY

from builders import complaint, json_form, registration
from conftest import Hudang

HEAVY_FOR_SEARCH = ("rjieba", "asyncio", "ssl", "urllib.request", "http.client",
                    # the log file's rotating handler (a search writes no line), and what only writing an index,
                    # fuzzy queries or highlighting use (index/lightly.py defers them while whoosh is imported)
                    "logging.handlers", "socket", "tempfile", "shutil", "bz2", "lzma", "random", "queue", "html",
                    "whoosh.automata.lev")

QUERIES = [
    # Chinese words and phrases
    "单元", "漏水", "卫生间渗漏水", "欧阳建国", "阳建", "王", "物业服务费", "噪音扰民", "天花板发霉", "电梯故障困人",
    "金第花园", "业主委员会", "阳台地漏堵塞返水", "投诉", "维修工作单", "楼下天花板", '"天花板发霉"', "回访满意",
    # Traditional and full-width
    "衛生間", "電梯故障", "投訴處理單", "樓下天花闆", "２０２６号", "ＷＸ－９",
    # digits, phones, plates, rooms, dates
    "1201", "2026", "302", "13912345678", "5678", "皖C·12345", "皖c12345", "WX-9", "TS-2", "0552-3123456",
    "3栋2单元1201", "1-2-1201", "三栋二单元1201室", "3栋漏水", "1单元302", "2026年10月5日", "2026-11-02",
    # 标签:值 and operators
    "投诉人:欧阳建国", "投诉人:王", "投訴人:王五", "维修类别:渗漏水", "编号:TS-2", "房号:1-2-1201",
    "渗漏水 OR 电梯", "金第花园 -漏水", "金第花园 NOT 朝阳", "(漏水 OR 故障) 金第花园", "漏水 卫生间",
    # no hit, and mixed scripts
    "不存在的词语", "abc漏水123", "a座2801", "业主1", "商户甲S101",
]
WORDS_ONLY = ["张三李四王五", "物业服务中心秩序维护部", "装修垃圾清运", "欧阳建国投诉卫生间渗漏水", "金第花園", "中国人民银行",
              "2026年10月5日上午", "ab12汉字cd", "。，、", "噪音扰民投诉电梯故障困人十分钟"]

SCRIPT = r"""
import json, sys
from pathlib import Path
from hudang.errors import HudangError
from hudang.index import analysis
from hudang.pipeline.app.search import run_search
from hudang.settings import load_home

home, queries, words_only, vocabulary = load_home(Path(sys.argv[1])), *json.loads(sys.argv[2:][0])

def answers():
    out = []
    for q in queries:
        try:
            out.append(run_search(home, q, limit=100))
        except HudangError as exc:
            out.append({"error": exc.message})
    for q in queries[:8]:
        out.append(run_search(home, q, limit=100, form_name="投诉处理单"))
    return out

if vocabulary:
    analysis.add_words(vocabulary)
new = answers()
new_words = [analysis.query_words(q) for q in queries + words_only]
small = analysis._segmenter is None and "rjieba" not in sys.modules
analysis._rjieba()   # the full dictionary: from here on every query is cut by it, as before
old = answers()
old_words = [analysis.words(q) for q in queries + words_only]
print(json.dumps({"small": small, "new": new, "old": old, "new_words": new_words, "old_words": old_words},
                 ensure_ascii=False))
"""


@pytest.fixture
def filed(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> Hudang:
    hudang.ingest(roster_csv)
    folder = tmp_path / "in"
    json_form(folder / "c1.json", "投诉处理单", complaint("TS-1", 投诉内容="北京市朝阳区来的亲戚反映卫生间渗漏水，楼下天花板发霉",
                                                       投诉人="欧阳建国", 联系电话="13912345678"))
    json_form(folder / "c2.json", "投诉處理單", complaint("TS-2", room="1-1-302", 投诉内容="電梯故障，困人十分鐘，噪音扰民",
                                                       投诉人="王五", 投诉时间="2026-10-05 10:00", 联系电话="13700009999"))
    json_form(folder / "c3.json", "投诉处理单", complaint("TS-3", room="2-2-1202", 投诉内容="业主委员会反映物业服务费收费标准，回访满意",
                                                       投诉人="张三", 投诉时间="2026-10-20 09:00"))
    json_form(folder / "c4.json", "投诉处理单", complaint("TS-4", room="3-1-301", 投诉内容="物业服务费用明细",
                                                       投诉人="李五", 投诉时间="2026-10-21 09:00"))
    json_form(folder / "r1.json", "住户登记表", registration("1-2-1201", "李四", 车牌号="皖C·12345", 入住日期="2026-09-01",
                                                        备注="门牌２０２６号旁"))
    json_form(folder / "w1.json", "维修工作单", {"编号": "WX-9", "项目": "金第花园", "房号": "2-1-301", "报修人": "赵六",
                                            "联系电话": "0552-3123456", "报修时间": "2026-11-02 08:00",
                                            "报修内容": "阳台地漏堵塞返水，楼下天花板漏水", "维修类别": "渗漏水"})
    outcomes = hudang.ingest(folder)
    assert {o["status"] for o in outcomes} == {"filed"}
    return hudang


def _compare(home: Path, vocabulary: list[str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(home), json.dumps([QUERIES, WORDS_ONLY, vocabulary])],
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("vocabulary", [[], ["金第花园", "欧阳建国", "投诉内容", "处理结果", "服务费收费"]],
                         ids=["as-the-command", "after-added-words"])
def test_the_small_segmenter_finds_what_the_full_one_found(filed: Hudang, vocabulary: list[str]) -> None:
    got = _compare(filed.home, vocabulary)
    assert got["small"], "the queries were not cut by the small segmenter (the whole dictionary was loaded)"
    assert got["new_words"] == got["old_words"]
    for query, new, old in zip(QUERIES + QUERIES[:8], got["new"], got["old"], strict=True):
        assert new == old, query
    # the set is varied: most queries find something, some several records, some nothing
    totals = [r.get("total", 0) for r in got["new"][:len(QUERIES)]]
    assert sum(1 for t in totals if t) > len(QUERIES) * 2 // 3 and max(totals) >= 3 and 0 in totals


def test_a_search_command_loads_no_more_than_it_needs(filed: Hudang) -> None:
    """`hudang search` in a process of its own: the jieba library but not its whole dictionary (rjieba's
    package builds it), and none of the heavy modules a search does not use (asyncio and urllib.request come
    with whoosh unless index/lightly.py defers them); no other command's module, no audit log; and not
    zhconv's dictionary (a query and labels without a word it changes are left as they are)."""
    code = ("import sys; from hudang.pipeline.cli import main\n"
            "try:\n    main(['search', '欧阳建国', '--json'])\nexcept SystemExit:\n    pass\n"
            "print(repr(sorted(sys.modules)), file=sys.stderr)\n"
            "print(sys.modules['zhconv.zhconv'].zhcdicts is None, file=sys.stderr)\n"
            "from hudang.forms import values\n"
            "print(sorted(k for k, v in vars(values).items() if type(v).__name__ == '_Lazy' and v._compiled),"
            " file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env=filed.env)
    assert json.loads(proc.stdout)["total"] == 1
    *_, modules, no_dictionary, compiled = proc.stderr.strip().splitlines()
    loaded = set(eval(modules))
    assert no_dictionary == "True", "zhconv's dictionary was loaded"
    assert compiled == "[]", "a search compiled forms/values' date, money, phone or ID patterns"
    assert "rjieba.rjieba" in loaded and "whoosh.searching" in loaded
    heavy = [m for m in (*HEAVY_FOR_SEARCH, *HEAVY, *COMMAND_MODULES) if m not in ("whoosh", "sqlite3")]
    assert sorted(m for m in heavy if m in loaded) == []
