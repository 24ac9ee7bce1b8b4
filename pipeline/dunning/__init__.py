"""Fees and dunning: the ladder (SPEC §8), letters, and their delivery."""
