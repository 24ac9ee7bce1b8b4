"""The full-text index (whoosh, behind a small facade). Built by the search issue; derived from the archive."""

from hudang.index import lightly

lightly.import_whoosh()

from hudang.index import fixes  # noqa: E402  (after whoosh is imported lightly)

fixes.apply()
