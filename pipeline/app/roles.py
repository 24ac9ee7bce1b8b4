"""Who may do what: the one table of roles and their capabilities, and a user's estate limits.

Every door (web pages, the API) asks `Principal.can(capability)` and `Principal.sees(estate)`; no door keeps
its own list. A person with two jobs has two roles and the union of their capabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hudang.errors import NotFound

if TYPE_CHECKING:
    from hudang.forms.validate import Place
    from hudang.pipeline.app.session import Session

# Every role reads (search, households, records — masked) within its estates.
READ = "read"

CAPABILITIES: dict[str, str] = {
    READ: "检索、查看户档和记录（打码）",
    "view_original": "查看、下载原件（含完整个人信息，记入审计）",
    "reveal": "显示完整个人信息（须填写原因，记入审计）",
    "upload": "上传文件归档",
    "assign": "分拣扫描件",
    "review": "补填待核对栏目",
    "quarantine": "处理隔离区（重试、搁置）",
    "correct": "更正记录、附件、移户、作废（须填写原因）",
    "enter": "录入和更新投诉、维修，登记回访",
    "due": "今日待办",
    "export": "调档导出（打码；完整信息须填写原因，记入审计）",
    "moveout": "登记住户迁出",
    "lend": "纸质档案借出、归还登记",
    "fees": "收费、催缴记录",
    "dunning": "催缴函生成、寄出、送达、退回",
    "reports": "月报、台账",
    "issue_reports": "签发月报",
    "users": "用户管理",
    "estates": "项目管理、房屋清单与收费台账导入",
    "status": "服务状态、校验",
}

_ARCHIVIST = (READ, "view_original", "upload", "assign", "review", "quarantine", "correct", "export", "moveout",
              "lend")
_SERVICE = (READ, "enter", "due", "moveout")
_FEES = (READ, "fees", "dunning", "due")       # 今日待办 shows a 收费员 its fee lines only

ROLES: dict[str, frozenset[str]] = {
    "档案员": frozenset(_ARCHIVIST),
    "客服": frozenset(_SERVICE),
    "收费员": frozenset(_FEES),
    # 主管: all of the three above, plus reports, issuing editions, registers and revealing personal data.
    "主管": frozenset(_ARCHIVIST + _SERVICE + _FEES + ("reveal", "reports", "issue_reports")),
    "管理员": frozenset((READ, "upload", "users", "estates", "status")),   # upload: rosters and ledgers
}
assert all(c in CAPABILITIES for caps in ROLES.values() for c in caps)


def entry_capability(numbered: bool) -> str:
    """Who may enter a new record of a form on the web: forms numbered on entry (``entry_number``: complaints,
    repairs) are 客服's daily work ("enter"); every other form is 档案员's ("correct")."""
    return "enter" if numbered else "correct"


@dataclass(frozen=True)
class Principal:
    """A logged-in person: name, roles, and the estates they are limited to (empty: every estate)."""

    name: str
    roles: tuple[str, ...]
    estates: tuple[str, ...] = ()

    def can(self, capability: str) -> bool:
        return any(capability in ROLES.get(role, ()) for role in self.roles)

    def sees(self, estate: str | None) -> bool:
        """Whether items of ``estate`` are within this person's limits (None: an item of no estate yet,
        seen only by people without a limit)."""
        if not self.estates:
            return True
        return estate is not None and estate in self.estates


def household_for(session: Session, who: Principal, address: str, *, strict: bool = False) -> Place:
    """The household ``address`` names (any alias or room spelling; ``strict``: held to the roster), as ``who``
    may reach it: a household outside their estates does not exist for them."""
    place = session.archive.estates.household(address, strict=strict)
    if not who.sees(place.estate):
        raise NotFound("没有这一户，或不在您负责的项目内")
    return place


def estates_seen(session: Session, who: Principal) -> list[str]:
    """The data home's estates within ``who``'s limits (what their pages offer to pick), in the catalog's order."""
    return [row["name"] for row in session.archive.estates.names() if who.sees(row["name"])]


def list_scope(session: Session, who: Principal, spelled: str | None) -> list[str | None]:
    """The estates a list (今日待办, arrears) covers: the one asked for (any spelling; outside ``who``'s estates it
    does not exist for them), else their own estates one by one, else every estate at once (None)."""
    name = session.estate(spelled)
    if name is not None:
        if not who.sees(name):
            raise NotFound(f"没有项目“{spelled}”，或不在您负责的项目内")
        return [name]
    return list(who.estates) or [None]
