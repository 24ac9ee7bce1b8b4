"""Print coverage per package from coverage.py's JSON report (`make coverage`).

A package is a folder of the source tree (``forms/readers``, ``pipeline/cli`` …), so before/after figures
can be compared folder by folder as the code moves.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def package_of(path: str) -> str:
    return str(Path(path).parent)


def summary(report: dict[str, object]) -> list[tuple[str, int, int]]:
    """(package, statements, covered) for each package, then the total."""
    files = report["files"]
    assert isinstance(files, dict)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path, data in files.items():
        s = data["summary"]
        row = totals[package_of(path)]
        row[0] += s["num_statements"]
        row[1] += s["covered_lines"]
    rows = [(name, n, c) for name, (n, c) in sorted(totals.items())]
    rows.append(("TOTAL", sum(n for _, n, _ in rows), sum(c for _, _, c in rows)))
    return rows


def main(argv: list[str]) -> None:
    report = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    print(f"{'package':<22}{'stmts':>8}{'covered':>9}{'cover':>8}")
    for name, n, c in summary(report):
        print(f"{name:<22}{n:>8}{c:>9}{100 * c / n if n else 100:>7.1f}%")


if __name__ == "__main__":
    main(sys.argv[1:])
