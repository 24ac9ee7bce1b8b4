"""How the code is layered, and the intake rules that must live in one place.

forms/ says what documents look like and never imports where records live (archive/) or how they move
(pipeline/); archive/ never imports pipeline/. The temp-file rule, the size checks and the import-table
headers each have one source, used alike by the intake stages and the readers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hudang.errors import Problem, Rejection, UnreadableFile
from hudang.forms.readers import read_document
from hudang.forms.readers.admission import is_temp_file
from hudang.forms.readers.model import ReadLimits, SimpleVocabulary
from hudang.forms.table_kinds import LEDGER, OWNERS, REMINDERS, ROSTER, load_table_kinds, parse_kinds
from hudang.forms.values import normalize_label
from hudang.pipeline.intake import stages
from hudang.pipeline.intake.outcomes import IGNORED, QUARANTINED
from hudang.pipeline.service.status import status
from hudang.settings import init_home

ROOT = Path(__file__).resolve().parent.parent


def _imports(folder: str) -> list[tuple[str, str]]:
    """(module file, imported module) for every import in a folder, inside functions too."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            found += [(str(path.relative_to(ROOT)), name) for name in names]
    return found


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("forms", ("hudang.archive", "hudang.pipeline")),
    ("archive", ("hudang.pipeline",)),
    ("pipeline/app", ("hudang.pipeline.cli",)),
    ("pipeline/web", ("hudang.pipeline.cli",)),
])
def test_layers_import_downwards_only(folder: str, forbidden: tuple[str, ...]) -> None:
    wrong = [(path, name) for path, name in _imports(folder)
             if any(name == f or name.startswith(f + ".") for f in forbidden)]
    assert wrong == []


# ---- one temp-file rule, one set of size checks ----

def _admit_problem(path: Path, limits: ReadLimits) -> tuple[str, Problem]:
    with pytest.raises(Rejection) as info:
        stages.admit(stages.Item(path=path, root=path.parent, source=str(path)), limits)
    return info.value.status, info.value.problems[0]


def _reader_problem(path: Path, limits: ReadLimits) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as info:
        read_document(path, SimpleVocabulary(frozenset(), normalize_label), limits)
    return info.value


@pytest.mark.parametrize(("name", "content", "code", "status"), [
    ("空文件.docx", b"", "empty_file", QUARANTINED),
    ("太大.json", b"{" + b" " * 2000 + b"}", "too_large", QUARANTINED),
    ("~$投诉.docx", b"owner", "temp_file", IGNORED),
    (".隐藏.docx", b"x", "temp_file", IGNORED),
    ("下载中.json.part", b"{}", "temp_file", IGNORED),
])
def test_intake_and_readers_refuse_alike(tmp_path: Path, name: str, content: bytes, code: str, status: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    limits = ReadLimits(max_bytes=1000)
    got_status, problem = _admit_problem(path, limits)
    exc = _reader_problem(path, limits)
    assert (got_status, problem.code) == (status, code)
    assert exc.code == code and exc.message == problem.message


def test_too_large_message_names_both_sizes(tmp_path: Path) -> None:
    path = tmp_path / "大.json"
    path.write_bytes(b"{" + b" " * (3 * 1048576) + b"}")
    _, problem = _admit_problem(path, ReadLimits(max_bytes=2 * 1048576))
    assert problem.message == "文件过大（3.0 MB，上限 2 MB）"


def test_status_counts_waiting_files_by_the_same_rule(tmp_path: Path) -> None:
    home, _ = init_home(tmp_path / "home")
    for name in ("投诉.docx", "~$投诉.docx", ".~lock.投诉.docx#", "投诉.docx.tmp", "下载.part", ".DS_Store",
                 "Thumbs.db", ".processing/已领取.docx", "维修工作单/报修.json"):
        (home.intake / name).parent.mkdir(parents=True, exist_ok=True)
        (home.intake / name).write_bytes(b"x")
        assert is_temp_file(Path(name)) == (name not in ("投诉.docx", ".processing/已领取.docx", "维修工作单/报修.json"))
    assert status(home)["waiting_in_intake"] == 2


# ---- import-table headers are data ----

def test_every_header_accepted_before_is_declared() -> None:
    kinds = load_table_kinds()
    assert [k.id for k in kinds] == [LEDGER, REMINDERS, OWNERS, ROSTER]   # the order kinds are tried in
    required = {k.id: [c.name for c in k.columns if c.required] for k in kinds}
    names = {k.id: [c.name for c in k.columns] for k in kinds}
    # 项目 is no longer required: the estate may come from context (SPEC §12); 楼栋/单元 may be in 房号.
    assert required == {ROSTER: ["房号"], LEDGER: ["房号", "费用项目", "应收金额"], REMINDERS: ["房号", "日期", "方式"],
                        OWNERS: ["房号", "业主姓名"]}
    for kind, before in {ROSTER: ["项目", "楼栋", "单元", "房号", "建筑面积", "业主姓名"],
                         LEDGER: ["项目", "房号", "费用项目", "所属期间", "应收金额", "实收金额", "收费日期"],
                         REMINDERS: ["项目", "房号", "日期", "方式", "备注"]}.items():
        assert set(before) <= set(names[kind])
    assert kinds.match(["项目", "楼栋", "单元", "房号", "业主姓名"]).kind.id == ROSTER  # type: ignore[union-attr]
    assert kinds.match(["项目", "房号", "日期", "方式"]).kind.id == REMINDERS  # type: ignore[union-attr]
    assert kinds.match(["项目", "房号", "费用项目", "所属期间", "应收金额"]).kind.id == LEDGER  # type: ignore[union-attr]
    assert kinds.match(["项目", "房号"]) is None
    assert next(k for k in kinds if k.id == REMINDERS).column("方式").choices == ("电话", "短信", "上门", "函件")


def test_an_alias_in_the_data_names_its_column() -> None:
    kinds = parse_kinds({"tables": [{"id": ROSTER, "name": "房屋清单", "columns": [
        {"name": "项目", "required": True}, {"name": "楼栋", "required": True, "aliases": ["楼号", "栋号"]},
        {"name": "房号", "required": True, "aliases": ["房间"]}]}]}, "test")
    found = kinds.match(["项目", "楼号", "房间"])
    assert found is not None and "栋号" in kinds.labels
    assert found.values(["金第花园", " 3 ", "1201"])["楼栋"] == "3"
    assert found.values(["金第花园", "", "1201"])["楼栋"] == ""


def test_the_cli_lists_as_many_search_hits_as_the_app_allows() -> None:
    """`hudang search --limit` (click, no app import at start-up) and the API take the app's one range."""
    from hudang.pipeline.app import search
    from hudang.pipeline.cli.main import cli

    limit = next(p for p in cli.commands["search"].params if p.name == "limit")
    assert (limit.type.min, limit.type.max, limit.default) == (*search.LIMITS, search.DEFAULT_LIMIT)  # type: ignore[attr-defined]
