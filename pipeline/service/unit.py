"""systemd units: the intake service, the web (`hudang serve`), and the timers for a nightly backup and a weekly verify (README)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

UNIT = """\
[Unit]
Description=hudang 户档 intake service (watched folders)
Documentation=file://{readme}
After=network-online.target remote-fs.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Environment=HUDANG_HOME={home}
Environment=PYTHONUNBUFFERED=1
ExecStart={exe} watch
# SIGTERM to the service only: it finishes the files in hand, then exits 0.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=120
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
"""


WEB_UNIT = """\
[Unit]
Description=hudang 户档 web interface (gunicorn)
Documentation=file://{readme}
After=network-online.target remote-fs.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Environment=HUDANG_HOME={home}
Environment=PYTHONUNBUFFERED=1
ExecStart={exe} serve --host {host} --port {port} --workers {workers}
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
"""


ONESHOT = """\
[Unit]
Description=hudang 户档 {what}
Documentation=file://{readme}
After=network-online.target remote-fs.target
Wants=network-online.target
{requires}
[Service]
Type=oneshot
User={user}
Environment=HUDANG_HOME={home}
Environment=PYTHONUNBUFFERED=1
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


def unit_text(home: Path, user: str) -> str:
    return UNIT.format(user=user, home=home, exe=_exe(), readme=_readme())


def web_unit_text(home: Path, user: str, host: str, port: int, workers: int) -> str:
    """hudang-web.service: `hudang serve` (gunicorn); put nginx with TLS in front for the LAN (README)."""
    return WEB_UNIT.format(user=user, home=home, exe=_exe(), readme=_readme(), host=host, port=port,
                           workers=workers)


def timer_units(home: Path, user: str, dest: str) -> dict[str, str]:
    """hudang-backup.service/.timer (a generation to ``dest`` every night) and hudang-verify.service/.timer
    (the archive and the latest backup checked every week); a failure shows in `systemctl --failed`."""
    exe, readme = _exe(), _readme()
    quoted = f' "{dest}"' if dest else ""
    mount = f"RequiresMountsFor={dest}\n" if dest else ""
    return {
        "hudang-backup.service": ONESHOT.format(what="nightly backup", readme=readme, user=user, home=home,
                                                requires=mount, commands=f"ExecStart={exe} backup create{quoted}"),
        "hudang-backup.timer": TIMER.format(what="nightly backup", when=BACKUP_AT),
        "hudang-verify.service": ONESHOT.format(what="weekly verify", readme=readme, user=user, home=home,
                                                requires=mount, commands=f"ExecStart={exe} verify\n"
                                                f"ExecStart={exe} backup verify{quoted}"),
        "hudang-verify.timer": TIMER.format(what="weekly verify", when=VERIFY_AT),
    }
