"""The full-text index (whoosh, behind a small facade). Built by the search issue; derived from the archive."""

from hudang.index import fixes

fixes.apply()
