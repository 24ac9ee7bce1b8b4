"""The monthly 客服接待月报表: exact §9 figures on a crafted month, the documents read back, editions."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
import report_data as rd
from docx.shared import Mm
from docxtpl import DocxTemplate

from hudang.forms.report_template import BUILTIN_TEMPLATES, MONTHLY_REPORT, VARIABLES
from hudang.forms.report_template import build as build_template

from builders import json_form
from conftest import Hudang

TOP_KEYS = {"month", "complaints", "repairs", "satisfaction", "registrations", "fees", "previous", "outputs"}
SECTION_KEYS = {
    "complaints": ["total", "by_severity", "by_category", "by_department", "closed", "handling_rate", "on_time",
                   "timely_rate"],
    "repairs": ["total", "by_category", "completed", "completion_rate", "revisited", "revisit_rate",
                "revisit_on_time", "revisit_timely_rate", "rework", "rework_rate"],
    "satisfaction": ["with_result", "satisfied", "satisfaction_rate"],
    "registrations": ["total"],
    "fees": ["billed", "collected", "collection_rate"],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Hudang:
    """The crafted archive, built once for this module's read-only tests."""
    return rd.built_home(tmp_path_factory.mktemp("report"))


@pytest.fixture
def home_copy(built: Hudang, tmp_path: Path) -> Hudang:
    """A private copy of the crafted archive, for tests that write (issue, correct)."""
    target = tmp_path / "home"
    shutil.copytree(built.home, target)
    return Hudang(target, {**built.env, "HUDANG_HOME": str(target)})


@pytest.fixture(scope="module")
def october(built: Hudang) -> dict[str, Any]:
    return built.json("report", "monthly", "2026-10", "--no-pdf")  # type: ignore[no-any-return]


def test_october_figures_are_exact(october: dict[str, Any]) -> None:
    assert set(october) == TOP_KEYS
    for section, keys in SECTION_KEYS.items():
        assert list(october[section]) == keys, section
        assert october["previous"][section] is None or list(october["previous"][section]) == keys
    assert set(october["previous"]) == TOP_KEYS - {"outputs", "previous"}
    figures = {k: v for k, v in october.items() if k not in ("previous", "outputs")}
    assert figures == rd.EXPECTED_OCT
    assert october["previous"] == rd.EXPECTED_SEP
    # Rates are JSON numbers; money strings with two decimals.
    assert isinstance(october["complaints"]["handling_rate"], float)
    assert october["fees"]["billed"] == "600.50"


def test_figures_only_and_estate_filter(built: Hudang) -> None:
    plain = built.json("report", "monthly", "2026-10", "--figures-only")
    assert plain["outputs"] == [] and plain["complaints"] == rd.EXPECTED_OCT["complaints"]
    other = built.json("report", "monthly", "2026-10", "--estate", "銀河灣", "--figures-only")
    assert other["complaints"]["total"] == 1 and other["complaints"]["on_time"] == 1
    assert other["repairs"]["total"] == 0 and other["repairs"]["completion_rate"] is None
    assert other["fees"] is None   # no ledger row of 银河湾 for October
    mine = built.json("report", "monthly", "2026年10月", "--estate", "金第", "--figures-only")
    assert mine["complaints"]["total"] == 6 and mine["complaints"]["by_department"]["工程部"] == 2
    assert mine["fees"] == rd.EXPECTED_OCT["fees"]
    bad = built("report", "monthly", "2026-10", "--estate", "不存在", "--json", "--figures-only", check=False)
    assert bad.code == 1 and bad.json["error"]["code"] == "unknown_estate"
    month = built("report", "monthly", "2026-13", "--json", check=False)
    assert month.code == 2 and "YYYY-MM" in month.json["error"]["message"]


def test_month_without_records_and_previous_with_none(built: Hudang) -> None:
    sep = built.json("report", "monthly", "2026-09", "--figures-only")
    assert {k: v for k, v in sep.items() if k not in ("previous", "outputs")} == rd.EXPECTED_SEP
    august = sep["previous"]
    assert august["complaints"]["total"] == 0 and august["complaints"]["handling_rate"] is None
    assert august["complaints"]["by_severity"] == {} and august["satisfaction"]["satisfaction_rate"] is None
    # August has a ledger row: billed, nothing collected.
    assert august["fees"] == {"billed": "300.50", "collected": "0.00", "collection_rate": 0.0}
    empty = built.json("report", "monthly", "2027-03", "--figures-only")
    assert empty["complaints"]["total"] == 0 and empty["repairs"]["revisit_rate"] is None
    assert empty["fees"] is None and empty["previous"]["registrations"] == {"total": 0}


def _tables(document: Any) -> dict[str, list[list[str]]]:
    """Each table by its first header cell plus the heading before it."""
    out: dict[str, list[list[str]]] = {}
    heading = ""
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
            if text.strip():
                heading = text.strip()
        elif tag == "tbl":
            table = next(t for t in document.tables if t._tbl is child)
            out[heading] = [[c.text.strip() for c in row.cells] for row in table.rows]
    return out


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def test_docx_tables_and_analysis_match_the_json(october: dict[str, Any]) -> None:
    path = Path(next(p for p in october["outputs"] if p.endswith(".docx")))
    assert path.name == "客服接待月报表_全部项目_2026-10_草稿.docx"
    document = docx.Document(str(path))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    tables = _tables(document)
    summary = {row[0]: row[1:] for row in tables["一、主要指标汇总"][1:]}
    c, r, s, prev = october["complaints"], october["repairs"], october["satisfaction"], october["previous"]
    assert summary["投诉总数（件）"] == [str(c["total"]), str(prev["complaints"]["total"]), "+5", "+250.0%"]
    assert summary["已办结投诉（件）"][:2] == [str(c["closed"]), str(prev["complaints"]["closed"])]
    assert summary["投诉处理率"][:3] == [_pct(c["handling_rate"]), _pct(prev["complaints"]["handling_rate"]),
                                    "+21.43个百分点"]
    assert summary["投诉处理及时率"][:2] == [_pct(c["timely_rate"]), "100.00%"]
    assert summary["回访率"][:2] == [_pct(r["revisit_rate"]), "—"]
    assert summary["返修率"][0] == _pct(r["rework_rate"])
    assert summary["满意率"][0] == _pct(s["satisfaction_rate"])
    assert summary["新入住登记（户）"][0] == "2"
    assert summary["应收金额（元）"][:2] == ["600.50", "—"] and summary["收缴率"][0] == "41.63%"
    for heading, counts, before in (("（一）按严重程度", c["by_severity"], prev["complaints"]["by_severity"]),
                                    ("（二）按投诉类别", c["by_category"], prev["complaints"]["by_category"]),
                                    ("（三）按被投诉部门", c["by_department"], prev["complaints"]["by_department"]),
                                    ("按维修类别", r["by_category"], prev["repairs"]["by_category"])):
        rows = {row[0]: row[1:3] for row in tables[heading][1:]}
        for key in {*counts, *before}:
            assert rows[key] == [str(counts.get(key, 0)), str(before.get(key, 0))], (heading, key)
        assert rows["合计"][0] == str(sum(counts.values()))
    overdue = tables["至本月末已超过处理时限仍未办结的投诉（含以前月份受理的）。"]
    assert [row[1] for row in overdue[1:]] == ["TS-04"] and overdue[1][-1] == "1天14小时"
    visits = {row[1]: row[-1] for row in tables["本月报修、月末前已完成，但未回访或未在时限内回访的维修单。"][1:]}
    assert visits == {"WX-02": "回访超时", "WX-05": "未回访（已超时）", "WX-04": "未回访（未到期）"}
    text = "\n".join(p.text for p in document.paragraphs)
    analysis = text[text.index("八、文字分析说明"):]
    assert "2026年10月共受理投诉7件，较上月（2件）增加5件" in analysis
    assert "处理率71.43%" in analysis and "及时率80.00%" in analysis
    assert "未在时限内办结2件" in analysis and "TS-02" in analysis and "超时1分钟办结" in analysis
    assert "TS-04" in analysis and "已超期1天14小时" in analysis
    assert "回访率50.00%，未达到程序规定的100%回访要求" in analysis
    assert "满意率80.00%" in analysis and "不满意1件" in analysis
    assert "应收¥600.50" in analysis and "收缴率41.63%" in analysis
    assert "需跟进事项" in analysis and "WX-05" in analysis
    assert "待核对" in text   # the 待核对 record is counted and said so


def test_xlsx_has_one_sheet_per_table_with_numbers(october: dict[str, Any]) -> None:
    path = Path(next(p for p in october["outputs"] if p.endswith(".xlsx")))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:5] == ["汇总", "按严重程度", "按投诉类别", "按被投诉部门", "按维修类别"]
    summary = {row[0]: row[1:] for row in wb["汇总"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert summary["投诉总数（件）"][:4] == (7, 2, 5, 2.5)
    assert summary["投诉处理率"][0] == pytest.approx(0.7143) and summary["回访率"][1] is None
    assert summary["应收金额（元）"][0] == pytest.approx(600.5) and summary["收缴率"][0] == pytest.approx(0.4163)
    severity = {row[0]: row[1] for row in wb["按严重程度"].iter_rows(min_row=2, values_only=True)}
    assert severity == {"重大": 1, "重要": 2, "轻微": 4, "合计": 7}
    assert [row[1] for row in wb["超期未办结投诉"].iter_rows(min_row=2, values_only=True)] == ["TS-04"]
    trend = list(wb["近12个月趋势"].iter_rows(min_row=2, values_only=True))
    assert len(trend) == 12 and trend[-1] == ("2026-10", 7, 5) and trend[-2] == ("2026-09", 2, 0)
    assert len(list(wb["文字分析说明"].iter_rows(min_row=2))) == 6


def test_two_months_give_different_analyses(built: Hudang, october: dict[str, Any]) -> None:
    sep = built.json("report", "monthly", "2026-09", "--no-pdf")
    def analysis(data: dict[str, Any]) -> list[str]:
        document = docx.Document(next(p for p in data["outputs"] if p.endswith(".docx")))
        texts = [p.text for p in document.paragraphs]
        return texts[texts.index("八、文字分析说明") + 1:]
    a_sep, a_oct = analysis(sep), analysis(october)
    assert a_sep != a_oct
    assert a_sep[0].startswith("一、总体情况。2026年9月共受理投诉2件，较上月（0件）增加2件；受理报修0件，与上月持平")
    assert "处理率50.00%" in a_sep[1] and "及时率100.00%" in a_sep[1] and "本月投诉无超出时限的情况" in a_sep[1]
    assert a_sep[2] == "三、维修与回访。本月未受理报修，完成率、回访率等不适用。"
    assert "尚未导入2026-09的收费台账" in a_sep[4]
    assert "未达到程序规定的100%回访要求" in a_oct[2] and "收缴率41.63%" in a_oct[4]
    assert "变化最大的是" in a_oct[0] and "严重程度“轻微”由1件增至4件（+3件）" in a_oct[0]


def _rendered_contexts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every (template, context) docxtpl is asked to render from now on in this test."""
    seen: list[tuple[str, dict[str, Any]]] = []
    render = DocxTemplate.render

    def spy(self: DocxTemplate, context: dict[str, Any], *args: Any, **kw: Any) -> None:
        seen.append((str(self.template_file), dict(context)))
        render(self, context, *args, **kw)
    monkeypatch.setattr(DocxTemplate, "render", spy)
    return seen


def test_template_contract_and_override(home_copy: Hudang, monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in template uses exactly the variables of the context the report code builds."""
    rendered = _rendered_contexts(monkeypatch)
    home_copy.json("report", "monthly", "2026-10", "--no-pdf")
    [(template, context)] = rendered
    assert Path(template) == BUILTIN_TEMPLATES / MONTHLY_REPORT
    builtin = DocxTemplate(str(BUILTIN_TEMPLATES / MONTHLY_REPORT))
    assert builtin.get_undeclared_template_variables(context=context) == set(), "the template uses unset names"
    assert builtin.get_undeclared_template_variables() == set(context), "the code builds names the template drops"
    assert set(context) == VARIABLES      # what an office's own template may use, as documented
    rebuilt = DocxTemplate(str(build_template(home_copy.home.parent / "rebuilt.docx")))  # reproducible from code
    assert rebuilt.get_undeclared_template_variables() == builtin.get_undeclared_template_variables()
    own = docx.Document(str(BUILTIN_TEMPLATES / MONTHLY_REPORT))
    own.add_paragraph("本公司自定义页脚：{{ estate_label }}")
    (home_copy.home / "templates").mkdir()
    own.save(str(home_copy.home / "templates" / MONTHLY_REPORT))
    data = home_copy.json("report", "monthly", "2026-10", "--estate", "金第花园", "--no-pdf")
    assert Path(rendered[-1][0]) == home_copy.home / "templates" / MONTHLY_REPORT
    document = docx.Document(next(p for p in data["outputs"] if p.endswith(".docx")))
    assert any(p.text == "本公司自定义页脚：金第花园" for p in document.paragraphs)
    assert "/reports/金第花园/2026-10/" in data["outputs"][0]


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_issued_editions_are_never_overwritten(home_copy: Hudang, tmp_path: Path) -> None:
    h = home_copy
    first = h("report", "monthly", "2026-09", "--issue", "--no-pdf", "--json")
    issued = first.json["outputs"]
    assert all("/签发第1版/" in p for p in issued) and "已签发" in first.stderr
    assert all(not (Path(p).stat().st_mode & 0o222) for p in issued)
    before = {p: _digest(p) for p in issued}
    again = h("report", "monthly", "2026-09", "--no-pdf", "--json")
    assert "已签发第1版" in again.stderr and "新的草稿" in again.stderr
    assert all("草稿" in p for p in again.json["outputs"])
    assert {p: _digest(p) for p in issued} == before
    # A September complaint found later: October's document shows September as issued and notes the correction.
    json_form(tmp_path / "late" / "s3.json", "投诉处理单",
              rd._complaint("TS-S3", "2026-09-20 10:00", "轻微", 投诉类别="咨询型")["字段"])
    assert h.ingest(tmp_path / "late")[0]["status"] == "filed"
    october = h.json("report", "monthly", "2026-10", "--no-pdf")
    assert october["previous"]["complaints"]["total"] == 3          # the JSON counts as of now
    document = docx.Document(next(p for p in october["outputs"] if p.endswith(".docx")))
    summary = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in document.tables[0].rows}
    assert summary["投诉总数（件）"][:3] == ["7", "2*", "+5"]      # the issued figure, marked
    text = "\n".join(p.text for p in document.paragraphs)
    assert "上月”列取自已签发的2026年9月报表（第1版" in text and "投诉总数 2→3" in text
    second = h.json("report", "monthly", "2026-09", "--issue", "--no-pdf")
    assert all("/签发第2版/" in p for p in second["outputs"])
    assert {p: _digest(p) for p in issued} == before
    cover = docx.Document(next(p for p in second["outputs"] if p.endswith(".docx")))
    assert any("第2版（签发）" in p.text for p in cover.paragraphs)
    audit = (h.home / "audit.log").read_text(encoding="utf-8")
    assert audit.count('"report_issue"') == 2


@pytest.mark.slow
def test_pdf_is_a4_with_embedded_cjk_fonts(built: Hudang) -> None:
    from pypdf import PdfReader

    data = built.json("report", "monthly", "2026-10", "--estate", "金第花园")
    pdf = Path(next(p for p in data["outputs"] if p.endswith(".pdf")))
    reader = PdfReader(str(pdf))
    assert len(reader.pages) >= 3
    for page in reader.pages:
        box = page.mediabox
        assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    lines = fonts.splitlines()
    spans, start = [], 0
    for dashes in lines[1].split(" "):   # column extents from the ----- line
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 1
    rows = [{lines[0][a:b].strip(): line[a:b].strip() for a, b in spans} for line in lines[2:] if line.strip()]
    assert rows and any("CJK" in row["name"] for row in rows)
    assert all(row["emb"] == "yes" for row in rows), fonts   # every font embedded, so every glyph is there
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "客服接待月报表" in text and "文字分析说明" in text and "\ufffd" not in text
    assert shutil.which("pdftoppm")


def test_rates_round_half_up_and_months_roll_over() -> None:
    import datetime as dt

    from hudang.pipeline.reports.figures import Month, duration, rate

    assert rate(1, 32) == 0.0313 and rate(3, 32) == 0.0938      # exact halves go up (0.03125, 0.09375)
    assert rate(2, 3) == 0.6667 and rate(0, 5) == 0.0 and rate(5, 0) is None
    jan = Month.parse("2027-1")
    assert jan.previous().label == "2026-12" and jan.previous().next() == jan and jan.back(12).label == "2026-01"
    assert Month.parse("2026年2月").last_day == dt.date(2026, 2, 28) and Month(2028, 2).last_day.day == 29
    assert duration(dt.timedelta(minutes=1)) == "1分钟" and duration(dt.timedelta(hours=38)) == "1天14小时"
