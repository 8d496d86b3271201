"""Small helpers for what tasks print and the arguments they take."""

from __future__ import annotations

from invoke import Exit


def table(rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns, two spaces apart; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def whole_number(value: object, flag: str, meaning: str, minimum: int = 0) -> int | None:
    """``value`` as an int (None stays None), or one sentence naming the flag and what it takes."""
    if value is None:
        return None
    text = str(value).strip()
    if not text.isdigit() or int(text) < minimum:
        raise Exit(f"{flag} {value!r} is not {meaning}: give a whole number of at least {minimum}.")
    return int(text)


def ask(question: str, expected: str) -> bool:
    """Ask on the terminal; True only when the answer is exactly ``expected`` (no input at all: False)."""
    try:
        return input(f"{question} ").strip() == expected
    except (EOFError, OSError):
        return False
