"""Rendering documents from docxtpl templates: the built-in ones in ``forms/templates/``, or the data home's.

An office edits its own wording in Word and drops the file into ``<home>/templates/`` under the same
name; that copy wins. Templates are read once as bytes and a fresh `DocxTemplate` is made per render
(docxtpl's maintainer advises against re-rendering one object).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx.shared import Mm

from hudang.errors import ConfigError

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"
A4 = (Mm(210), Mm(297))


def template_path(name: str, home_templates: Path | None) -> Path:
    """The data home's copy of a template when it has one, else the built-in one."""
    if home_templates is not None and (home_templates / name).is_file():
        return home_templates / name
    path = BUILTIN_TEMPLATES / name
    if not path.is_file():
        raise ConfigError(f"找不到模板 {name}（应在 {BUILTIN_TEMPLATES} 或数据目录的 templates/ 中）")
    return path


def _environment() -> Any:
    """One Jinja environment per process that compiles each template text once: docxtpl hands it the same
    XML for every letter, and compiling it again was a third of a letter's render time."""
    global _ENV
    if _ENV is None:
        from functools import lru_cache

        import jinja2

        class CachingEnvironment(jinja2.Environment):
            @lru_cache(maxsize=64)  # noqa: B019 — one environment per process, kept for its life
            def _compiled(self, source: str) -> jinja2.Template:
                return super().from_string(source)

            def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
                if globals is None and template_class is None and isinstance(source, str):
                    return self._compiled(source)
                return super().from_string(source, globals, template_class)

        _ENV = CachingEnvironment(autoescape=True)
    return _ENV


_ENV: Any = None


@dataclass(frozen=True)
class Template:
    """A template's bytes, read once; `render` makes a fresh docxtpl object every time."""

    path: Path
    data: bytes

    @classmethod
    def load(cls, name: str, home_templates: Path | None) -> Template:
        path = template_path(name, home_templates)
        return cls(path, path.read_bytes())

    def variables(self) -> set[str]:
        from docxtpl import DocxTemplate

        return set(DocxTemplate(io.BytesIO(self.data)).get_undeclared_template_variables())

    def render(self, context: dict[str, Any], dest: Path, images: dict[str, tuple[Path, float]] | None = None) -> None:
        """Render to ``dest`` with the page forced to A4 (python-docx and many Word copies default to Letter)."""
        from docxtpl import DocxTemplate, InlineImage
        from jinja2 import TemplateError

        doc = DocxTemplate(io.BytesIO(self.data))
        ctx = dict(context)
        for key, (image, width_mm) in (images or {}).items():
            ctx[key] = InlineImage(doc, str(image), width=Mm(width_mm))
        try:
            doc.render(ctx, jinja_env=_environment(), autoescape=True)
        except TemplateError as exc:
            raise ConfigError(f"模板 {self.path.name} 有误：{exc}") from exc
        for section in doc.docx.sections:
            if abs(section.page_width - A4[0]) > Mm(1) or abs(section.page_height - A4[1]) > Mm(1):
                section.page_width, section.page_height = A4
        doc.save(str(dest))
