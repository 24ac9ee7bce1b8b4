"""Importing whoosh without the modules it does not use to search.

whoosh.compat imports `urllib.request` for `urlretrieve` (which no code of ours reaches), and that pulls in
http.client, ssl and email; whoosh.reading uses the `cached_property` package, which imports asyncio to tell
coroutine functions apart when a cached property is first read. Together a sixth of a `hudang search`'s CPU.
whoosh.query.terms takes `variations` from whoosh.lang.morph_en (English word forms, for the Variations query)
and whoosh.analysis the Porter stemmer, for analyzers we do not use: about 10 ms more.
While whoosh is imported those names stand for stand-ins that import the real module the first time
anything of it is used, so nothing changes but when the cost is paid.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _real(name: str) -> types.ModuleType:
    held = sys.modules.get(name)
    if held is None or isinstance(held, Deferred):
        sys.modules.pop(name, None)
        held = importlib.import_module(name)
    return held


class Deferred(types.ModuleType):
    """A module's stand-in: the real module is imported on the first use of any of its names."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(_real(self.__name__), attr)


def _iscoroutinefunction(func: Any) -> bool:
    """asyncio.iscoroutinefunction without importing asyncio: its one other test is for asyncio's own marker,
    which no function carries unless asyncio has been imported."""
    if inspect.iscoroutinefunction(func):
        return True
    held = sys.modules.get("asyncio")
    return held is not None and not isinstance(held, Deferred) and bool(held.iscoroutinefunction(func))


# The functions whoosh takes by name (`from module import name`) from a deferred module.
FUNCTIONS = {"urllib.request": ("urlretrieve",), "whoosh.lang.morph_en": ("variations",),
             "whoosh.lang.porter": ("stem",), "shutil": ("copyfileobj",), "html": ("escape",)}


def _function(module: str, name: str) -> Any:
    """A function that imports `module` and calls its `name` when first called."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


@contextmanager
def deferred(*names: str) -> Iterator[None]:
    """Within the block, an import of one of `names` not yet imported gets a `Deferred` stand-in."""
    stand_ins = {name: Deferred(name) for name in names if name not in sys.modules}
    for name, stand_in in stand_ins.items():
        for function in FUNCTIONS.get(name, ()):
            vars(stand_in)[function] = _function(name, function)   # `from module import function`
    if "asyncio" in stand_ins:
        vars(stand_ins["asyncio"])["iscoroutinefunction"] = _iscoroutinefunction  # all cached_property asks
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


def import_whoosh() -> None:
    """Import the whoosh modules we use, with `urllib.request`, `asyncio`, English word forms, stemming and
    the modules only writing, fuzzy queries and highlighting use deferred."""
    with deferred("urllib.request", "asyncio", "whoosh.lang.morph_en", "whoosh.lang.porter", "tempfile", "shutil",
                  "random", "queue", "html", "whoosh.automata.lev"):
        import whoosh.codec.whoosh3  # noqa: F401  (the index's codec, loaded when it is opened)
        import whoosh.collectors  # noqa: F401
        import whoosh.index  # noqa: F401
        import whoosh.matching  # noqa: F401
        import whoosh.query  # noqa: F401
        import whoosh.reading  # noqa: F401
