"""Management figures: the monthly report and its documents, registers, the daily follow-up list."""
