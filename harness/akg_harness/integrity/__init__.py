"""Verdict integrity rules (docs/INTEGRITY.md): static checks of a candidate's source."""
from .static_rules import StaticReport, Violation, check_source

__all__ = ["StaticReport", "Violation", "check_source"]
