"""The sample generator (samples/make_samples.py) writes a deterministic data set whose files open and whose
numbers are valid, so that hudang's own tests and demos can rely on it."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import sys
import tomllib
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import docx
import pytest
import zhconv
from openpyxl import load_workbook
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
FORM_FOLDERS = {"住户登记表": "registration", "投诉处理单": "complaint"}
ID_RE = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
USCC_RE = re.compile(r"(?<![0-9A-Z])9[0-9A-HJ-NPQRTUWXY]{17}(?![0-9A-Z])")


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "samples" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ms = _load_generator()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    dest = tmp_path_factory.mktemp("samples")
    return dest, ms.make_samples(dest, forms=60)


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def good_files(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*")) if p.is_file() and p.parent.name != "有问题的表单"]


def labels_of(form: str) -> set[str]:
    definition = tomllib.loads((ROOT / "forms" / "definitions" / f"{form}.toml").read_text(encoding="utf-8"))
    return {name for field in definition["fields"] for name in [field["name"], *field.get("aliases", [])]}


def normalize(label: str) -> str:
    """SPEC §3: Traditional→Simplified, white space and a trailing colon removed."""
    return zhconv.convert(re.sub(r"\s+", "", label), "zh-hans").rstrip(":：")


def id_is_valid(number: str) -> bool:
    """GB 11643, computed independently of the generator."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(number[:17], weights, strict=True)) % 11]
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return number[17].upper() == check


def uscc_is_valid(code: str) -> bool:
    """GB 32100 check character."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(chars.index(c) * (3 ** i % 31) for i, c in enumerate(code[:17]))
    return code[17] == chars[(31 - total % 31) % 31]


def text_of(path: Path) -> str:
    """Every value a file holds, as text."""
    if path.suffix == ".docx":
        document = docx.Document(str(path))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if path.suffix == ".pdf":
        return "\n".join(f"{k}:{v}" for k, v in PdfReader(path).get_form_text_fields().items())
    if path.suffix == ".xlsx":
        rows = load_workbook(path).active.iter_rows(values_only=True)
        return "\n".join(str(v) for row in rows for v in row)
    raw = path.read_bytes()
    return raw.decode("gb18030") if path.name == "报修单-翠湖苑.csv" else raw.decode("utf-8-sig")


def test_same_seed_gives_the_same_files(generated: tuple[Path, dict], tmp_path: Path) -> None:
    first, summary = generated
    again = ms.make_samples(tmp_path, forms=60)
    assert files(first) == files(tmp_path)
    assert summary | {"dest": ""} == again | {"dest": ""}
    for name in files(first):  # JSON and CSV above all, but every other kind is pinned too
        assert (first / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_another_seed_gives_other_data(generated: tuple[Path, dict], tmp_path: Path) -> None:
    first, _ = generated
    ms.make_samples(tmp_path, seed=8, forms=60)
    assert (first / "催缴记录.csv").read_bytes() != (tmp_path / "催缴记录.csv").read_bytes()


def test_summary_counts_match_the_files(generated: tuple[Path, dict]) -> None:
    root, summary = generated
    registrations = summary["住户登记表"]
    complaints = summary["投诉处理单"]
    assert len(list((root / "住户登记表").iterdir())) == sum(registrations[k] for k in ("docx", "json", "json_en"))
    made = sum(complaints[k] for k in ("docx", "pdf", "json", "versions", "duplicates"))
    assert len(list((root / "投诉处理单").iterdir())) == made
    expected = summary["expected"]
    assert expected["records"] == {"registration": 21, "complaint": 21, "repair": 18 + 3}
    assert expected["good_records"] == 60 + 3
    assert complaints["versions"] == 4 and complaints["moves"] == 1
    [move] = expected["moves"]
    assert move["from"] != move["to"] and move["from"].split("/")[0] == move["to"].split("/")[0]


def test_every_id_number_is_valid(generated: tuple[Path, dict]) -> None:
    root, summary = generated
    ids, codes = [], []
    for path in good_files(root):
        text = text_of(path)
        ids += ID_RE.findall(text)
        codes += USCC_RE.findall(text)
    assert len(ids) >= summary["expected"]["records"]["registration"]
    assert [i for i in ids if not id_is_valid(i)] == []
    assert all(uscc_is_valid(c) for c in codes)
    assert id_is_valid("11010519491231002X")  # the standard's own example keeps the checker honest


def test_docx_forms_open_with_their_title_and_one_table(generated: tuple[Path, dict]) -> None:
    root, _ = generated
    paths = [p for folder in FORM_FOLDERS for p in (root / folder).glob("*.docx")]
    assert paths
    for path in paths:
        document = docx.Document(str(path))
        assert normalize(document.paragraphs[0].text) in {"住户登记表", "投诉处理单"}
        assert len(document.tables) == 1


def test_pdf_fields_read_back_with_chinese_names_and_values(generated: tuple[Path, dict]) -> None:
    root, _ = generated
    known = labels_of("complaint")
    paths = sorted((root / "投诉处理单").glob("*.pdf"))
    assert paths
    for path in paths:
        fields = PdfReader(path).get_form_text_fields()
        assert set(fields) <= known, path.name
        assert fields["编号"] == path.name[:14]
        assert re.search(r"[\u4e00-\u9fff]", fields["投诉人"])
        assert fields["项目"] in {"金第花园", "翠湖苑"}


def test_json_labels_are_known_to_the_form_definitions(generated: tuple[Path, dict]) -> None:
    root, _ = generated
    for folder, form in FORM_FOLDERS.items():
        known = labels_of(form)
        for path in (root / folder).glob("*.json"):
            doc = json.loads(path.read_text(encoding="utf-8"))
            fields = doc["字段"] if "字段" in doc else doc["fields"]
            assert doc.get("表单", doc.get("form")) in {ms.FORM_NAMES[form], form}
            assert {normalize(label) for label in fields} <= known, path.name


def test_repair_batch_has_a_title_row_then_the_definition_labels(generated: tuple[Path, dict]) -> None:
    root, summary = generated
    definition = tomllib.loads((ROOT / "forms" / "definitions" / "repair.toml").read_text(encoding="utf-8"))
    sheet = load_workbook(root / "报修单.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "业主报修登记表"
    assert list(rows[1]) == [field["name"] for field in definition["fields"]]
    assert len(rows) - 2 == summary["报修单.xlsx"]["rows"]
    phones = Counter(type(row[4]).__name__ for row in rows[2:])
    assert phones["int"] == 2 and phones["str"] == len(rows) - 4
    assert any(str(row[7]) == "渗漏水" for row in rows[2:])


def test_repair_csv_is_gb18030(generated: tuple[Path, dict]) -> None:
    root, summary = generated
    raw = (root / "报修单-翠湖苑.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw.decode("gb18030"))))
    assert rows[0] == ms.REPAIR_LABELS
    assert len(rows) - 1 == summary["报修单-翠湖苑.csv"]["rows"]
    assert {row[1] for row in rows[1:]} == {"翠湖苑"}


def test_rosters_have_their_headers_and_rooms(generated: tuple[Path, dict]) -> None:
    root, summary = generated
    rows = list(load_workbook(root / "房屋清单-金第花园.xlsx").active.iter_rows(values_only=True))
    assert rows[0][0] == "金第花园房屋清单"
    assert list(rows[1]) == ["项目", "楼栋", "单元", "房号", "建筑面积", "业主姓名"]
    assert len(rows) - 2 == summary["rosters"]["金第花园"]
    assert any(row[1] == "商业街" and str(row[3]).startswith("S") for row in rows[2:])
    raw = (root / "房屋清单-翠湖苑.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(table) - 1 == summary["rosters"]["翠湖苑"] and {row[2] for row in table[1:]} == {""}


def test_fee_ledger_and_reminder_log(generated: tuple[Path, dict]) -> None:
    root, summary = generated
    rows = list(load_workbook(root / "收费台账.xlsx").active.iter_rows(values_only=True))
    assert list(rows[0]) == ["项目", "房号", "费用项目", "所属期间", "应收金额", "实收金额", "收费日期"]
    assert {row[3] for row in rows[1:]} == {f"2026-{m:02d}" for m in range(1, 12)}
    assert {row[2] for row in rows[1:]} == {"物业服务费", "车位管理费"}
    assert len({row[1] for row in rows[1:]}) == 60
    unpaid = [row for row in rows[1:] if row[6] is None]
    assert 0 < len(unpaid) < len(rows) / 5
    log = list(csv.reader(io.StringIO((root / "催缴记录.csv").read_text(encoding="utf-8"))))
    assert log[0] == ["项目", "房号", "日期", "方式", "备注"]
    assert {row[3] for row in log[1:]} == {"电话", "短信", "上门", "函件"}
    lists = summary["expected"]["dunning_as_of_2026-12-01"]
    assert [len(lists[k]) for k in ("letters", "reminders", "escalations")] == [3, 2, 1]


def test_bad_inputs_are_there_and_bad_in_the_stated_way(generated: tuple[Path, dict]) -> None:
    root, summary = generated
    folder = root / "有问题的表单"
    expected = summary["expected"]
    named = {bad["file"] for bad in expected["quarantined"]} | set(expected["ignored"])
    assert {p.name for p in folder.iterdir()} == named
    assert (folder / "空文件.docx").stat().st_size == 0
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(folder / "截断的登记表.docx")
    assert not (folder / "扫描件.pdf").read_bytes().startswith(b"%PDF")
    bad_ids = ID_RE.findall(text_of(folder / "住户登记表-证件号码校验位错误.docx"))
    assert any(not id_is_valid(i) for i in bad_ids)
    assert "7栋9单元9999" in text_of(folder / "投诉处理单-房号不在清单.docx")
    floats = list(load_workbook(folder / "住户登记批量-证件号码为数字.xlsx").active.iter_rows(values_only=True))
    assert all(isinstance(row[3], float) for row in floats[1:])
    fields = PdfReader(folder / "投诉处理单-回访早于完成.pdf").get_form_text_fields()
    assert fields["回访时间"] < fields["完成时间"]


def test_closing_versions_sort_after_their_first_version(generated: tuple[Path, dict]) -> None:
    root, summary = generated
    names = sorted(p.name for p in (root / "投诉处理单").iterdir())
    closing = [n for n in names if "-结案" in n]
    assert len(closing) == summary["投诉处理单"]["versions"]
    for name in closing:
        first = [n for n in names if n.startswith(name[:14] + "-受理")]
        assert len(first) == 1 and names.index(first[0]) < names.index(name)


def test_bench_corpus_mixes_kinds_and_starts_with_rosters(tmp_path: Path) -> None:
    paths = ms.make_bench_corpus(tmp_path, 30)
    assert [p.name for p in paths[:2]] == ["房屋清单-金第花园.xlsx", "房屋清单-翠湖苑.csv"]
    assert Counter(p.suffix for p in paths[2:]) == {".docx": 10, ".json": 10, ".pdf": 10}
    assert all(p.is_file() for p in paths)
    for pdf in (p for p in paths if p.suffix == ".pdf"):
        assert PdfReader(pdf).get_form_text_fields()["项目"] in {"金第花园", "翠湖苑"}


@pytest.mark.slow
def test_bench_corpus_of_2000_is_made_whole(tmp_path: Path) -> None:
    """How long it takes is the benches' to measure (timed assertions fail on a loaded machine)."""
    paths = ms.make_bench_corpus(tmp_path, 2000)
    assert len(paths) == 2002
