"""`hudang serve`: gunicorn (never Django's runserver) on the home's web (its systemd unit: service/unit.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hudang.settings import Home

# The access log leaves out query strings (%(U)s is the path alone): nothing a person typed is logged.
ACCESS_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def default_workers() -> int:
    return max(2, min(8, (os.cpu_count() or 1) * 2))


def command(root: Path, host: str, port: int, workers: int) -> list[str]:
    """The gunicorn command line for the home at ``root``."""
    return [sys.executable, "-m", "gunicorn", "hudang.pipeline.web.wsgi:application",
            "--bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}", "--workers", str(workers),
            "--worker-tmp-dir", "/dev/shm" if Path("/dev/shm").is_dir() else str(root / "run"),
            "--access-logfile", "-", "--access-logformat", ACCESS_FORMAT, "--error-logfile", "-",
            "--timeout", "120", "--graceful-timeout", "20", "--forwarded-allow-ips", "127.0.0.1,::1",
            "--limit-request-line", "8190", "--no-control-socket"]


def environment(root: Path) -> dict[str, str]:
    return {**os.environ, "HUDANG_HOME": str(root), "DJANGO_SETTINGS_MODULE": "hudang.pipeline.web.conf"}


def exec_gunicorn(root: Path, host: str, port: int, workers: int) -> None:
    """Replace this process with gunicorn: its signals (SIGTERM, SIGHUP) go straight to the server."""
    argv = command(root, host, port, workers)
    os.execve(argv[0], argv, environment(root))



def prepare(home: Home) -> None:
    """Before gunicorn forks its workers: Django set up on the home, web.sqlite3 created or migrated."""
    from hudang.pipeline.web import conf

    conf.setup(home.root)
    conf.migrate()
