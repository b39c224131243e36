"""A nuisance, not a danger: 「电梯里有股尿骚味」「停车场有辆车挡住我了 出不去」「楼上一直在敲东西 好吵」.

The classifier learned lifts and 出不去 from emergencies (「电梯困人了」「被困在里面出不去」) and read
both as ``emergency`` (0.96 and 1.0): an emergency ticket, every agent paged and a lift's 「请保持
冷静，不要扒门」 for a bad smell. DOMAIN.md §1 puts the environment (垃圾, 异味) and 占道 among
complaints. The shape, with no danger the guard's lexicon names (``bot.nlu.emergency.assess``):

- a nuisance smell (尿骚味, 臭味, 霉味, 馊味, 发臭 …), nothing that may be gas, smoke or burning
  (臭鸡蛋味 is what gas is made to smell of, 刺鼻) and nobody feeling it (头晕, 恶心, 喘不上气);
- a car in the way (「车挡住了 出不去」「被车堵着开不出来」), the car's way and not a person's;
- someone smoking (「有人在楼道里抽烟 烟味很大」, the classifier's emergency 1.0): a cigarette's smoke,
  with no other smoke, fire or burning named beside it;
- noise (「楼上一直在敲东西 好吵」 1.0, 「楼上有人一直在砸墙 我怀疑是违规装修」 1.0): a drill, a wall
  being knocked, 吵死了, 扰民 — DOMAIN.md §1's 噪音扰民 complaint — with nothing of people in conflict
  or in distress (吵架, 哭, 喊, 摔), of something breaking or giving way (裂, 塌, 掉, 玻璃) or of a bang
  (炸, 巨响) beside it, and not asked as a question (「周六能在家打电钻吗」 is the renovation rules);
- someone relieving themselves in a shared place (「有人在电梯里小便」 0.99, 「有人在楼道里随地大小便」
  0.99): the environment, not a danger;

and nobody ill, hurt or to be taken somewhere in a hurry (「车被堵住了出不去 急着送孩子去医院」 is
left to the classifier and the guard: when in doubt, an emergency).

Scanned over every labelled set before it was written (3,246 rows): 11 rows have the shape, 9
complaints and 2 repairs (地漏返臭味), no emergency. Noise and fouling were scanned again (3,251
rows): 50 more rows, every one a complaint or a ticket's status asked about, none an emergency.
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
# Noise (DOMAIN.md §1: 噪音扰民), the sound itself: 装修 alone is as often a question of the rules.
NOISE = re.compile(
    r"砸墙|砸地|敲(?:墙|地板?|东西|打|个不停)|电钻|钻孔|电锯|噪音|噪声|燥音|太吵|好吵|很吵|吵死|吵得|吵到|吵人|扰民|震天响"
    # a car's alarm going off (「车库里有个车一直在报警 响了一个小时了」, the classifier's emergency 1.00)
    r"|车[^，。,.!！?？\s]{0,6}(?:一直|老是|总是)在?(?:报警|鸣笛|按喇叭)|车[^，。,.!！?？\s]{0,4}(?:防盗器|报警器)[^，。,.!！?？\s]{0,4}(?:响|鸣)"
)
# Beside a noise: people in conflict or distress, something breaking or giving way, a bang.
NOT_ONLY_NOISE = re.compile(r"吵架|争吵|哭|喊|叫|呼救|摔|打人|打架|动手|撞|砸门|砸车|玻璃|倒|塌|裂|掉|炸|爆|巨响|火|烟|味")
QUESTION = re.compile(r"吗|可以|能否|能不能(?!管)|准不准|让不让|几点|多少|什么时候|哪|没有$|[?？]")
# Someone relieving themselves in a shared place (电梯, 楼道, 草坪).
FOULING = re.compile(r"随地(?:大小便|小便|大便|吐痰)|小便|撒尿|尿尿|拉屎|大小便")
SOMEONE_IN_NEED = re.compile(r"医|病|救|急|生了|要生|送|孩子|小孩|老人|产|伤|血|疼|痛")


def names_a_nuisance(text: str | None) -> bool:
    """Does the message tell of a bad smell, smoking, noise, fouling or a car in the way, and of no danger?"""
    text = (text or "")[:200]
    smell = SMELL.search(text) is not None and MAYBE_DANGER.search(text) is None
    smoking = SMOKING.search(text) is not None and MAYBE_DANGER.search(SMOKE_OF_SMOKING.sub("", text)) is None
    noise = NOISE.search(text) is not None and NOT_ONLY_NOISE.search(text) is None and QUESTION.search(text) is None
    fouling = FOULING.search(text) is not None
    nuisance = smell or smoking or noise or fouling or CAR_IN_THE_WAY.search(text) is not None
    return nuisance and SOMEONE_IN_NEED.search(text) is None and not assess(text).danger_types
