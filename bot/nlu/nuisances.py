"""A nuisance, not a danger: 「电梯里有股尿骚味」「停车场有辆车挡住我了 出不去」.

The classifier learned lifts and 出不去 from emergencies (「电梯困人了」「被困在里面出不去」) and read
both as ``emergency`` (0.96 and 1.0): an emergency ticket, every agent paged and a lift's 「请保持
冷静，不要扒门」 for a bad smell. DOMAIN.md §1 puts the environment (垃圾, 异味) and 占道 among
complaints. The shape, with no danger the guard's lexicon names (``bot.nlu.emergency.assess``):

- a nuisance smell (尿骚味, 臭味, 霉味, 馊味, 发臭 …), nothing that may be gas, smoke or burning
  (臭鸡蛋味 is what gas is made to smell of, 刺鼻) and nobody feeling it (头晕, 恶心, 喘不上气);
- a car in the way (「车挡住了 出不去」「被车堵着开不出来」), the car's way and not a person's;
- someone smoking (「有人在楼道里抽烟 烟味很大」, the classifier's emergency 1.0): a cigarette's smoke,
  with no other smoke, fire or burning named beside it;

and nobody ill, hurt or to be taken somewhere in a hurry (「车被堵住了出不去 急着送孩子去医院」 is
left to the classifier and the guard: when in doubt, an emergency).

Scanned over every labelled set before it was written (3,246 rows): 11 rows have the shape, 9
complaints and 2 repairs (地漏返臭味), no emergency.
"""

from __future__ import annotations

import re

from bot.nlu.emergency import CAR_IN_THE_WAY, assess

NUISANCE_INTENT = "complaint"

SMELL = re.compile(r"(?:尿骚|尿|骚|臭|霉|腥|馊|垃圾|下水道|粪|屎)(?:味|气)|臭烘烘|臭死|好臭|很臭|太臭|发臭")
MAYBE_DANGER = re.compile(r"臭鸡蛋|煤气|燃气|天然气|液化气|焦|烧|烟|火|刺鼻|晕|昏|头疼|头痛|恶心|呕|吐|喘|呼吸|中毒")
# Someone smoking (「有人在楼道里抽烟 烟味很大」, the classifier's emergency 1.0): the smoke of a
# cigarette is a nuisance; any other smoke, fire or burning beside it is not (MAYBE_DANGER is read
# with the cigarette's words taken out).
SMOKING = re.compile(r"(?:抽|吸)烟")
SMOKE_OF_SMOKING = re.compile(r"(?:抽|吸)烟|二手烟|烟味|烟头|烟灰|烟雾?(?:很|太|好)?(?:大|呛)")
SOMEONE_IN_NEED = re.compile(r"医|病|救|急|生了|要生|送|孩子|小孩|老人|产|伤|血|疼|痛")


def names_a_nuisance(text: str | None) -> bool:
    """Does the message tell of a bad smell or a car in the way, and of no danger?"""
    text = (text or "")[:200]
    smell = SMELL.search(text) is not None and MAYBE_DANGER.search(text) is None
    smoking = SMOKING.search(text) is not None and MAYBE_DANGER.search(SMOKE_OF_SMOKING.sub("", text)) is None
    nuisance = smell or smoking or CAR_IN_THE_WAY.search(text) is not None
    return nuisance and SOMEONE_IN_NEED.search(text) is None and not assess(text).danger_types
