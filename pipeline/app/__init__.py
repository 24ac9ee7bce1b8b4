"""Application layer: one module per use case, called alike by the CLI and the web."""
