"""Whether an address can be in a community: 13号楼 in a 12-building community is questioned.

The repair and complaint forms read 楼号-单元-房号 addresses (bot.nlu.entities); a building or unit
the community's record does not have is most likely a slip of the finger, so the resident is asked
politely to check it (it is never refused: after the form's retries it is kept, marked
待客服核实, like any other unclear answer). Public places (东门岗亭, 地下车库B2) and addresses
without a building number are not checked; a community without a buildings record checks nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.communities.records import CommunityRecord

# 3-2-102, 3栋2单元102室, 3号楼2单元, 12幢, 3号楼 …
_DASHED = re.compile(r"(?<![0-9])(\d{1,3})\s*[-－—]\s*(\d{1,2})\s*[-－—]\s*\d{2,5}(?![0-9])")
_WORDED = re.compile(r"(?<![0-9])(\d{1,3})\s*(?:号楼|栋|幢|号)(?:\s*(\d{1,2})\s*单元)?")


@dataclass(frozen=True)
class AddressProblem:
    """What does not fit: ``building`` is always set; ``unit`` only when the unit is the problem."""

    building: str
    unit: str | None
    buildings: int  # how many buildings the community has (for the question)
    units: int = 0  # how many units the named building has (when it exists)


def building_and_unit(address: str) -> tuple[str, str | None] | None:
    """The building (and unit) an address names, or ``None`` when it names no building."""
    found = _DASHED.search(address)
    if found:
        return str(int(found.group(1))), str(int(found.group(2)))
    found = _WORDED.search(address)
    if found:
        return str(int(found.group(1))), str(int(found.group(2))) if found.group(2) else None
    return None


def address_problem(community: CommunityRecord, address: str) -> AddressProblem | None:
    """``None`` when the address may be in the community, else what does not fit."""
    if not community.buildings:
        return None
    named = building_and_unit(address or "")
    if named is None:
        return None
    building, unit = named
    if building not in community.buildings:
        return AddressProblem(building, None, len(community.buildings))
    if unit is not None and not 0 < int(unit) <= community.buildings[building]:
        return AddressProblem(building, unit, len(community.buildings), community.buildings[building])
    return None
