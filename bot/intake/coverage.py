"""Answer only what was asked (issue 13 §3; DOMAIN.md §4: answer when the answer is known, never guess).

The model picks a topic (``inquiry/<topic>``); the community's record has one answer per topic. A
question can be about the topic and still ask something that answer does not say: 「游泳池水温多少度」
is about the facilities, whose answer gives opening hours, not the water temperature. Answering
with the hours would answer another question. So before an answer is given, this module checks
that it *covers* the question:

- **Facets**: what kind of fact the question wants — a price (多少钱, 收费), a time (几点, 什么时候),
  how long (几天, 多久: a span or a frequency, which opening hours do not give),
  a place (在哪), a procedure (怎么办, 手续), who does it (谁, 哪个部门), a phone number, a name
  (叫什么), a temperature (多少度), a size or height (多高, 限高), a count (几张, 几条) … Each facet has the marks an
  answer giving it carries (元, 9:00, 门/中心, 携带/办理, 由…公司, a phone number …). A facet the
  answer does not carry is not answered.
- **Things**: the content words of the question (jieba over the text as the model reads it, less
  question and function words) must each be said by the answer — as it is, as a word of the same
  meaning (:data:`SYNONYMS`, general: 保证金 is 押金, 平米 is ㎡), or as one of the words the
  community's record says this answer also covers (``covers``, staff-edited with the answer: 底商
  for the 商铺 it names); a stretch of the question the answer has word for word counts as said
  whatever jieba's cut (公众号 cut 公众 + 号). Numbers with their measure words (两千, 三天),
  fillers and the people asked for (老人, 小孩) name no thing. 「水温」「私教」「限高」「国际」 are none of these: the record does not
  mention them. The topic's training examples count for nothing here: a word residents use for the
  topic says nothing about what this community's answer says (旧衣服 is in a garbage example; this
  answer does not say where old clothes go).

The verdict is :class:`Coverage`: ``answer`` (all covered), ``partial`` (some sentences of the
answer are about what was asked — they are given first, then the hand-over for the rest: 「游泳池…
开放时间为9:00–21:00；关于水温，需要同事核实后答复您」) or ``handover`` (nothing of the answer
fits). What the resident is told is the action's (``inquiry.*`` in bot/texts/zh_CN.yml).

Limits, honestly: a word is covered or not as a whole — an answer that says 犬 covers 养几条狗's
狗 (the count facet, not the word, catches that one); a covers term staff add counts for every
question of the topic that uses it. Measured on the sets of tests/answerability
(never trained on) by ``bench nlu`` and ``python -m bot.bench.answerability``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.han import HAN_RANGE
from bot.nlu.reading import JIEBA_DICTIONARY, read

ANSWER, PARTIAL, HANDOVER = "answer", "partial", "handover"


@dataclass(frozen=True)
class Facet:
    name: str
    label: str  # how the hand-over names it: 关于{label}
    asked: re.Pattern[str]  # the question asks for it
    given: re.Pattern[str]  # an answer (or one sentence of it) gives it


# A span or a frequency (15个工作日内, 三个月, 按季度) says when as well as how long; a clock time or a
# day (9:00, 工作日, 周末) only when.
_SPAN = r"\d+\s*(?:天|个工作日|周|个月|年)|[一两二三四五六七八九十半]+(?:天|个工作日|周|个月|年)|按月|按季|按年|季度|年缴|随时"
_DURATION = rf"{_SPAN}|\d+\s*小时(?:内|以内)|长期|永久|当天|当日"
_TIME = rf"{_SPAN}|\d{{1,2}}[:：]\d{{2}}|\d{{1,2}}点|小时|全天|每天|工作日|周末|节假日|\d+月|\d+日|提前|24小时"
FACETS: tuple[Facet, ...] = (
    Facet("temperature", "温度", re.compile(r"多少度|几度|温度|水温|冷不冷|热不热"), re.compile(r"\d+\s*(?:度|℃)")),
    Facet("size", "尺寸", re.compile(r"多高|限高|多宽|多大(?!年)|多深|多长(?!时间)|面积多少|几米|尺寸|高度|宽度"), re.compile(r"\d+(?:\.\d+)?\s*(?:米|厘米|公分|m\b|㎡|平方)")),
    Facet("age", "年龄", re.compile(r"几岁|多少岁|多大年纪|多大岁数|年龄|岁数|年纪"), re.compile(r"\d+\s*(?:周岁|岁)|[一二三四五六七八九十]+(?:周岁|岁)")),
    Facet("name", "名字", re.compile(r"叫什么|叫啥|名字|姓什么|贵姓|哪位"), re.compile(f"「[^」]+」|《[^》]+》|[先女]生|经理[{HAN_RANGE}]{{1,3}}|叫[{HAN_RANGE}]{{2,}}")),
    Facet("who", "由谁负责", re.compile(r"谁|哪个部门|哪个单位|哪家公司|哪家|什么人|负责人"), re.compile(r"由[^，。；]{1,12}(?:公司|中心|部门|单位|办理|负责|收取|代缴|抄表)|公司|服务中心|开发商|派出所|社区|保安|客服")),
    Facet("phone", "联系电话", re.compile(r"电话(?:是|号码)?多少|电话(?![\s:：]*\d)|号码(?:是)?多少|什么电话|哪个电话|(?:哪个|什么|啥)号码|电话号码|热线|联系方式|怎么联系|打什么电话"), re.compile(r"\d{3,4}-\d{4}-?\d{0,4}|\d{7,}")),
    Facet("price", "费用", re.compile(r"多少钱|几块|几元|[出掏花付]钱|收费|费用|价格|价钱|要钱|收钱|免费|贵不贵|便宜|多少费|费多少|(?<=押金)多少|多少(?=押金)|交多少|收多少|单价|租金|月租|年租|怎么算"), re.compile(r"\d+(?:\.\d+)?\s*元|免费|无息|不收|收取|按户")),
    # How long (「快递柜能放几天」「押金多久退」): a span of days, weeks, months or years, or a frequency —
    # opening hours (9:00–21:00, 24小时可取) say when, not how long.
    Facet("duration", "期限", re.compile(r"(?<![哪那这])(?:几天|几周|几个星期|几个礼拜|几个月|几年)|多久|多少天|多少个月|多少年|多长时间|期限"), re.compile(_DURATION)),
    Facet("time", "时间", re.compile(r"几点|什么时候|啥时候|啥时|何时|时间|几月|几号|最迟|最晚|营业|开门|关门|开放|上班|下班|周末|晚上|早上|上午|中午|下午|傍晚|白天|半夜|夜里|凌晨|节假日|截止|冬天|夏天|夏季|冬季|暑假|[零一二两三四五六七八九十\d]+点(?:半|多|钟)?"), re.compile(_TIME)),
    Facet("place", "地点", re.compile(r"在哪|哪里|哪儿|位置|地址|什么地方|去哪|到哪|[放扔丢停搁交办]哪|几楼|几层|哪层|哪一层|哪栋"), re.compile(r"门|楼|中心|驿站|堆放点|处|室|App|公众号|支付宝|银行|线上|在线|派出所|社区|公司|柜")),
    Facet("count", "数量", re.compile(r"(?:几|多少)(?:个|条|只|张|台|辆|位|户|间|把|次|回|趟|套|人)(?!月|工作日|小时|星期|礼拜|钟)"), re.compile(r"\d+\s*(?:个|条|只|张|台|辆|位|户|间|把|次|套)(?!月|工作日|小时)|[一两二三四五六七八九十]+(?:个|条|只|张|台|辆|位|户|间|把|次|套|类)")),
    Facet("procedure", "办理方式", re.compile(r"怎么办|如何|手续|流程|需要什么|要什么|带什么|材料|证件|怎么弄|怎么交|怎么缴|怎么申请|怎么报|步骤|办理"), re.compile(r"携带|办理|请到|到服务中心|签订|登记|预约|可通过|通过|可以在|缴纳|申请|凭")),
)

PRICE_GIVEN = next(facet.given for facet in FACETS if facet.name == "price")

# Words that carry no "thing": question words, function words, fillers, the resident and the company.
# Facet words are removed by the facets' own patterns before the things are read.
STOP_WORDS = frozenset(
    """
    请问 问 问下 问一下 一下 想 想问 想问问 问问 咨询 了解 了解下 下 我 我们 我家 咱们 咱 你 你们 您 他 她 它 大家 人家
    的 了 吗 呢 啊 吧 呀 哦 嗯 哈 么 嘛 啦 喔 诶 哎 那 那么 那个 这个 就是 是 不是 有 有没有 没有 没 在 和 跟 与 及 或 或者 还是 还
    都 也 就 才 又 再 很 太 挺 最 更 比较 一个 个 一 几 多少 多 少 些 什么 啥 怎么 怎样 怎么样 咋 如何 为什么 为啥
    能 能不能 可以 可不可以 会 会不会 要 要不要 需要 需不需要 得 该 应该 必须 行 行不行 可 让 把 被 给 对 向 从 到 去 来
    小区 物业 业主 住户 居民 这边 那边 这里 那里 里面 里 上 中 现在 目前 今天 明天 最近 平时 一般
    谢谢 你好 您好 麻烦 请 急 pls 帮 帮忙 告诉 知道 清楚 说 讲 看 看看 下子 点 一点 东西 事 事情 情况 问题 方面
    吗 么 嘞 咯 喽 不 没 别 已经 刚 刚刚 刚买 的话 如果 要是 因为 所以 然后 但是 不过 只 只能 就 按 按照 这样 那样
    关于 事宜 听说 真的 确认 确定 大概 大约 左右 准备 打算 开始 接下来 之前 以前 以后 之后 以内 期间 正常 照常
    回来 过来 进来 过去 搬来 自己 这种 那种 这样子 一定 是否 到底 究竟 方便 比较方便 本地 外地 急事 有事 个人
    家住 晓得 没空 来得及 来不及 平常 白跑 白跑一趟 掉
    号楼 单元 栋 楼号 电话号码 电话 他们 她们 回不去 下个月 这个月 上个月 先 搬进 搬进来 提供 处理 放在 下面 上面 入住 那天 当天 这天 直接 管 房子 房屋 不能 不可以 不行 来看
    """.split()  # noqa: SIM905 (a table of words reads better as text)
)
# Who does it, in the clause that names the action: 由自来水公司…收取, 请联系开发商销售中心 ….
WHO_DOES = re.compile(r"由[^，。；]{1,12}(?:公司|中心|部门|单位|负责|收取|代缴|抄表|办理)|公司|开发商|派出所|保安|客服|保洁|物业服务中心")
# Facets whose absence leaves nothing useful to say first (who collects the rubbish: the sorting
# rules are not half an answer to that).
NO_PARTIAL = frozenset({"who", "name", "phone"})
# Words that name no thing of their own (the facet or the topic says what is meant).
GENERIC_WORDS = frozenset(
    """
    方式 办法 规定 要求 规矩 材料 资料 手续 流程 地方 时候 标准 费用 东西 人 家里 一共 总共 哪些 哪 哪个 哪几 交 缴 办 领 拿
    送 用 带 弄 找 做 算 分 成 收 开 关 上班 下班 开工 打 动 能够 允许 规定 新 外面 里边 里头 一年 每年 每月 每个 每天 每
    管理 二手房 新房 新房子 新家 楼 讲究 文件 区别 一样 不一样 不同 差别 差不多 最长 最短 最多 最少 最早 最晚 老人 老年人 老伴 婆婆 公公 爸妈 父母 家人 老婆 老公
    """.split()  # noqa: SIM905 (a table of words reads better as text)
)
# The same thing in the resident's words and in the answer's (a noun is looked up as each of these).
# General words only: what one community's answer covers in residents' words is its record's
# (``covers``, bot.communities), not this table's.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "平方米": ("㎡",), "平米": ("㎡",), "平方": ("㎡",), "平": ("㎡",), "每平": ("㎡",), "一平": ("㎡",), "一平米": ("㎡",), "一平方": ("㎡",),
    "管理费": ("物业费",), "物业管理费": ("物业费",), "物业服务费": ("物业费",), "服务费": ("物业费",), "物叶费": ("物业费",),
    "星期天": ("周末",), "星期六": ("周末",), "周六": ("周末",), "周日": ("周末",), "礼拜天": ("周末",), "礼拜六": ("周末",), "礼拜日": ("周末",), "星期日": ("周末",), "双休日": ("周末",),
    "国庆": ("节假日",), "国庆节": ("节假日",), "春节": ("节假日",), "过年": ("节假日",), "元旦": ("节假日",), "五一": ("节假日",),
    "中秋": ("节假日",), "放假": ("节假日",), "假期": ("节假日",), "国庆放假": ("节假日",),
    "狗": ("犬",), "狗狗": ("犬", "宠物"), "宠物狗": ("犬", "宠物"), "养狗": ("犬",), "遛狗": ("犬",), "狗粪": ("粪便",), "狗屎": ("粪便",),
    "钱": ("元",), "价": ("元",), "租金": ("租",), "出租": ("租",), "车子": ("车",), "汽车": ("车",), "私家车": ("车",),
    "亲戚": ("访客",), "朋友": ("访客",), "客人": ("访客",), "外来车辆": ("访客车辆",),
    "保证金": ("押金",), "压金": ("押金",), "干活": ("施工",), "动工": ("施工",), "利息": ("无息",), "退回": ("退还",), "退回来": ("退还",),
    "办公室": ("服务中心",), "物业办公室": ("服务中心",), "客服中心": ("服务中心",), "客服": ("服务中心",), "物业处": ("服务中心",),
    "号码": ("电话",), "钟头": ("小时",), "补卡": ("补办",), "门进卡": ("门禁卡",), "补交": ("补缴",), "交清": ("缴清", "完成"), "交齐": ("缴清", "完成"), "交费": ("缴纳", "缴费"),
    "季收": ("按季",), "狗证": ("犬证",), "房东": ("业主",), "开通": ("开户", "办理"),
    "租户": ("租客",), "租房合同": ("租赁合同",), "备案": ("登记",), "报备": ("登记",),
    "收楼": ("收房",), "交付": ("收房", "交房"), "交房": ("收房",), "天然气": ("燃气",), "煤气": ("燃气",),
    "修好": ("修复",), "公共区域": ("公共部位",), "公共设施": ("公共部位",), "网上": ("在线",), "线上": ("在线",),
    "孩子": ("儿童",), "小孩": ("儿童",), "游乐场": ("乐园", "游乐区"), "儿童乐园": ("儿童乐园", "儿童游乐区"), "gym": ("健身房",),
    "床垫": ("大件",), "沙发": ("大件",), "衣柜": ("大件",), "柜子": ("大件",), "家具": ("大件",), "旧家具": ("大件",), "冰箱": ("大件",), "洗衣机": ("大件",),
    "驿占": ("驿站",), "快第": ("快递",), "包裹": ("快递",), "上楼": ("上门",),
    "车库": ("地下车位",), "地库": ("地下车位",), "地下车库": ("地下车位",), "包年": ("年租",), "包月": ("月租",), "月卡": ("月租",), "年卡": ("年租",),
    "停车场": ("车位", "停车"), "停车位": ("车位",), "车场": ("车位", "停车"),
    "装修公司": ("施工单位",), "装修队": ("施工单位",), "施工队": ("施工单位",), "挪": ("改动",), "改": ("改动",), "改造": ("改动",),
}
# A number and its measure word in the resident's words (两千, 三天, 两张, 一次): a value the facet
# asked about or the answer's own figures say, no thing of its own.
NUMERAL = re.compile(r"^第?[零一二两三四五六七八九十百千万半几整]+(?:[块元个张只天次回趟遍台局间位家条号层栋点月年周把套平]|小时|分钟|钟头|个月|月份|星期|礼拜)?$")
# jieba's parts of speech of words that name no thing: numerals and measures (多久, 整年), pronouns
# (每期, 那边), conjunctions, prepositions, adverbs (还要, 直接), particles and interjections. A
# class rather than a list: residents' own question and function words (咋整, 啥时候) are tagged so too.
FUNCTION_FLAGS = re.compile(r"^(?:m|mq|q|r|rr|rz|c|p|d|df|dg|u.*|y|e|o|zg|l)$")
# A verb's "can / cannot" complement (找不着, 拿不到, 弄不来): the resident's trouble, no thing asked.
POTENTIAL = re.compile(r"^[一-鿿]?[不得][着到了动完起下来去成懂会]$")
PROPER_NAME = re.compile(r"^n(?:r|rt|rfg|s)$")
# …except a unit that a price is quoted per (电费一度多少钱: the answer must say the price per 度).
PRICED_UNIT = re.compile(r"[度吨方]$")
# Characters that carry no thing inside a verb (交还 → 交, 送到 → 到): the stop and generic words of one character.
LIGHT_CHARACTERS = frozenset(w for w in STOP_WORDS | GENERIC_WORDS if len(w) == 1)
# 几类, 哪几个, 多少种: how many of something, asked by the words around them.
COUNTING = re.compile(r"^[哪几多少]+[个类种张次天样条只位家]?$")
NUMBERS = re.compile(r"\d+(?:[-－]\d+)+|\d+(?:\.\d+)?")
CJK_OR_LATIN = re.compile(f"[{HAN_RANGE}A-Za-z]")
SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Coverage:
    """Whether an answer covers a question: ``verdict`` ANSWER / PARTIAL / HANDOVER; ``known`` the
    sentences of the answer about what was asked (for PARTIAL); ``missing`` what it does not say
    (the question's words or the facet's label), for the hand-over to name."""

    verdict: str
    known: str = ""
    missing: tuple[str, ...] = ()
    facets: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    """jieba with the project's dictionary (the words the model's tokenizer knows)."""
    import jieba
    import jieba.posseg  # noqa: F401 (jieba.posseg.cut: words with their part of speech)

    with _LOCK:
        jieba.initialize()
        for path in sorted(Path(JIEBA_DICTIONARY).glob("*.txt")):
            jieba.load_userdict(str(path))
    return jieba


def _normalised(text: str) -> str:
    return read(text).text.lower()


def asked_facets(question: str) -> tuple[Facet, ...]:
    text = _normalised(question)
    return tuple(f for f in FACETS if f.asked.search(text))


def _pieces(text: str) -> list[tuple[str, str]]:
    """jieba's words with their part of speech (its dictionary only, no guessed words: 公众号 is cut
    公众 + 号 rather than glued to what follows), a measure word right after a noun kept with it (厨余垃圾 + 袋 → 厨余垃圾袋: the bag, not the rubbish, is asked about)."""
    pieces: list[tuple[str, str]] = []
    loose = False  # the last piece is a run of characters jieba knows no word for (底 + 商)
    for pair in _segmenter().posseg.cut(text, HMM=False):
        word, flag = pair.word, pair.flag
        single = len(word) == 1 and bool(CJK_OR_LATIN.match(word))
        if single and flag == "q" and pieces and pieces[-1][1].startswith("n"):
            pieces[-1] = (pieces[-1][0] + word, pieces[-1][1])
        elif single and word not in LIGHT_CHARACTERS and loose:
            last, last_flag = pieces[-1]
            pieces[-1] = (last + word, last_flag if last_flag.startswith("n") else flag)
        else:
            pieces.append((word, flag))
            loose = single and word not in LIGHT_CHARACTERS
            continue
        loose = loose and single
    return pieces


def _words(question: str, names: tuple[str, ...] = ()) -> list[tuple[str, bool]]:
    """The content words of a question with whether each is a noun (jieba's part of speech), less
    the words of an asked facet, numbers, question, function and generic words."""
    text = _normalised(question)
    masked = text
    for name in sorted({n for n in names if n}, key=len, reverse=True):  # the community's and company's names say nothing asked
        masked = masked.replace(name.lower(), " " * len(name))
    for facet in FACETS:
        masked = facet.asked.sub(lambda m: " " * len(m.group()), masked)
    masked = NUMBERS.sub(lambda m: " " * len(m.group()), masked)
    words: list[tuple[str, bool]] = []
    at = 0
    for pair in _pieces(text):
        word, flag = pair
        span, at = masked[at : at + len(word)], at + len(word)
        word = word.strip()
        if not word or span != pair[0] or word in STOP_WORDS or word in GENERIC_WORDS or COUNTING.match(word) or NUMERAL.match(word) or (FUNCTION_FLAGS.match(flag) and not PRICED_UNIT.search(word)) or POTENTIAL.match(word):
            continue  # part of a facet or a number, or carries no thing
        if not CJK_OR_LATIN.search(word):
            continue
        # A person's or place's name of two characters is jieba's dictionary reaching across the
        # resident's words (买了台大冰箱 → 台大, 从卡里扣 → 卡里): its characters are read one by one.
        noun = (flag.startswith("n") and not (PROPER_NAME.match(flag) and len(word) == 2)) or flag in ("eng", "vn", "an", "nz")
        if len(word) == 1 and not noun:
            continue
        words.append((word, noun))
    return list(dict.fromkeys(words))


def things(question: str) -> tuple[str, ...]:
    """The content words of a question: what it is about, less question, function and facet words."""
    return tuple(word for word, _ in _words(question))


@lru_cache(maxsize=4096)
def synonyms(word: str) -> tuple[str, ...]:
    """The words of the same meaning as ``word``, as the answer is read (㎡ is read m2)."""
    return tuple(_normalised(other) for other in SYNONYMS.get(word, ()))


def _in_answer(word: str, answer: str) -> bool:
    return word in answer or any(other in answer for other in synonyms(word))


def answer_says(word: str, answer: str) -> bool:
    """Does the answer say ``word``, or a word of the same meaning (:data:`SYNONYMS`: 月卡 is 月租)?"""
    return _in_answer(_normalised(word), _normalised(answer))


def _covered(word: str, noun: bool, answer: str, covers: frozenset[str]) -> bool:
    """A word of the question is covered when the answer says it (or a word of the same meaning),
    when the record says the answer covers it (``covers``), when the answer says each part of it
    (物业管理费), or — a word that is not a noun — each of its characters (交清, 送到)."""
    if word.startswith("每") and len(word) > 2:
        word = word[1:]  # 每季度 → 季度, 每平方米 → 平方米
    if _in_answer(word, answer) or word in covers or any(other in covers for other in synonyms(word)):
        return True
    if not noun and (all(c in answer or c in LIGHT_CHARACTERS or _in_answer(c, answer) for c in word)):
        return True
    # A fee (停车费, 装修费): the answer names what it is for and gives a price (停车 … 5元/小时).
    if word.endswith("费") and len(word) >= 3 and PRICE_GIVEN.search(answer) and _covered(word[:-1], noun, answer, covers):
        return True
    # A compound whose parts the answer says (物业管理费 → 物业 + 管理费 → 物业费).
    parts = [p for p in _segmenter().cut_for_search(word) if len(p) >= 2 and p != word]
    if not parts or not all(c in LIGHT_CHARACTERS or any(c in p for p in parts) for c in word):
        return False  # a character no part holds (厨余垃圾 + 袋: the answer says nothing of bags)
    return all(_in_answer(p, answer) or p in covers for p in parts if not any(p != q and p in q for q in parts))


# People a question is asked for (my child's card, the old man's face): no thing asked about.
PEOPLE = (
    "小孩", "孩子", "老人", "老年人", "老伴", "婆婆", "公公", "爸妈", "父母", "家人", "老婆", "老公", "爷爷", "奶奶", "外婆", "外公",
    "孙子", "孙女", "外孙", "儿子", "女儿", "老头子", "老太太",
)


def said_spans(question: str, answer: str, covers: frozenset[str]) -> str:
    """The question with every character the answer says marked ``+``: the question's stretches of
    two characters or more the answer has, the record's ``covers`` terms, the words whose
    synonym the answer (or a term) has, and :data:`PEOPLE`. A word jieba cut across such a stretch (公众号 → 公众 + 号,
    小程序 → 小 + 程序) is still seen as said."""
    text = _normalised(question)
    marks = [False] * len(text)
    for start in range(len(text)):
        for end in range(len(text), start + 1, -1):
            if text[start:end] in answer:
                marks[start:end] = [True] * (end - start)
                break
    phrases = set(covers) | set(PEOPLE) | {word for word in SYNONYMS if any(other in answer or other in covers for other in synonyms(word))}
    for phrase in phrases:
        at = text.find(phrase)
        while phrase and at >= 0:
            marks[at : at + len(phrase)] = [True] * len(phrase)
            at = text.find(phrase, at + 1)
    return "".join("+" if mark else c for c, mark in zip(text, marks, strict=True))


def _said(word: str, question: str, spans: str) -> bool:
    """Each character of ``word`` (where it stands in the question) is said or carries no thing."""
    at = question.find(word)
    return at >= 0 and all(s == "+" or c in LIGHT_CHARACTERS for c, s in zip(word, spans[at : at + len(word)], strict=True))


def who_action(question: str) -> str | None:
    """What 「谁」 is asked to do (垃圾谁收 → 收; 水表谁来抄 → 抄); ``None`` for 「找谁」 (whom to see)."""
    found = re.search(r"(?:(?<![找问])谁|哪家公司|哪个公司|哪个部门|哪个单位)(?:来|去|负责|给|在)?([" + HAN_RANGE + "])", _normalised(question))
    return None if found is None or found.group(1) in "的是在呀啊吗呢家" else found.group(1)


def _gives(facet: Facet, answer: str, action: str | None) -> bool:
    """The answer gives the facet; "who does X" only in a clause that names X and who does it."""
    if facet.name != "who" or action is None:
        return bool(facet.given.search(answer))
    return any(action in clause and WHO_DOES.search(clause) for clause in re.split(r"[，,。；！？]", answer))


def _missing_phrase(question: str, missing: tuple[str, ...], found: list[str]) -> str:
    """How to name what the answer does not say: the question's words from the first missing one to
    the last, with a thing word right after them (寄 … 国际 → 寄国际快递)."""
    text = _normalised(question)
    spans = [(text.find(w), text.find(w) + len(w)) for w in missing if w in text]
    if not spans:
        return "、".join(missing)
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    if end - start > sum(e - s for s, e in spans) + 2:  # far apart: name them one by one
        return "、".join(missing)
    for word in found:
        if text.startswith(word, end):
            end += len(word)
            break
    return text[start:end]


def sentences(answer: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(answer) if s.strip()]


def coverage(question: str, answer: str, names: tuple[str, ...] = (), covers: tuple[str, ...] = ()) -> Coverage:
    """Whether ``answer`` (a community's answer to the topic picked) covers ``question``; ``names``
    (the community's and the company's) are no thing asked about; ``covers``: the words the record
    says this answer also covers (residents' words for what it says)."""
    normalised_answer = _normalised(answer)
    facets = asked_facets(question)
    action = who_action(question)
    terms = frozenset(_normalised(term) for term in covers)
    words = _words(question, names)
    asked = tuple(w for w, _ in words)
    spans = said_spans(question, normalised_answer, terms)
    text = _normalised(question)
    missing_things = tuple(w for w, noun in words if not _covered(w, noun, normalised_answer, terms) and not _said(w, text, spans))
    found_things = [w for w in asked if w not in missing_things]
    missing_facets = tuple(f for f in facets if not _gives(f, normalised_answer, action))
    names = tuple(f.name for f in facets)
    if not missing_things and not missing_facets:
        return Coverage(ANSWER, facets=names)
    missing = (_missing_phrase(question, missing_things, found_things),) if missing_things else tuple(f.label for f in missing_facets)
    # What the answer does say about what was asked: its sentences naming a thing found in them
    # that carry a facet asked (or any asked facet's mark when only a thing is missing).
    known = []
    for sentence in sentences(answer):
        plain = _normalised(sentence)
        about = [w for w in found_things if w in plain]
        if not about:
            continue
        if missing_things and facets and not any(f.given.search(plain) for f in facets if f not in missing_facets):
            continue
        known.append(sentence.rstrip("。；！？"))
    if known and not any(f.name in NO_PARTIAL for f in missing_facets):
        return Coverage(PARTIAL, "；".join(known), missing, names)
    return Coverage(HANDOVER, missing=missing, facets=names)
