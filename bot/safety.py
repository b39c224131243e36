"""Safety instructions and responders for each emergency type.

DOMAIN.md §5, from seed 002_5ac8522a3e6f9142.txt §5.6.6–5.6.9 and seed 000_9f7d19d4d8a4ed5d.txt
「客户求助服务」A–G. The rules stay here (which department responds, the label agents see in the
queue, the public emergency numbers for the danger); the instructions a resident reads are
catalogue texts (``safety.<kind>`` in bot/texts/zh_CN.yml), each passing the politeness checker.

The instructions say what to do *now* and nothing about who is on the way: the assistant sends
them before any person has seen the case, so they promise nothing (DOMAIN §7: promise only what
will be done). Who is coming is said when it is true — an agent claims the case and is named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot import texts


@dataclass(frozen=True)
class Procedure:
    label: str
    department: str
    instructions_key: str
    numbers: str  # the public emergency numbers for this danger (110 police, 119 fire/rescue, 120 ambulance)
    also_key: str = ""  # a second danger's instructions, said after the first's (see joined_kind)

    @property
    def instructions(self) -> str:
        """What the resident is told to do at once."""
        return texts.render(self.instructions_key) + (texts.render(self.also_key) if self.also_key else "")

    @property
    def number_list(self) -> tuple[str, ...]:
        """The numbers ``numbers`` names (「110和120」 → 110, 120)."""
        return tuple(re.findall(r"\d{3,}", self.numbers))

    @property
    def instructions_give_numbers(self) -> bool:
        """Whether the instructions already say each of the danger's numbers (「请立即拨打119报警…」):
        a reply that gives them need not say 「如情况危急，请立即拨打119」 again."""
        numbers = self.number_list
        return bool(numbers) and all(number in self.instructions for number in numbers)


PROCEDURES: dict[str, Procedure] = {
    "fire": Procedure("火警", "秩序维护部", "safety.fire", "119"),
    "gas": Procedure("燃气泄漏", "工程部", "safety.gas", "119"),
    "lift": Procedure("电梯困人", "工程部", "safety.lift", "119"),  # 119 rescues people trapped in lifts
    "flood": Procedure("水浸/爆管", "工程部", "safety.flood", "119"),
    "electric": Procedure("触电/漏电", "工程部", "safety.electric", "120"),
    "crime": Procedure("治安事件", "秩序维护部", "safety.crime", "110"),
    "pinched": Procedure("肢体被夹", "工程部", "safety.pinched", "120"),  # the door or gate's device; 120 for the hurt
    "animal": Procedure("动物伤人", "秩序维护部", "safety.animal", "110和120"),
    "medical": Procedure("急救", "秩序维护部", "safety.medical", "120"),
    "missing": Procedure("人员走失", "秩序维护部", "safety.missing", "110"),
    "poisoning": Procedure("中毒", "秩序维护部", "safety.poisoning", "120"),
    "falling_object": Procedure("高空坠物", "秩序维护部", "safety.falling_object", "120"),
    "drowning": Procedure("溺水", "秩序维护部", "safety.drowning", "119和120"),
    "suicide": Procedure("人身安全", "秩序维护部", "safety.suicide", "110和120"),
    "elderly": Procedure("独居老人无应答", "秩序维护部", "safety.elderly", "120"),
    "trapped": Procedure("人员被困", "秩序维护部", "safety.trapped", "119"),
    "disaster": Procedure("灾害险情", "秩序维护部", "safety.disaster", "119和120"),
    "other": Procedure("紧急求助", "秩序维护部", "safety.other", "110、119或120"),
}


# Two dangers in one message are stored and alerted as one kind, 「medical+lift」.
JOINER = "+"
FIRST_AID = "medical"
# Dangers the one who helps must first get away from (DOMAIN §5: leave a fire by the stairs, no
# switch or flame near gas, keep away from an attacker): their instructions come before first aid.
GET_SAFE_FIRST = ("fire", "gas", "crime")


def joined_kind(first: str, dangers: Sequence[str]) -> str:
    """The procedure for a message's dangers (``first``: the guard's primary one). A person hurt
    beside a danger whose instructions give no first aid — they do not send for 120: 「电梯里有人晕倒了」,
    「水管爆了 老人滑倒了 头流血了」 — gets the first-aid instructions as well (DOMAIN §5, 急救:
    120; seed 000 「客户求助服务」), which come first unless the helper must get safe first."""
    if FIRST_AID not in dangers or first not in PROCEDURES or first == FIRST_AID:
        return first
    if set(PROCEDURES[FIRST_AID].number_list) <= set(PROCEDURES[first].number_list):
        return first  # its instructions already send for 120 (electric, drowning, disaster …)
    return JOINER.join((first, FIRST_AID) if first in GET_SAFE_FIRST else (FIRST_AID, first))


def joined_kinds() -> list[str]:
    """Every kind a message can be given: each danger, and each danger joined with first aid."""
    singles = list(PROCEDURES)
    return singles + sorted({joined_kind(kind, [kind, FIRST_AID]) for kind in singles} - set(singles))


def procedure_for(kind: str) -> Procedure:
    """The procedure of a kind (``other`` for one not known); of two joined kinds, the first's
    department, both labels, both instructions and every number either gives."""
    first, _, second = kind.partition(JOINER)
    procedure = PROCEDURES.get(first, PROCEDURES["other"])
    if second not in PROCEDURES or second == first:
        return procedure
    also = PROCEDURES[second]
    numbers = sorted(set(procedure.number_list + also.number_list))
    return Procedure(
        f"{procedure.label}、{also.label}", procedure.department, procedure.instructions_key, "和".join(numbers), also.instructions_key
    )
