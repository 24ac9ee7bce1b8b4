"""Intake: discover files, read them in worker processes, check them, file them through one writer."""
