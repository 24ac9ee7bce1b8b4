"""systemd units: the intake service, the web (`hudang serve`), and the timers for a nightly backup and a weekly verify (README)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

_SERVICE = """\
[Unit]
Description=hudang 户档 {what}
Documentation=file://{readme}
After=network-online.target remote-fs.target
Wants=network-online.target
{requires}
[Service]
Type={type}
User={user}
Environment=HUDANG_HOME={home}
Environment=PYTHONUNBUFFERED=1
{body}"""
"""What every hudang unit says: after the network and the file systems, as the user, on the data home."""

_INSTALL = "\n[Install]\nWantedBy=multi-user.target\n"

WATCH_BODY = """\
ExecStart={exe} watch
# SIGTERM to the service only: it finishes the files in hand, then exits 0.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=120
Restart=on-failure
RestartSec=5
""" + _INSTALL

WEB_BODY = """\
ExecStart={exe} serve --host {host} --port {port} --workers {workers}
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=5
""" + _INSTALL

ONESHOT_BODY = """\
Nice=10
IOSchedulingClass=idle
{commands}
"""

TIMER = """\
[Unit]
Description=hudang 户档 {what} (timer)

[Timer]
OnCalendar={when}
Persistent=true
RandomizedDelaySec=10min

[Install]
WantedBy=timers.target
"""

BACKUP_AT = "*-*-* 02:30:00"          # nightly, after the office closes
VERIFY_AT = "Sun *-*-* 04:00:00"      # weekly, after that night's backup


def _exe() -> str:
    return shutil.which("hudang") or str(Path(sys.executable).with_name("hudang"))


def _readme() -> Path:
    return Path(__file__).resolve().parents[2] / "README.md"


def _unit(what: str, kind: str, body: str, home: Path, user: str, requires: str = "") -> str:
    return _SERVICE.format(what=what, readme=_readme(), requires=requires, type=kind, user=user, home=home, body=body)


def unit_text(home: Path, user: str) -> str:
    return _unit("intake service (watched folders)", "simple", WATCH_BODY.format(exe=_exe()), home, user)


def web_unit_text(home: Path, user: str, host: str, port: int, workers: int) -> str:
    """hudang-web.service: `hudang serve` (gunicorn); put nginx with TLS in front for the LAN (README)."""
    return _unit("web interface (gunicorn)", "simple",
                 WEB_BODY.format(exe=_exe(), host=host, port=port, workers=workers), home, user)


def timer_units(home: Path, user: str, dest: str) -> dict[str, str]:
    """hudang-backup.service/.timer (a generation to ``dest`` every night) and hudang-verify.service/.timer
    (the archive and the latest backup checked every week); a failure shows in `systemctl --failed`."""
    exe = _exe()
    quoted = f' "{dest}"' if dest else ""
    mount = f"RequiresMountsFor={dest}\n" if dest else ""
    backup = ONESHOT_BODY.format(commands=f"ExecStart={exe} backup create{quoted}")
    verify = ONESHOT_BODY.format(commands=f"ExecStart={exe} verify\nExecStart={exe} backup verify{quoted}")
    return {
        "hudang-backup.service": _unit("nightly backup", "oneshot", backup, home, user, mount),
        "hudang-backup.timer": TIMER.format(what="nightly backup", when=BACKUP_AT),
        "hudang-verify.service": _unit("weekly verify", "oneshot", verify, home, user, mount),
        "hudang-verify.timer": TIMER.format(what="weekly verify", when=VERIFY_AT),
    }
