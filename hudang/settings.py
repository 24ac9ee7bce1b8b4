"""The data home and its settings, read once into frozen objects that are passed explicitly.

Live data lives in the data home (``--home``, else ``$HUDANG_HOME``, else ``~/hudang``), never in
the source tree. ``config.toml`` there holds the company's settings and limits.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from hudang.errors import ConfigError, NotFound

DEFAULT_HOME = Path("~/hudang").expanduser()

DEFAULT_CONFIG = """\
# hudang 数据目录配置 (config for this data home). Edit and keep UTF-8.

[company]
name = "示例物业服务有限公司"
service_centre = "金第花园物业服务中心"
phone = "0552-1234567"
address = ""

[intake]
# The intake folder may live elsewhere (e.g. a network share): an absolute path.
folder = "intake"
max_file_mb = 50          # larger files are quarantined
max_unzipped_mb = 200     # ZIP bomb guard for DOCX/XLSX
libreoffice_timeout_s = 120

[filing]
group_commit = 64         # records made durable together in one batch

[watch]
stable_seconds = 2        # a file is taken when its size and mtime held still this long
rescan_seconds = 60       # a full rescan of the intake folder catches what events missed
polling = false           # true for network shares (SMB/NFS), where inotify sees nothing
after_filing = "move"     # "move" to intake/.done/YYYY-MM-DD/, or "remove"
max_queue = 5000          # files watched at once; the rescan picks up the rest
batch = 2048              # files taken per round (read and filed as one stream)

[dunning]
deadline_days = 15        # a 催缴函 asks for payment within this many days of its date
payment = ["到物业服务中心前台缴纳（现金、刷卡、扫码）", "银行转账至物业服务企业账户（请注明房号）"]
seal_image = ""           # optional PNG of the company seal, printed beside the signature
# Per-estate contacts where they differ from [company]:
# [estates."金第花园"]
# address = "安徽省蚌埠市……金第花园"   # also the mailing address of the estate's rooms
# postcode = "233000"
# phone = "0552-7654321"
# service_centre = "金第花园物业服务中心"

[backup]
dest = ""                 # where `hudang backup create` writes (a mounted NAS or USB disk), e.g. "/mnt/nas/hudang"
keep = 30                 # generations kept; older ones are dropped after each backup

[office]
pdf_instances = 2         # LibreOffice instances converting DOCX→PDF side by side (one per core)
pdf_batch = 50            # documents per conversion call
pdf_timeout_s = 300       # a call that takes longer is killed and its documents retried once
"""


@dataclass(frozen=True)
class Company:
    name: str = "示例物业服务有限公司"
    service_centre: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class Contact:
    """Who signs and where to reply: the company's settings, with an estate's own where it has them."""

    company: str
    service_centre: str
    phone: str
    address: str
    postcode: str = ""


@dataclass(frozen=True)
class DunningSettings:
    deadline_days: int = 15
    payment: tuple[str, ...] = ("到物业服务中心前台缴纳（现金、刷卡、扫码）", "银行转账至物业服务企业账户（请注明房号）")
    seal_image: str = ""


@dataclass(frozen=True)
class OfficeSettings:
    pdf_instances: int = 2
    pdf_batch: int = 50
    pdf_timeout: float = 300.0


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_unzipped_bytes: int = 200 * 1024 * 1024
    libreoffice_timeout: float = 120.0
    group_commit: int = 64


@dataclass(frozen=True)
class BackupSettings:
    dest: str = ""
    keep: int = 30


@dataclass(frozen=True)
class WatchSettings:
    stable_seconds: float = 2.0
    rescan_seconds: float = 60.0
    polling: bool = False
    after_filing: str = "move"
    max_queue: int = 5000
    batch: int = 2048


@dataclass(frozen=True)
class Home:
    """Where a data home keeps each of its parts."""

    root: Path
    intake: Path
    company: Company = field(default_factory=Company)
    limits: Limits = field(default_factory=Limits)
    watch: WatchSettings = field(default_factory=WatchSettings)
    dunning: DunningSettings = field(default_factory=DunningSettings)
    office: OfficeSettings = field(default_factory=OfficeSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    estate_contacts: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def contact(self, estate: str | None = None) -> Contact:
        own = dict(dict(self.estate_contacts).get(estate or "", ()))
        c = self.company
        # Each estate has its own 物业服务中心: the company-wide name only stands in when no estate is named.
        centre = own.get("service_centre") or (f"{estate}物业服务中心" if estate else c.service_centre)
        return Contact(company=own.get("company", c.name), service_centre=centre,
                       phone=own.get("phone", c.phone), address=own.get("address", c.address),
                       postcode=own.get("postcode", ""))

    @property
    def templates_dir(self) -> Path:
        """Templates an office edits in Word replace the built-in ones by file name."""
        return self.root / "templates"

    @property
    def outputs_dir(self) -> Path:
        return self.root / "outputs"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.sqlite"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def forms_dir(self) -> Path:
        return self.root / "forms"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def audit_log(self) -> Path:
        return self.root / "audit.log"

    @property
    def key_path(self) -> Path:
        return self.root / "secret.key"

    def secret_key(self) -> bytes:
        """The key for hashing personal data in the index; backed up with the home."""
        return bytes.fromhex(self.key_path.read_text().strip())


def resolve_root(option: str | None) -> Path:
    if option:
        return Path(option).expanduser().resolve()
    env = os.environ.get("HUDANG_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_HOME


def load_home(root: Path) -> Home:
    """Read a data home made by `init`; a missing one is a clear error, not a silent default."""
    config_path = root / "config.toml"
    if not config_path.is_file():
        raise NotFound(f"数据目录 {root} 尚未初始化，请先运行 hudang init（或用 --home 指定数据目录）", code="no_home")
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件 {config_path} 有误：{exc}") from exc
    company = Company(**{k: str(v) for k, v in data.get("company", {}).items() if k in Company.__dataclass_fields__})
    intake_cfg = data.get("intake", {})
    filing = data.get("filing", {})
    limits = Limits(
        max_bytes=int(float(intake_cfg.get("max_file_mb", 50)) * 1024 * 1024),
        max_unzipped_bytes=int(float(intake_cfg.get("max_unzipped_mb", 200)) * 1024 * 1024),
        libreoffice_timeout=float(intake_cfg.get("libreoffice_timeout_s", 120)),
        group_commit=max(1, int(filing.get("group_commit", 64))),
    )
    intake = Path(str(intake_cfg.get("folder", "intake"))).expanduser()
    if not intake.is_absolute():
        intake = root / intake
    w = data.get("watch", {})
    after = str(w.get("after_filing", "move"))
    if after not in ("move", "remove"):
        raise ConfigError(f"配置文件 {config_path}：[watch] after_filing 只能是 \"move\" 或 \"remove\"")
    watch = WatchSettings(stable_seconds=float(w.get("stable_seconds", 2)), rescan_seconds=float(w.get("rescan_seconds", 60)),
                          polling=bool(w.get("polling", False)), after_filing=after,
                          max_queue=max(1, int(w.get("max_queue", 5000))), batch=max(1, int(w.get("batch", 2048))))
    d = data.get("dunning", {})
    payment = d.get("payment", DunningSettings.payment)
    dunning = DunningSettings(deadline_days=int(d.get("deadline_days", 15)),
                              payment=tuple(str(p) for p in ([payment] if isinstance(payment, str) else payment)),
                              seal_image=str(d.get("seal_image", "")))
    o = data.get("office", {})
    office = OfficeSettings(pdf_instances=max(1, int(o.get("pdf_instances", 2))),
                            pdf_batch=max(1, int(o.get("pdf_batch", 50))),
                            pdf_timeout=float(o.get("pdf_timeout_s", 300)))
    b = data.get("backup", {})
    backup = BackupSettings(dest=str(b.get("dest", "")), keep=max(1, int(b.get("keep", 30))))
    contacts = tuple((str(name), tuple((str(k), str(v)) for k, v in entry.items()))
                     for name, entry in data.get("estates", {}).items() if isinstance(entry, dict))
    return Home(root=root, intake=intake, company=company, limits=limits, watch=watch, dunning=dunning,
                office=office, backup=backup, estate_contacts=contacts)


def init_home(root: Path) -> tuple[Home, bool]:
    """Create a data home (idempotent). Returns the home and whether it was new."""
    created = not (root / "config.toml").exists()
    root.mkdir(parents=True, exist_ok=True)
    if created:
        (root / "config.toml").write_text(DEFAULT_CONFIG, encoding="utf-8")
    key_path = root / "secret.key"
    if not key_path.exists():
        key_path.write_text(secrets.token_hex(32) + "\n")
        key_path.chmod(0o600)
    home = load_home(root)
    for part in (home.archive, home.quarantine, home.forms_dir, home.run_dir, home.logs_dir, home.intake):
        part.mkdir(parents=True, exist_ok=True)
    return home, created
