"""The systemd unit for the intake service (see README: 作为系统服务运行)."""

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


def unit_text(home: Path, user: str) -> str:
    exe = shutil.which("hudang") or str(Path(sys.executable).with_name("hudang"))
    readme = Path(__file__).resolve().parents[1] / "README.md"
    return UNIT.format(user=user, home=home, exe=exe, readme=readme)
