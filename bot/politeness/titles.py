"""Forms of address (称呼语): one table for the NLU and for the bot's honorific.

seed 003_3768b4f8dd5fe83d.txt 「礼貌用语」(2) lists 先生、女士、小姐、太太; residents also name
themselves 阿姨, 大爷, 老师 …, and DOMAIN §7 asks the bot to address them by surname and title
(王先生, 李女士). Each row says how the bot addresses someone with that title, and what a resident's
own self-introduction (我是陈叔叔, 赵小姐) is taken as:

- 小姐 is said back as 女士, the neutral form in service today;
- 太太 is kept: 王太太 is Mrs Wang, named after her husband's surname, so 王女士 would be wrong;
- 叔叔 and 爷爷 are what children call a man; a resident who introduces himself that way is
  addressed as 先生 / 大爷 by the service desk;
- 男, 男士, 女, 大妈 are accepted as a title, but are not looked for in a self-introduction (我是王女…).

``bot.nlu.lexicon.TITLES`` (the entity extractor) and :func:`bot.politeness.scripts.honorific`
both read this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Title:
    word: str  # as a resident writes it
    address: str  # how the bot addresses someone with this title
    self_introduced: str | None  # the title a self-introduction with this word gives; None: not recognised there


TITLES: tuple[Title, ...] = (
    Title("先生", "先生", "先生"),
    Title("男士", "先生", None),
    Title("男", "先生", None),
    Title("女士", "女士", "女士"),
    Title("小姐", "女士", "女士"),
    Title("女", "女士", None),
    Title("太太", "太太", "太太"),
    Title("阿姨", "阿姨", "阿姨"),
    Title("大妈", "大妈", None),
    Title("奶奶", "奶奶", "奶奶"),
    Title("叔叔", "叔叔", "先生"),
    Title("大爷", "大爷", "大爷"),
    Title("爷爷", "爷爷", "大爷"),
    Title("老师", "老师", "老师"),
)

# title word → the form the bot says (the honorific's input is a slot value or an agent's entry).
ADDRESS_FORMS: dict[str, str] = {title.word: title.address for title in TITLES}
# word in a self-introduction → the title entity's value (which becomes the ``title`` slot).
SELF_INTRODUCED: dict[str, str] = {title.word: title.self_introduced for title in TITLES if title.self_introduced}
