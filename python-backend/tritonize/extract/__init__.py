"""Selection → KernelBench problem, and Apply of a verified candidate back into the user's file,
with Python's own `ast`/`symtable` (never regular expressions)."""

from .errors import ExtractError

__all__ = ["ExtractError"]
