"""The satisfaction scale: five levels, label and score together, best first.

DOMAIN.md §6, seed 003_3768b4f8dd5fe83d.txt 「客户满意度调查」: 非常满意, 满意, 一般, 不满意, 很不满意.
One direction everywhere: a higher score is better (非常满意 = 5 … 很不满意 = 1), as stored in
``satisfaction_ratings.score`` and as the 客户满意度指数 weights it (100/80/60/40/20). The bot's
rating buttons, the widget's rating panel (through ``GET /api/resident/config``), the closing
script, the NLU's rating entity and both places that store a rating read this module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    label: str  # the seed's wording; also what is stored in satisfaction_ratings.level
    score: int  # 5 (best) … 1 (worst)

    @property
    def satisfied(self) -> bool:
        """Counts towards 客户满意率: 满意 or 非常满意 (DOMAIN §6)."""
        return self.score >= 4

    @property
    def disappointed(self) -> bool:
        """不满意 or 很不满意: the resident gets an apology and a supervisor's callback (DOMAIN §6 回访)."""
        return self.score <= 2


SCALE: tuple[Level, ...] = (
    Level("非常满意", 5),
    Level("满意", 4),
    Level("一般", 3),
    Level("不满意", 2),
    Level("很不满意", 1),
)
LABELS: tuple[str, ...] = tuple(level.label for level in SCALE)
_BY_LABEL = {level.label: level for level in SCALE}
_BY_SCORE = {level.score: level for level in SCALE}


def by_label(label: object) -> Level | None:
    """The level a resident chose (surrounding spaces ignored), or None for anything else."""
    if not isinstance(label, str):
        return None
    return _BY_LABEL.get(label.strip())


def by_score(score: int) -> Level:
    """The level for a score 1–5; anything else is a programming error."""
    if isinstance(score, bool) or not isinstance(score, int) or score not in _BY_SCORE:
        raise ValueError(f"satisfaction score must be 1–5, got {score!r}")
    return _BY_SCORE[score]
