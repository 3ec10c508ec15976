"""Fenced code blocks and sections of the Markdown docs, for tests that run or check what the docs show."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```\s*$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    """One fenced block: its language tag, its text, and the paragraph just before it (what introduces it)."""

    language: str
    text: str
    lead: str


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def of(self, language: str) -> list[Block]:
        return [b for b in self.blocks if b.language == language]


def blocks(text: str) -> list[Block]:
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n\n", 1)[-1]
        found.append(Block(match.group(1), match.group(2), before))
    return found


def sections(text: str) -> list[Section]:
    """`## ` sections in order, each with its fenced blocks (headings inside blocks are not headings)."""
    fences = [(m.start(), m.end()) for m in _FENCE.finditer(text)]
    headings = [m for m in re.finditer(r"^## (.+)$", text, re.M) if not any(a <= m.start() < b for a, b in fences)]
    titles = ["", *(m.group(1) for m in headings)]
    bounds = [0, *(m.start() for m in headings), len(text)]
    return [Section(title, blocks(text[a:b])) for title, a, b in zip(titles, bounds[:-1], bounds[1:], strict=True)]
