"""The data home and its settings, read once into frozen objects that are passed explicitly.

Live data lives in the data home (``--home``, else ``$HUDANG_HOME``, else ``~/hudang``), never in
the source tree. ``config.toml`` there holds the company's settings and limits.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.errors import ConfigError, NotFound

MB = 1024 * 1024


@dataclass(frozen=True)
class Key:
    """One ``config.toml`` setting: where it is written, its default (in the file's units), what the file says."""

    section: str
    name: str
    default: Any
    comment: str = ""          # written after the value
    note: str = ""             # a comment line written above the key
    example: Any = None        # what `init` writes instead of the default (the sample company's details)


# The one place each setting and its default is written: the dataclasses below take their defaults
# from here, `load_home` falls back to them, and `init` writes DEFAULT_CONFIG from this table.
KEYS: tuple[Key, ...] = (
    Key("company", "name", "示例物业服务有限公司"),
    Key("company", "service_centre", "", example="金第花园物业服务中心"),
    Key("company", "phone", "", example="0552-1234567"),
    Key("company", "address", ""),
    Key("intake", "folder", "intake",
        note="The intake folder may live elsewhere (e.g. a network share): an absolute path."),
    Key("intake", "max_file_mb", 50, "larger files are quarantined (reported, not copied)"),
    Key("intake", "max_unzipped_mb", 200, "ZIP bomb guard for DOCX/XLSX"),
    Key("limits", "seconds_per_file", 600, "a reader past this is killed, the file quarantined (> [office] timeout_s)"),
    Key("limits", "seconds_per_ocr_page", 30, "added per page of a scan (a 500-page scan: 600 + 15000 s)"),
    Key("limits", "scan_pages", 1000, "pages per scanned file (a 500-page batch scan is normal); more: quarantined"),
    Key("limits", "page_megapixels", 40, "pixels per rendered scan page (A0 at 150 dpi is 35); larger: lower dpi"),
    Key("limits", "sheet_cells", 5000000, "cells read per worksheet (100,000 rows of 50 columns)"),
    Key("limits", "row_columns", 1000, "columns per row of a sheet or CSV"),
    Key("limits", "shared_strings", 2000000, "distinct texts in one XLSX workbook, counted before it is opened"),
    Key("limits", "cell_chars", 1000000, "characters in one CSV cell"),
    Key("limits", "min_free_mb", 1024, "`hudang status` warns when the data home's disk has less free space"),
    Key("filing", "group_commit", 64, "records made durable together in one batch"),
    Key("watch", "stable_seconds", 2, "a file is taken when its size and mtime held still this long"),
    Key("watch", "rescan_seconds", 60, "a full rescan of the intake folder catches what events missed"),
    Key("watch", "polling", False, "true for network shares (SMB/NFS), where inotify sees nothing"),
    Key("watch", "after_filing", "move", '"move" to intake/.done/YYYY-MM-DD/, or "remove"'),
    Key("watch", "max_queue", 5000, "files watched at once; the rescan picks up the rest"),
    Key("watch", "batch", 2048, "files taken per round (read and filed as one stream)"),
    Key("dunning", "deadline_days", 15, "a 催缴函 asks for payment within this many days of its date"),
    Key("dunning", "payment", ("到物业服务中心前台缴纳（现金、刷卡、扫码）", "银行转账至物业服务企业账户（请注明房号）")),
    Key("dunning", "seal_image", "", "optional PNG of the company seal, printed beside the signature"),
    Key("ocr", "engine", "rapidocr", '"rapidocr" (PP-OCRv4, ONNX) or "tesseract"; Traditional pages go to Tesseract chi_tra',
        note="The recognizer of scanned pages. RapidOCR that cannot load falls back to Tesseract, with a note."),
    Key("backup", "dest", "", "where `hudang backup create` writes: a mounted NAS or USB disk, e.g. /mnt/nas/hudang"),
    Key("backup", "keep", 30, "generations kept; older ones are dropped after each backup"),
    Key("office", "pdf_instances", 2, "LibreOffice instances converting DOCX→PDF side by side (one per core)"),
    Key("office", "pdf_batch", 50, "documents per conversion call"),
    Key("office", "timeout_s", 300, "any LibreOffice call (PDFs, legacy .doc/.xls) that takes longer is killed"),
    Key("web", "allowed_hosts", ("127.0.0.1", "localhost"),
        "host names the web answers to (add the server's LAN name or IP for --host 0.0.0.0)",
        note="`hudang serve`: the web interface (users and sessions in web.sqlite3 here)."),
    Key("web", "proxy_header", "", 'behind nginx with TLS: "X-Forwarded-Proto" (trusted only from the proxy)'),
    Key("web", "session_idle_minutes", 30, "a session unused this long is logged out"),
    Key("web", "upload_max_mb", 50, "largest web request (an upload); a larger file is refused, not stored"),
    Key("web", "lockout_failures", 5, "failed logins in a row before a user name is locked"),
    Key("web", "lockout_minutes", 30, "how long a lock lasts (hudang users unlock NAME lifts it at once)"),
    Key("export", "retention", "永久", "保管期限 printed on a binder's 卷皮 (永久, 长期, 30年 …)"),
    Key("security", "group_access", False, "files 0600, folders 0700; true: 0660/0770 for a shared group",
        note="Personal data: only the service's user reads the home. For a group of archivists, set true "
             "and give the home to that group (chgrp -R; chmod g+s on its folders)."),
)
# Older names still read from an existing home's config.toml, the key itself first, then these in order:
# [office] pdf_timeout_s and [intake] libreoffice_timeout_s were two time-outs before there was one.
ALIASES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("office", "timeout_s"): (("office", "pdf_timeout_s"), ("intake", "libreoffice_timeout_s")),
    ("web", "upload_max_mb"): (("intake", "max_upload_mb"),),
}
# Comment blocks written after a section's keys.
_SECTION_END = {"dunning": """\
# Per-estate contacts where they differ from [company]:
# [estates."金第花园"]
# address = "安徽省蚌埠市……金第花园"   # also the mailing address of the estate's rooms
# postcode = "233000"
# phone = "0552-7654321"
# service_centre = "金第花园物业服务中心"
"""}
_KEYS = {(k.section, k.name): k for k in KEYS}


def default(section: str, name: str) -> Any:
    return _KEYS[(section, name)].default


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _render(keys: tuple[Key, ...]) -> str:
    """The config.toml `init` writes: every key with its default (or example), comments aligned."""
    lines = ["# hudang 数据目录配置 (config for this data home). Edit and keep UTF-8."]
    section = ""
    for key in keys:
        if key.section != section:
            lines += [*([_SECTION_END[section].rstrip("\n")] if section in _SECTION_END else []), "",
                      f"[{key.section}]"]
            section = key.section
        if key.note:
            lines.append(f"# {key.note}")
        line = f"{key.name} = {_toml(key.default if key.example is None else key.example)}"
        lines.append(f"{line:<25} # {key.comment}" if key.comment else line)
    return "\n".join(lines) + "\n"


DEFAULT_CONFIG = _render(KEYS)


@dataclass(frozen=True)
class Company:
    name: str = default("company", "name")
    service_centre: str = default("company", "service_centre")
    phone: str = default("company", "phone")
    address: str = default("company", "address")


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
    deadline_days: int = default("dunning", "deadline_days")
    payment: tuple[str, ...] = default("dunning", "payment")
    seal_image: str = default("dunning", "seal_image")


@dataclass(frozen=True)
class OfficeSettings:
    pdf_instances: int = default("office", "pdf_instances")
    pdf_batch: int = default("office", "pdf_batch")
    timeout: float = float(default("office", "timeout_s"))   # every LibreOffice call, in seconds


@dataclass(frozen=True)
class OcrSettings:
    engine: str = default("ocr", "engine")


@dataclass(frozen=True)
class Limits:
    max_bytes: int = default("intake", "max_file_mb") * MB
    max_unzipped_bytes: int = default("intake", "max_unzipped_mb") * MB
    group_commit: int = default("filing", "group_commit")
    seconds_per_file: float = float(default("limits", "seconds_per_file"))
    seconds_per_ocr_page: float = float(default("limits", "seconds_per_ocr_page"))
    scan_pages: int = default("limits", "scan_pages")
    page_pixels: int = default("limits", "page_megapixels") * 1_000_000
    sheet_cells: int = default("limits", "sheet_cells")
    row_columns: int = default("limits", "row_columns")
    shared_strings: int = default("limits", "shared_strings")
    cell_chars: int = default("limits", "cell_chars")
    min_free_bytes: int = default("limits", "min_free_mb") * MB


@dataclass(frozen=True)
class SecuritySettings:
    group_access: bool = default("security", "group_access")

    @property
    def umask(self) -> int:
        """Files 0600 and folders 0700 (0660/0770 with group access) whatever the login's own umask."""
        return 0o007 if self.group_access else 0o077


@dataclass(frozen=True)
class ExportSettings:
    retention: str = default("export", "retention")


@dataclass(frozen=True)
class BackupSettings:
    dest: str = default("backup", "dest")
    keep: int = default("backup", "keep")


@dataclass(frozen=True)
class WebSettings:
    allowed_hosts: tuple[str, ...] = default("web", "allowed_hosts")
    proxy_header: str = default("web", "proxy_header")
    session_idle_minutes: int = default("web", "session_idle_minutes")
    upload_max_mb: int = default("web", "upload_max_mb")
    lockout_failures: int = default("web", "lockout_failures")
    lockout_minutes: int = default("web", "lockout_minutes")

    @property
    def upload_max_bytes(self) -> int:
        """The one upload limit: the web's whole request, and each file `ingest.upload` takes."""
        return self.upload_max_mb * MB


@dataclass(frozen=True)
class WatchSettings:
    stable_seconds: float = float(default("watch", "stable_seconds"))
    rescan_seconds: float = float(default("watch", "rescan_seconds"))
    polling: bool = default("watch", "polling")
    after_filing: str = default("watch", "after_filing")
    max_queue: int = default("watch", "max_queue")
    batch: int = default("watch", "batch")


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
    security: SecuritySettings = field(default_factory=SecuritySettings)
    web: WebSettings = field(default_factory=WebSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    ocr: OcrSettings = field(default_factory=OcrSettings)
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
    def layouts_dir(self) -> Path:
        """Where each printed blank form's field boxes are kept, by layout id (forms/layout.py)."""
        return self.root / "layouts"

    @property
    def templates_dir(self) -> Path:
        """Templates an office edits in Word replace the built-in ones by file name."""
        return self.root / "templates"

    @property
    def outputs_dir(self) -> Path:
        return self.root / "outputs"

    @property
    def cache_dir(self) -> Path:
        """Derived files worth keeping between runs (PDFs converted for binders); deleting it loses nothing."""
        return self.root / "cache"

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
    def profiles_dir(self) -> Path:
        """The office's own import profiles (SPEC §12), one TOML file each."""
        return self.root / "import-profiles"

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
    def web_db(self) -> Path:
        """The web's users, sessions and login lockouts (derived from nothing: back it up with the home)."""
        return self.root / "web.sqlite3"

    @property
    def web_cache(self) -> Path:
        """Originals converted to PDF for viewing in the browser (rebuildable, safe to delete)."""
        return self.root / "cache" / "web"

    @property
    def key_path(self) -> Path:
        return self.root / "secret.key"

    def secret_key(self) -> bytes:
        """The key for hashing personal data in the index; backed up with the home."""
        return bytes.fromhex(self.key_path.read_text().strip())


def load_home(root: Path) -> Home:
    """Read a data home made by `init`; a missing one is a clear error, not a silent default."""
    config_path = root / "config.toml"
    if not config_path.is_file():
        raise NotFound(f"数据目录 {root} 尚未初始化，请先运行 hudang init（或用 --home 指定数据目录）", code="no_home")
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件 {config_path} 有误：{exc}") from exc
    def get(section: str, name: str) -> Any:
        """The home's value, else an older name's (ALIASES), else the one default in KEYS."""
        for sec, key in ((section, name), *ALIASES.get((section, name), ())):
            table = data.get(sec, {})
            if isinstance(table, dict) and key in table:
                return table[key]
        return default(section, name)

    company = Company(**{k: str(get("company", k)) for k in Company.__dataclass_fields__})
    limits = Limits(
        max_bytes=int(float(get("intake", "max_file_mb")) * MB),
        max_unzipped_bytes=int(float(get("intake", "max_unzipped_mb")) * MB),
        group_commit=max(1, int(get("filing", "group_commit"))),
        seconds_per_file=max(0.1, float(get("limits", "seconds_per_file"))),
        seconds_per_ocr_page=max(0.0, float(get("limits", "seconds_per_ocr_page"))),
        scan_pages=max(1, int(get("limits", "scan_pages"))),
        page_pixels=max(1, int(float(get("limits", "page_megapixels")) * 1_000_000)),
        sheet_cells=max(1, int(get("limits", "sheet_cells"))),
        row_columns=max(1, int(get("limits", "row_columns"))),
        shared_strings=max(1, int(get("limits", "shared_strings"))),
        cell_chars=max(1, int(get("limits", "cell_chars"))),
        min_free_bytes=int(float(get("limits", "min_free_mb")) * MB),
    )
    intake = Path(str(get("intake", "folder"))).expanduser()
    if not intake.is_absolute():
        intake = root / intake
    after = str(get("watch", "after_filing"))
    if after not in ("move", "remove"):
        raise ConfigError(f"配置文件 {config_path}：[watch] after_filing 只能是 \"move\" 或 \"remove\"")
    watch = WatchSettings(stable_seconds=float(get("watch", "stable_seconds")),
                          rescan_seconds=float(get("watch", "rescan_seconds")),
                          polling=bool(get("watch", "polling")), after_filing=after,
                          max_queue=max(1, int(get("watch", "max_queue"))), batch=max(1, int(get("watch", "batch"))))
    payment = get("dunning", "payment")
    dunning = DunningSettings(deadline_days=int(get("dunning", "deadline_days")),
                              payment=tuple(str(p) for p in ([payment] if isinstance(payment, str) else payment)),
                              seal_image=str(get("dunning", "seal_image")))
    backup = BackupSettings(dest=str(get("backup", "dest")), keep=max(1, int(get("backup", "keep"))))
    office = OfficeSettings(pdf_instances=max(1, int(get("office", "pdf_instances"))),
                            pdf_batch=max(1, int(get("office", "pdf_batch"))),
                            timeout=float(get("office", "timeout_s")))
    contacts = tuple((str(name), tuple((str(k), str(v)) for k, v in entry.items()))
                     for name, entry in data.get("estates", {}).items() if isinstance(entry, dict))
    security = SecuritySettings(group_access=bool(get("security", "group_access")))
    hosts = get("web", "allowed_hosts")
    web = WebSettings(allowed_hosts=tuple(str(h) for h in ([hosts] if isinstance(hosts, str) else hosts)),
                      proxy_header=str(get("web", "proxy_header")),
                      session_idle_minutes=max(1, int(get("web", "session_idle_minutes"))),
                      upload_max_mb=max(1, int(get("web", "upload_max_mb"))),
                      lockout_failures=max(1, int(get("web", "lockout_failures"))),
                      lockout_minutes=max(0, int(get("web", "lockout_minutes"))))
    engine = str(get("ocr", "engine")).strip().lower()
    if engine not in ("rapidocr", "tesseract"):
        raise ConfigError(f"配置文件 {config_path}：[ocr] engine 只能是 \"rapidocr\" 或 \"tesseract\"")
    return Home(root=root, intake=intake, company=company, limits=limits, watch=watch, dunning=dunning,
                office=office, backup=backup, security=security, web=web, ocr=OcrSettings(engine=engine),
                estate_contacts=contacts, export=ExportSettings(retention=str(get("export", "retention"))))


def make_private(home: Home) -> None:
    """Once per process that opens a data home (the CLI, the service): everything it creates from now on is
    the owner's alone (or the group's, with ``[security] group_access``), and the home's root is closed to
    others — which also covers files an older version left readable inside it."""
    os.umask(home.security.umask)
    try:
        mode = home.root.stat().st_mode & 0o777
        wanted = 0o770 if home.security.group_access else 0o700
        if mode != wanted and home.root.stat().st_uid == os.geteuid():
            home.root.chmod(wanted)
    except OSError:
        pass  # not ours to change (a home on a share mounted with fixed modes): the umask still holds


def init_home(root: Path) -> tuple[Home, bool]:
    """Create a data home (idempotent). Returns the home and whether it was new."""
    created = not (root / "config.toml").exists()
    if created:  # private before anything is written; the home's own setting takes over once it is read
        os.umask(SecuritySettings().umask)
    root.mkdir(parents=True, exist_ok=True)
    if created:
        (root / "config.toml").write_text(DEFAULT_CONFIG, encoding="utf-8")
    key_path = root / "secret.key"
    if not key_path.exists():
        import secrets  # here: only `init` makes a key

        key_path.write_text(secrets.token_hex(32) + "\n")
        key_path.chmod(0o600)
    home = load_home(root)
    make_private(home)
    for part in (home.archive, home.quarantine, home.forms_dir, home.run_dir, home.logs_dir, home.intake):
        part.mkdir(parents=True, exist_ok=True)
    return home, created
