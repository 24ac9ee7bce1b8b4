"""The data home's log file: created when a command opens the home, written masked, rotated at its size."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hudang import logs


@pytest.fixture
def logger() -> logging.Logger:
    log = logging.getLogger("hudang")
    kept = list(log.handlers)
    yield log
    for handler in list(log.handlers):
        if handler not in kept:
            log.removeHandler(handler)
            handler.close()
    for handler in kept:
        if handler not in log.handlers:
            log.addHandler(handler)


def test_the_log_file_is_made_at_once_written_masked_and_rotated(logger: logging.Logger, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    logs.setup(tmp_path / "logs")
    path = tmp_path / "logs" / logs.LOG_NAME
    assert path.exists() and path.read_text(encoding="utf-8") == ""   # made when the home is opened
    logger.info("已归档 张三 电话 13912345678\n伪造的一行")
    first = path.read_text(encoding="utf-8")
    assert "已归档" in first and "13912345678" not in first and len(first.splitlines()) == 1
    for n in range(60):
        logger.info("第 %d 行 %s", n, "记录" * 20)
    assert (path.parent / f"{logs.LOG_NAME}.1").exists() and path.stat().st_size <= 2000
    logs.setup(tmp_path / "other")   # another home: the handler moves there
    logger.info("另一个数据目录")
    assert "另一个数据目录" in (tmp_path / "other" / logs.LOG_NAME).read_text(encoding="utf-8")
    assert "另一个数据目录" not in path.read_text(encoding="utf-8")
