"""Paper scans after reading: routing to households, the unsorted and OCR queues, review of fields."""
