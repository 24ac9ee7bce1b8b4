"""The ``hudang`` command: one door onto the application layer (parse, call, render)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    """Console entry point; the commands are imported only when the command line runs."""
    from hudang.pipeline.cli.main import main as run

    run(argv)
