"""RPL_ISUPPORT (005) tokens (https://modern.ircdocs.horse/#rplisupport-005)."""

from __future__ import annotations

from collections.abc import Mapping

MAX_TOKENS_PER_LINE = 13


def isupport_tokens(values: Mapping[str, str | None]) -> list[str]:
    """Render tokens: ``KEY`` when the value is None or empty, else ``KEY=value``."""
    return [key if not value else f"{key}={value}" for key, value in values.items()]


def chunk_tokens(tokens: list[str], per_line: int = MAX_TOKENS_PER_LINE) -> list[list[str]]:
    """Split tokens over several 005 lines, as clients expect at most 13 per line."""
    return [tokens[i : i + per_line] for i in range(0, len(tokens), per_line)]
