"""The ``hudang`` command: one door onto the application layer (parse, call, render)."""

from __future__ import annotations

import sys


def _zhconv_without_pkg_resources() -> None:
    """zhconv finds its dictionary through pkg_resources when that imports, and importing pkg_resources scans
    every installed distribution (about 0.1 s, half a `hudang --help`). Without it zhconv opens the same
    file beside itself, so the command imports zhconv that way before anything else does."""
    if "zhconv" in sys.modules or "pkg_resources" in sys.modules:
        return
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes `from pkg_resources import …` fail
    try:
        import zhconv  # noqa: F401
    finally:
        del sys.modules["pkg_resources"]


def main(argv: list[str] | None = None) -> None:
    """Console entry point; the commands are imported only when the command line runs. A search is first
    offered to the running intake service, which has what it imports loaded (pipeline/cli/quick.py)."""
    if argv is None and sys.argv[1:2] == ["search"]:
        from hudang.pipeline.cli.quick import ask

        code = ask(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    _zhconv_without_pkg_resources()
    from hudang.pipeline.cli.main import main as run

    run(argv)
