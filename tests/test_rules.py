"""Rules written once: config defaults, the lock helper, deadlines and public-room words as data, catalog queries."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from hudang.archive.locks import FileLock, held_elsewhere
from hudang.errors import ConfigError, LockBusy
from hudang.forms.definitions import BUILTIN_DIR, load_forms, parse_definition
from hudang.forms.places import PUBLIC_WORDS
from hudang.settings import (
    DEFAULT_CONFIG,
    KEYS,
    DunningSettings,
    Limits,
    OfficeSettings,
    WatchSettings,
    init_home,
    load_home,
)


def test_the_written_config_and_the_dataclasses_share_one_set_of_defaults(tmp_path: Path) -> None:
    home, _ = init_home(tmp_path / "home")
    written = tomllib.loads((tmp_path / "home" / "config.toml").read_text(encoding="utf-8"))
    assert written == tomllib.loads(DEFAULT_CONFIG)
    assert {(k.section, k.name) for k in KEYS} == {(s, n) for s, table in written.items() for n in table}
    assert (home.limits, home.watch, home.dunning, home.office) == (Limits(), WatchSettings(), DunningSettings(),
                                                                    OfficeSettings())
    # Every key is written with its comment where it has one, in the file's own units.
    assert "max_file_mb = 50          # larger files are quarantined" in DEFAULT_CONFIG
    assert "stable_seconds = 2        # " in DEFAULT_CONFIG and 'seal_image = ""' in DEFAULT_CONFIG


def test_a_config_without_a_key_falls_back_to_the_same_default(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.mkdir()
    (root / "config.toml").write_text("[company]\nname = \"某物业\"\n", encoding="utf-8")
    home = load_home(root)
    assert home.limits == Limits() and home.watch == WatchSettings() and home.office == OfficeSettings()
    assert home.company.name == "某物业" and home.company.phone == ""


@pytest.mark.parametrize(("text", "seconds"), [
    ("[intake]\nlibreoffice_timeout_s = 77\n", 77.0),                                  # the old intake name
    ("[intake]\nlibreoffice_timeout_s = 120\n[office]\npdf_timeout_s = 300\n", 300.0),  # an old home as written
    ("[intake]\nlibreoffice_timeout_s = 120\n[office]\ntimeout_s = 45\n", 45.0),       # the one name wins
])
def test_one_office_timeout_with_the_old_names_as_aliases(tmp_path: Path, text: str, seconds: float) -> None:
    root = tmp_path / "home"
    root.mkdir()
    (root / "config.toml").write_text(text, encoding="utf-8")
    assert load_home(root).office.timeout == seconds


def test_a_lock_held_elsewhere_names_its_holder(tmp_path: Path) -> None:
    path = tmp_path / "run" / "x.lock"
    first = FileLock(path, "忙：PID {pid}")
    assert not held_elsewhere(path)
    with first.hold():
        assert held_elsewhere(path)
        with pytest.raises(LockBusy, match=r"忙：PID \d+") as busy:
            FileLock(path, "忙：PID {pid}", code="busy_here").acquire()
        assert busy.value.code == "busy_here"
    assert not held_elsewhere(path) and not first.held
    with FileLock(path, "忙").hold():   # free again
        pass


def test_public_room_words_have_one_definition() -> None:
    forms = load_forms()
    assert forms.by_id("complaint").public_rooms == PUBLIC_WORDS
    line = next(x for x in (BUILTIN_DIR / "complaint.toml").read_text(encoding="utf-8").splitlines()
                if x.startswith("public_rooms"))
    assert line.split("#")[0].split("=")[1].strip() == "true"


def test_deadline_table_is_checked_and_an_old_home_copy_keeps_the_builtin_one(tmp_path: Path) -> None:
    builtin = tomllib.loads((BUILTIN_DIR / "complaint.toml").read_text(encoding="utf-8"))
    bad = {**builtin, "deadline": {**builtin["deadline"], "by": "没有这个字段"}}
    with pytest.raises(ConfigError, match="deadline"):
        parse_definition(bad, "test")
    old = {k: v for k, v in builtin.items() if k != "deadline"}
    assert parse_definition(old, "test").deadline is None
    own = tmp_path / "forms"
    own.mkdir()
    raw = (BUILTIN_DIR / "complaint.toml").read_text(encoding="utf-8")
    (own / "complaint.toml").write_text(raw[:raw.index("[deadline]")] + raw[raw.index("[[fields]]"):],
                                        encoding="utf-8")
    form = load_forms([own]).by_id("complaint")
    assert form.deadline == load_forms().by_id("complaint").deadline
    assert form.deadline is not None and form.deadline.days_for("") == form.deadline.days_for("轻微") == 2
    assert form.choices("严重程度") == ("重大", "重要", "轻微")


def test_every_libreoffice_call_names_the_same_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hudang.errors import ReportError, UnreadableFile
    from hudang.forms.office import INSTALL_HINT
    from hudang.forms.readers.legacy import convert_legacy
    from hudang.forms.readers.model import ReadLimits
    from hudang.pipeline.reports.editions import to_pdf

    monkeypatch.setenv("PATH", str(tmp_path))
    (tmp_path / "a.docx").write_bytes(b"x")
    with pytest.raises(ReportError, match="libreoffice-writer-nogui") as report:
        to_pdf(tmp_path / "a.docx", tmp_path / "a.pdf", 5)
    with pytest.raises(UnreadableFile) as legacy:
        convert_legacy(tmp_path / "a.docx", "docx", ReadLimits(), outdir=tmp_path / "out")
    assert report.value.code == legacy.value.code == "tool_missing"
    assert INSTALL_HINT in report.value.message and INSTALL_HINT in legacy.value.message
