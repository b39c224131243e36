"""Shared word lists for the rule-based NLU (numbers, surnames, titles, places)."""

from __future__ import annotations

from bot.politeness.titles import SELF_INTRODUCED

CN_DIGITS = "零〇一二两三四五六七八九十"
CN_NUMBER = f"[{CN_DIGITS}]{{1,3}}"
NUMBER = rf"(?:\d{{1,3}}|{CN_NUMBER})"

_CN_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(text: str) -> int | None:
    """``三`` → 3, ``十二`` → 12, ``二十`` → 20, ``一零二`` → 102, ``12`` → 12."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_VALUES and ch != "十" for ch in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        value = (_CN_VALUES[tens] if tens else 1) * 10
        return value + (_CN_VALUES[ones] if ones else 0)
    return int("".join(str(_CN_VALUES[ch]) for ch in text))


# The most common Chinese surnames (百家姓, by frequency); enough to recognise 王先生, 李女士.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪"
    "梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车"
    "项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛"
    "仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "长孙")

# Titles a resident uses for themself, and the title the bot takes them as: the one titles table
# (bot/politeness/titles.py), shared with the honorific the bot addresses residents with.
TITLES = SELF_INTRODUCED

# Common areas that count as a place for a repair or an emergency (issue 12: residents name the
# place, 地下车库B2, 东门岗亭, 快递驿站, rather than a flat number, when the fault is outside).
COMMON_AREAS = (
    "地下车库", "地下停车场", "地库", "车库", "停车场", "东门", "西门", "南门", "北门", "正门", "大门", "侧门",
    "小区门口", "会所", "健身房", "游泳池", "儿童乐园", "儿童游乐区", "中心花园", "小区广场", "物业服务中心",
    "物业办公室", "快递驿站", "快递柜", "垃圾站", "垃圾房", "消防通道", "楼顶", "天台", "屋顶", "岗亭", "门岗",
    "篮球场", "羽毛球场", "自行车棚", "电动车棚", "充电桩", "配电房", "水泵房", "绿化带",
)
# Public parts of one building that staff must find, said after its number: 2号楼电梯, 3号楼大堂,
# 5栋楼顶. Not 门口 or 楼道: 「7栋门口的路灯」 is 7号楼, and the problem names the lamp and where it is.
BUILDING_PARTS = (
    "电梯", "电梯厅", "电梯间", "大堂", "门厅", "一楼大厅", "楼顶", "天台", "屋顶", "楼梯间", "架空层", "地下室",
)
