"""A use case's view of one data home: settings, form definitions and the archive, each opened once.

The doors (the CLI, the web) open a `Session` for the acting user, call use-case functions of this
package with it, and close it. A use case never prints, never exits, and writes the audit log itself.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from hudang import logs
from hudang.errors import UsageError
from hudang.forms.definitions import FormDef, FormRegistry, load_forms
from hudang.settings import Home, load_home

if TYPE_CHECKING:
    from hudang.archive.store import Archive


class Session:
    """An open data home for one acting user (the login name at the terminal, the web user)."""

    def __init__(self, home: Home, user: str | None = None) -> None:
        self.home = home
        self.user = user or getpass.getuser()
        self._forms: FormRegistry | None = None
        self._archive: Archive | None = None
        logs.setup(home.logs_dir)

    @classmethod
    def open(cls, root: Path, user: str | None = None) -> Session:
        return cls(load_home(root), user)

    @property
    def forms(self) -> FormRegistry:
        """The home's form definitions (built-in plus the office's own), read once per session."""
        if self._forms is None:
            self._forms = load_forms([self.home.forms_dir])
        return self._forms

    @property
    def archive(self) -> Archive:
        """The archive and its catalog, opened on first use."""
        if self._archive is None:
            # Imported here: the estates' spelling tables load with it, which no start-up should wait for.
            from hudang.archive.store import Archive

            self._archive = Archive(self.home)
        return self._archive

    def estate(self, spelled: str | None) -> str | None:
        """The canonical name of an estate given by any name, alias or spelling (None when not given)."""
        if not spelled:
            return None
        name = self.archive.estates.resolve(spelled)
        if name is None:
            raise UsageError(f"未知的项目“{spelled}”（hudang estates list 查看已有项目）", code="unknown_estate")
        return name

    def form(self, spelled: str, *, intake: bool = False) -> FormDef:
        """The form given by id, name or alias (``intake``: one of those people fill in, not a letter or a
        document hudang writes); an unknown one is refused with the names there are."""
        forms = self.forms.intake() if intake else self.forms
        found = forms.get(spelled)
        if found is None:
            raise UsageError(f"未知的表单“{spelled}”（可用：{'、'.join(f.name for f in forms)}）", code="unknown_form")
        return found

    def audit(self, action: str, **detail: Any) -> None:
        """One line in the home's audit log: who did what to which record, when. (Imported here: a search
        writes none, and need not load its hashing and locks.)"""
        from hudang.archive import audit

        audit.append(self.home.audit_log, self.user, action, **detail)

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
