"""Suites: many problems, each against the candidate with the same file name (docs/suite.md)."""
