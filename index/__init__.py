"""The full-text index (whoosh, behind a small facade). Built by the search issue; derived from the archive."""
