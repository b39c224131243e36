"""The emergency guard's rules: a danger lexicon, live-event cues, after-the-fact cues, negation.

Types and procedures follow DOMAIN.md §1 and §5 (seed 002_5ac8522a3e6f9142.txt §5.6.6–5.6.9,
seed 000_9f7d19d4d8a4ed5d.txt 「客户求助服务」A–G). A missed emergency is the worst failure of
the product, so the guard only ever *raises* a message to ``emergency``; it never lowers one.

Every message is assessed twice, as written and as read (``bot.nlu.reading``: traditional
characters, pinyin and homophone typos of danger words read as the words they stand for), and the
findings are joined: a reading can add a danger (「dianti kun ren le」, 「着伙了」), never hide one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.nlu.reading import read
from bot.safety import joined_kind

# An elderly person (not staff: 保安大爷, 保洁阿姨 are people at work) and signs that they have not
# been seen or do not answer (DOMAIN.md §1 and §5, 空巢老人).
ELDER = (
    r"(?<!保安)(?<!门卫)(?<!保洁)(?<!物业)"
    r"(老人家?|老奶奶|老大爷|老爷爷|老太太|老太|老爷子|老大妈|老两口|大爷|奶奶|爷爷|阿婆|阿公)"
)
NO_RESPONSE = (
    r"((好几|两|三|几)天.{0,6}没(见|看到|看见|出门|下楼|露面|出来)(?!过)|"
    r"(敲|拍).{0,4}门.{0,4}(也)?(不开|没人(应|开)|没(有)?(反应|动静|回应))|"
    r"(屋里|家里|里面|门里).{0,2}没(有)?动静|"
    r"电话.{0,4}(也)?(不接|打不通|没人接)|联系不上|"
    r"(报纸|牛奶|外卖|快递).{0,6}(堆|放|挂)在门口)"
)

# Each type: patterns over the raw text (jieba can split danger words either way, so the
# patterns are checked on characters; tokens are used for negation scope below).
DANGER_PATTERNS: dict[str, list[str]] = {
    "fire": [
        r"(着|著|起|失)(火|伙)", r"火灾", r"火警", r"冒(黑|白)?烟", r"浓烟", r"(很|好|特别)?(重|大|浓)的?烟味", r"烟味",
        r"烧(起来|着了)", r"火苗", r"火光", r"明火", r"\bfire\b", r"\bsmoke\b",
        # 很浓的烟 / 烟好大 (油烟, 抽烟 and 烟花 are masked as false friends first)
        r"(很|好|特别|非常)(浓|大)的(黑|白)?烟(?!味)", r"(黑|白)?烟(很|好|特别|非常)(浓|大)",
        # 「楼道里全是烟 看不清」: a place full of smoke
        r"(全是|都是|满是|到处是|到处都是|一屋子|满屋子?|一楼道)的?(黑|白)?烟(?![味头花囱])",
        # 「烟雾报警器一直在响」 (the gas alarm's is the gas's): 119, leave by the stairs
        r"(烟雾|烟感|消防)(报警器?|探测器)[^，。,.!！?？]{0,6}(响|叫|报警|滴滴)",
    ],
    "gas": [
        r"(燃气|煤气)(管|软管|阀).{0,6}(破|裂|喷|漏)", r"往外喷气",
        r"(燃气|煤气|天然气|液化气|没气)(泄漏|泄露|漏|味|臭)", r"(闻到|有|一股).{0,6}(燃气|煤气|天然气|液化气)",
        r"漏气", r"臭鸡蛋(的)?(味|气味)", r"gas\s*leak",
        r"(燃气|煤气|天然气|液化气)(灶|管|表|罐|瓶)?[^，。,.!！?？\s]{0,6}(有|一)股[^，。,.!！?？\s]{0,3}(味|味道|气味)",  # 「燃气灶关了还是有股味道」
        r"(燃气|煤气|天然气|液化气)(表|管|管道|阀门?|罐|瓶)?[^，。,.!！?？]{0,6}(嘶嘶|呲呲|咝咝|滋滋)",  # 「燃气表那边嘶嘶响」
        r"(燃气|煤气|天然气)(泄漏)?报警器?[^，。,.!！?？]{0,6}(响|叫|报警|滴滴)",  # 「我家天然气报警器一直在响」
    ],
    "lift": [
        r"(困|关|卡|锁)(在)?(电梯|电第|電梯)", r"(电梯|电第|電梯).{0,8}(困|关着|关住|卡住|卡着|出不来|被关|有人)",
        r"被困.{0,4}(电梯|電梯)", r"trapped.{0,10}(lift|elevator)",
        # 电梯关人了 / 电梯又困人; 电梯卡在两层中间，里面有人
        r"(电梯|電梯).{0,4}(关|困|卡)(住|着)?(了)?人", r"(电梯|電梯).{0,16}(里面|里头|里边|轿厢里)(还)?(有|关着|困着)人",
        r"(电梯|電梯).{0,16}被?(关|困|锁)在(里面|里头|里边)",
        # 「电梯突然往下掉了好几层 我在里面」: the car falling or running away, someone inside
        r"(电梯|電梯)[^，。,.!！?？]{0,6}(往下掉|往下坠|下坠|坠落|溜梯|冲顶|失控)", r"(电梯|電梯).{0,16}(里面|里头|里边|在里|轿厢).{0,4}(出不去|出不来)",
    ],
    "flood": [
        r"水管.{0,2}(爆|裂开|破了|崩)", r"爆管", r"漫水|水漫|水浸|被淹|淹了|淹到", r"(漫|流|淹|渗)到.{0,4}(插座|电箱|电器|配电)",
        r"(插座|电箱|配电箱|电闸).{0,6}(进水|泡水|有水)",
        # 「暴雨 地库进水了 车都泡了」: the car park or a basement flooding
        r"(地库|车库|地下室|地下车库|电梯井)[^，。,.!！?？\s]{0,2}(进水|灌水|倒灌)|车(都|全)?(被)?泡(了|在水里)", r"水(哗哗|一直)往下(灌|流|冲)", r"\bflood",
        # water through a light or a socket (「楼上的水从灯里流下来了」): the flood's 「先断开电源总闸」
        r"(灯|灯罩|吊灯|插座|开关|电箱)(里|里面|上|那)?[^，。,.!！?？]{0,3}(流|滴|渗|漏|冒)(下来|出来|水)",
    ],
    "electric": [
        r"冒火星|噼啪打火|电线.{0,6}(断|掉).{0,6}(水|地)",
        r"触电|被电(到|击)|电击", r"漏电", r"(冒|打|闪)火花", r"(电线|插座|电箱|配电箱|电表箱|开关|配电房|配电室|变电箱|电缆).{0,6}(冒烟|着火|起火|烧|火花|焦味)",
        r"短路", r"electric\s*shock",
        # 「地上全是水 电线泡在水里了」: a live wire or socket lying in water — cut the power first
        r"(电线|插座|插线板|排插|接线板|电源线)[^，。,.!！?？\s]{0,4}(泡|浸|掉|落)(在|进|到)(了)?[^，。,.!！?？\s]{0,2}水(里|中)",
    ],
    "crime": [
        r"抢了|被抢|陌生人.{0,8}(跟着|尾随|门口不走)", r"(踹|砸)(我家|我们家|家里|家)?的?门(?!口)",
        r"陌生(人|男子|男的|女的)[^，。,.!！?？]{0,8}门口[^，。,.!！?？]{0,4}(转|徘徊|蹲|守|不走)",
        r"(男的|男人|男子|陌生人)[^，。,.!！?？]{0,10}(厕所|卫生间|门口|窗口|窗外)[^，。,.!！?？]{0,4}(一直)?(晃|转悠|徘徊|偷看|蹲守)",  # 「有个男的在女厕所门口一直晃」  # 「有个陌生人在我家门口转了半天」
        r"小偷", r"(在|被|有人)偷",
        r"(快递|包裹|电动车|电瓶车|电瓶|自行车|单车|滑板车|平衡车|婴儿车|童车|车|东西|包|钱包|手机)[^，。,.!！?？\s]{0,4}被(人)?(偷|顺|拿|偷偷拿)(走|了)",  # 「我的快递被人拿走了」「滑板车在楼下被人拿了」
        r"偷(东西|车|电瓶|电动车|自行车|快递|钱|包)", r"被盗|盗窃|入室", r"撬.{0,6}(门|锁|窗|车)",
        r"抢劫|抢(东西|包|钱)|打劫", r"翻(墙|围墙|栏杆|护栏|窗户?)(进|爬进|溜进)", r"打架|斗殴|打人|互殴|群殴|动手打|打(保安|老人|小孩|孩子|女人|人了|起来了)", r"行凶|持刀|拿(着)?(刀|棍|棒|砖|铁棍)|砍人|捅人|杀人",
        r"家暴|绑架|劫持", r"尾随|跟踪", r"可疑(的)?(人|男子|女子)", r"\b(thief|robbery|burglar)",
    ],
    # a hand, a foot or a child caught by a door, a gate or a barrier (电梯门, 电动门, 道闸): stop the
    # device, do not pull — before first aid, whose words (流血) often come with it
    "pinched": [
        r"夹(到|伤|住|断)了?[^，。,.!！?？\s]{0,6}(手(?!机)|脚|腿|头(?!发)|胳膊|脖子)",
        r"(手(?!机)|脚|腿|头(?!发)|胳膊|脖子)[^，。,.!！?？\s]{0,2}被[^，。,.!！?？\s]{0,6}夹(到|伤|住|断|了)",
        r"被[^，。,.!！?？\s]{0,6}(门|闸|栏杆|卷帘)夹(住|到|伤|了)",
        # 「小孩脚卡在扶梯里了」
        r"(手(?!机)|脚|腿|胳膊|脖子)[^，。,.!！?？\s]{0,2}(被)?(卡|夹)(在|进)[^，。,.!！?？\s]{0,4}(扶梯|电梯|门|闸|栏杆|卷帘)", r"(门|闸|栏杆|卷帘)把[^，。,.!！?？\s]{0,8}夹(住|到|伤|断)",
    ],
    # an animal biting or stinging, a snake in the home: get away, wash the wound, a doctor (狂犬疫苗)
    "animal": [
        r"被[^，。,.!！?？\s]{0,4}(狗|猫|蛇)[^，。,.!！?？\s]{0,2}咬|(狗|蛇)[^，。,.!！?？\s]{0,4}咬(了|伤|到|人)|追着[^，。,.!！?？\s]{0,4}咬",
        r"(狗|猫|蛇)把[^，。,.!！?？\s]{0,8}咬(了|伤|到|破)",  # 「我家的狗把邻居小孩咬了」
        r"(进|爬进|钻进|有)(了)?(一)?(条|只)?蛇|被[^，。,.!！?？\s]{0,2}(马蜂|黄蜂|蜜蜂|胡蜂|蜂)蛰|被[^，。,.!！?？\s]{0,2}(马蜂|黄蜂|蜜蜂|胡蜂|蜂)蜇",
    ],
    "medical": [
        r"倒地|口吐白沫|捂着胸口|脸色发白|嘴唇发紫|头破血流|一滩血|后脑着地|昏过去", r"误(吃|喝|服)",
        r"晕倒|昏倒|晕过去|昏迷|不省人事|失去意识|没(有)?意识|叫不醒", r"(没|没有)(了)?(呼吸|心跳)|喘不(上|过)气|呼吸困难",
        r"(发)?高烧|烧到(4\d|39)|胸(口)?.{0,2}(痛|疼|闷)|心脏(病)?(发作|不舒服|犯了)|(发烧|高烧|发热)[^，。,.!！?？]{0,3}(抽筋|抽搐|惊厥)|惊厥|心梗|中风|脑梗", r"抽搐|抽风|癫痫|羊癫疯", r"(大|好多|很多)?出血|流(了)?(好多|很多)?血|血流不止",
        r"摔(倒|伤|了一跤)|跌倒|骨折", r"被[^，。,.!！?？]{0,6}车[^，。,.!！?？]{0,2}(撞|碾|压)(了|伤|倒|到)", r"烫伤|烧伤",
        # 「宝宝被热水烫了 起了好多泡」; 「老头子突然说不出话 嘴歪了」 (a stroke's signs: 120 at once)
        r"被[^，。,.!！?？\s]{0,4}(开水|热水|热油|滚油|沸水)烫(了|到|伤|得)", r"嘴(巴)?歪了|口角歪斜|突然说不出话|半边(身子|身体|脸)[^，。,.!！?？\s]{0,3}(麻|不能动|动不了|没知觉)", r"噎住|卡住喉咙|误食|吞(了|下)", r"休克|急救|救护车|\b120\b", r"羊水破|要生了",
        # someone lying still and not answering (「家门口有个醉汉躺着不动」): the person, not a pet
        r"(人|老人|醉汉|男的|女的|小孩|孩子|大爷|阿姨|大妈|老太太|老头)[^，。,.!！?？]{0,6}躺(着|在地上|在那|在门口)[^，。,.!！?？]{0,4}(不动|没反应|叫不醒)",
        r"(人|老人|醉汉|男的|女的|小孩|孩子|大爷|阿姨|大妈|老太太|老头)[^，。,.!！?？]{0,6}躺在[^，。,.!！?？\s]{1,6}(一动不动|没反应|叫不醒)",  # 「有人躺在小区路边一动不动」
        r"bleeding|unconscious|heart attack",
    ],
    # someone in the water (景观水池, 泳池, 河): 落水管 is a drainpipe
    "drowning": [r"溺水|落水(?!管)|(掉|摔|跌)(进|到|在)[^，。,.!！?？]{0,4}(水池|水塘|池塘|河|湖|泳池|游泳池|水里|喷泉|景观池)",
    # 「小区池塘有个小孩掉下去了」
    r"(水池|水塘|池塘|河里|湖里|泳池|游泳池|喷泉|景观池)[^，。,.!！?？]{0,8}(掉|摔|跌|落)(下去|进去|水)(了)?"],
    # someone missing (an elderly parent who wandered off, a child not found): 110, and what they wear
    "missing": [
        r"(老人|孩子|小孩|儿子|女儿|爷爷|奶奶|老爷子|老太太|外婆|外公)[^，。,.!！?？]{0,6}(走丢|走失)",
        r"(老人|孩子|小孩|儿子|女儿|爷爷|奶奶|老爷子|老太太|外婆|外公)(丢了|不见了|找不到了)|(找不到|找不着)(我家)?(老人|孩子|小孩|儿子|女儿)",
    ],
    "poisoning": [
        r"头(痛|疼|晕).{0,4}(想吐|呕吐)", r"(都|一直)在吐", r"误喝.{0,8}(清洁剂|消毒液|洗洁精)",
        # 「孩子喝了半瓶84消毒液」
        r"(喝|吃|吞|舔)(了|下|进)?[^，。,.!！?？\s]{0,6}(清洁剂|消毒液|消毒水|84|洁厕灵?|洗洁精|洗衣液|漂白水?|杀虫剂|老鼠药|灭鼠药|敌敌畏)", r"中毒", r"一氧化碳", r"农药", r"吃错(了)?药"],
    "falling_object": [
        r"(扔|抛)(东西|下来).{0,8}(砸|伤)", r"(保温板|外墙|雨棚).{0,6}(要掉|快掉|吹落)",
        r"高空(坠物|抛物)", r"(砸|打)(到|伤|中)(了)?(人|头|孩子|小孩|老人|车)", r"(掉|坠|落)下来.{0,6}(砸|人)",
        r"(玻璃|窗户|外机|空调外机|广告牌|瓷砖|墙皮|花盆|晾衣架|防盗窗|招牌).{0,6}(要掉|掉下|坠落|摇摇欲坠|快掉)",
        # 「楼上往下扔垃圾 差点砸到我」「空调外机在楼上晃来晃去 好像要掉了」
        r"往下(扔|抛|丢|砸)|楼上(掉|扔|砸|坠|丢)下来", r"玻璃[^，。,.!！?？\s]{0,4}(突然)?(炸|爆)(了|裂|开)", r"(玻璃|窗户|外机|广告牌|招牌|瓷砖|墙皮)[^，。,.!！?？]{0,8}晃[^，。,.!！?？]{0,10}(要掉|快掉|掉下来)",
    ],
    "suicide": [
        r"想不开|撑不下去|不想活|吃了一把药|(护栏|栏杆)外(面|边)|天台边",
        r"(楼顶|天台|房顶|屋顶)[^，。,.!！?？]{0,6}(有)?(个)?人[^，。,.!！?？]{0,4}(站|坐|蹲)在(边|沿|外)",  # 「楼顶有个人站在边上」
        # 「楼顶天台上有个女孩在哭 坐在边上」
        r"(楼顶|天台|房顶|屋顶)[^，。,.!！?？]{0,8}(女孩|男孩|女的|男的|姑娘|小伙子?|孩子|小孩|老人|学生)[^，。,.!！?？]{0,8}(站|坐|蹲)在(边|沿|外)",
        r"轻生|自杀|跳楼|割腕|寻死|不想活|活不下去|想死|上吊|服毒", r"吃了.{0,4}(安眠药|农药)", r"要跳(下去|楼)?",
        r"kill\s*(my|him|her)self|suicide",
    ],
    "elderly": [
        r"(独居|空巢|一个人在家|一个人住).{0,20}(关机|打不通|没动静|不开门|没见)",
        r"(独居|空巢|孤寡|一个人住的)?老人.{0,10}(没(有)?(人)?(应|回应|开门|动静|反应)|联系不上|(电话)?(打)?不通|不接电话|好几天没(出门|见))",
        r"(敲门|打电话).{0,6}(没人应|没人开|没反应|没动静).{0,10}(老人|爷爷|奶奶|大爷|阿姨|老太太|老爷子)",
        # DOMAIN.md §1: 独居老人(空巢老人)无应答 — an elderly neighbour not seen for days and not answering
        ELDER + r".{0,24}" + NO_RESPONSE,
        NO_RESPONSE + r".{0,10}" + ELDER,
    ],
    "trapped": [
        r"卡在.{0,6}(栏杆|护栏|缝|电梯|防盗窗|防护栏|窗户)|掉进.{0,6}(井|坑|洞)|被.{0,4}压住|(关|锁)在阳台",
        r"(反)?锁在(屋|房|家|车|卫生间|厕所|阳台)", r"被(反)?(锁|关)在", r"困在", r"被困", r"出不去了", r"被埋|被压(住|在)|埋在",
    ],
    "disaster": [
        r"(地面|路面)塌|墙.{0,4}裂.{0,8}(扩|掉|倒)|往下掉.{0,2}(水泥|混凝土|墙皮)块?|(水泥|混凝土)块.{0,4}往下掉", r"地震", r"塌(了|方)|倒塌|坍塌", r"墙.{0,4}(要倒|倒了|塌)", r"山体滑坡|泥石流"],
    "generic": [
        r"救人", r"救命|救救|就命", r"\bhelp\b|\bsos\b", r"快来人|来人啊", r"出人命", r"紧急求助"],
}

# Words that name the danger of a message already read as an emergency, but never raise one: a
# burning smell (「楼道里有一股焦糊味」) is the fire's procedure — 119, leave by the stairs — and not
# the generic 「如有生命危险…110、119或120」; alone it is too common (烤焦了, 锅烧糊了) to page every
# agent on. A danger word in the message wins (「插座冒火花 一股焦糊味」 is electric: cut the power).
HINTS: dict[str, re.Pattern[str]] = {
    "fire": re.compile(r"焦糊味|焦煳味|烧焦(?:的)?(?:味|气味)|焦味|糊味|塑料味.{0,4}(?:呛|烧)"),
    # 「我家门口有个大马蜂窝」 (the classifier's emergency, 1.00): keep away, close the windows — the animal's
    "animal": re.compile(r"马蜂窝|蜂窝|马蜂|黄蜂|胡蜂"),
    # 「有个老人在小区门口坐了半天 好像迷路了」 (1.00): 110, and what they wear — the missing person's
    "missing": re.compile(r"迷路|走失|找不到家"),
}

# Clearly a live event: happening now or asking for help now.
LIVE_CUES = re.compile(
    r"(?<![到至直])现在|正在|刚刚|刚才|此刻|马上|赶紧|赶快|快(来|点|派|过来|救)|救命|急|请速|立刻|立即|怎么办|帮帮|帮忙|求助|"
    r"出不来|还在|里面有人|[!！]{1,}|now|help"
)
# Told after the fact, as a grievance, a habit or a hazard report, not a live event.
AFTER_THE_FACT_CUES = re.compile(
    r"上(个)?月|上周|上礼拜|去年|前年|以前|之前|曾经|那次|上次|前几天|前段时间|老是|总是|经常|屡次|频繁|多次|"
    r"三天两头|隔三差五|一直没|至今|迟迟|投诉|举报|反映|赔偿|隐患|不作为|物业不管|没人管|不管不问|过去"
)
# Hypothetical, procedural or preventive talk.
HYPOTHETICAL_CUES = re.compile(
    r"容易|万一|以防|预防|防止|如果|假如|要是|会不会|担心[^，。,.!！?？]{0,8}会|演练|培训|年检|注意事项|应急预案|怎么预防|宣传|检查一下消防"
)
# The danger is over: the resident is out, or says all is well now. This weighs only against the
# classifier's doubt (EmergencyGuard), never against a danger word the message itself names.
OVER_CUES = re.compile(r"已经(被救)?出来了|(已经|都)没事了|人没事|虚惊一场|已经(处理|解决|修)好了")
# 差点, 险些: the harm did not happen (「老人差点摔倒」 is no fall)
NEGATION_BEFORE = re.compile(r"(没有|没|不是|并非|并没有|无|未|不用|不会|别|差点|差一点|险些)[^，。,.!！?？]{0,2}$")
NEGATION_AFTER = re.compile(r"^[^，。,.!！?？]{0,3}(已经)?(没事了|解决了|处理好了|灭了|没有了|修好了)")
# A car in the way (「有辆车挡住我了 出不去」): 出不去 is the car's, not a person trapped. Within one
# clause, with no fire or smoke between (「车库着火了 车堵住了出不去」 is a fire).
CAR_IN_THE_WAY = re.compile(r"车[^，。,.!！?？\s火烟]{0,4}(?:挡|堵|拦)(?:住|着)?[^，。,.!！?？火烟]{0,6}(?:出不去|开不出|出不来|进不去|进不来|走不了)了?")
# Words that contain a danger word but are not one; and "nobody is trapped", whose negation sits
# inside a wide pattern such as 电梯.{0,8}(困|关住) where the check before the match cannot see it.
FALSE_FRIENDS = re.compile(
    r"(抽|吸)烟.{0,6}烟味|烟味.{0,6}(抽|吸)烟|(抽|吸)烟.{0,8}烟(很|好|特别|非常)?(大|浓|呛)|抽烟|吸烟|烟头|烟花|香烟|油烟|灭火器|防火门|消防栓|消防通道|偷偷|偷懒|偷工减料|架子鼓|"
    r"(锁|关)在了?家?门外|"  # 「我被锁在门外了」: locked out, not in (bot.nlu.locked_out)
    rf"{CAR_IN_THE_WAY.pattern}|"  # 「有辆车挡住我了 出不去了」: the car's way out, not a person trapped
    r"(没|没有|无)人(被)?(困|关|卡|锁)(住|着|在)?|"
    # 「电梯里有人抽烟」: someone doing something in the lift, not someone shut in it (电梯.{0,8}有人)
    r"(电梯|電梯)[^，。,.!！?？\s]{0,4}有人[^，。,.!！?？\s]{0,3}(抽烟|吸烟|贴|小便|撒尿|尿尿|吐痰|乱扔|乱丢|遛狗|吵架|大声)"
)


# A device that will not light, heat, cool, close or switch on is a repair (DOMAIN.md §2: 电梯故障 and
# 燃气灶/热水器 faults are 急修 or 一般; 「我家暖气不热」 was raised on the classifier's doubt, 0.33), not a fire or a trapped person: 「热水器打不着火」 holds the
# letters of 着火, 「电梯门卡住了关不上」 those of 电梯卡住. These phrases are masked before the danger
# patterns run, so a danger named beside them still counts (「燃气灶打不着火 还有煤气味」 is gas;
# the lift itself stays visible: 「电梯门关不上 里面有人」 is a lift with a person inside).
DEVICE_FAULTS = re.compile(
    r"(打|点)(火)?[^，。,.!！?？\s]{0,2}不(着|著|起)(火|伙)?|(着|著)不了火|不(着|著)火|(打|点)不(着|著)|"
    r"火(苗|焰)?.{0,2}(很小|太小|变小|发黄|偏黄|是黄色|忽大忽小)|"
    r"(?<=电梯)门.{0,4}(关不上|关不严|合不上|一直开着|开开关关|反复开关)|(按钮|按键)[^，。,.!！?？\s]{0,6}(卡住|卡着|卡死)|"
    r"(暖气|地暖|暖气片)[^，。,.!！?？\s]{0,4}(不(太|怎么|够)?(热|暖和?)|(是|有点|很)?(凉|冰凉|温的)|温度(很|太)?低)|空调[^，。,.!！?？\s]{0,4}不(制冷|制热|凉|冷|热)|"
    # 「我家电视没信号了」 (the classifier's emergency, 1.00), 「家里网络断了」; 「水龙头关不上了 哗哗流」 (0.80:
    # DOMAIN.md §2 makes a tap that will not close 急修, not an emergency — water spreading is the flood's)
    r"(电视|机顶盒|有线电视)[^，。,.!！?？\s]{0,4}(没|没有)(信号|画面|图像)|(电视|机顶盒)[^，。,.!！?？\s]{0,4}(黑屏|收不到台|看不了)|"
    r"(网络|宽带|光纤|光猫|无线网|wifi|WiFi)[^，。,.!！?？\s]{0,3}(断了|上不了|连不上|不通|没信号|没网)|"
    r"(水龙头|龙头|水阀|角阀)[^，。,.!！?？\s]{0,4}(关不上|关不住|关不紧|拧不紧|拧不上)"
)


@dataclass
class GuardResult:
    """What the guard found in one message."""

    danger_types: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    negated: list[str] = field(default_factory=list)
    live: bool = False
    after_the_fact: bool = False
    hypothetical: bool = False
    over: bool = False
    device_fault: bool = False  # names a device fault (打不着火, 电梯门关不上): weighs against doubt only
    hinted: str | None = None  # the danger a hint names (HINTS): the procedure of an emergency with no danger word

    @property
    def is_emergency(self) -> bool:
        if not self.danger_types:
            return False
        if self.live:
            return True
        return not (self.after_the_fact or self.hypothetical)

    @property
    def primary_type(self) -> str:
        specific = [t for t in self.danger_types if t != "generic"]
        if specific:
            return specific[0]
        return self.hinted or (self.danger_types[0] if self.danger_types else "other")

    @property
    def procedure_kind(self) -> str:
        """What the resident is told to do, and the kind the alert and the ticket carry: the
        primary danger's procedure, with first aid joined when a person is hurt beside it
        (bot.safety.joined_kind: 「电梯里有人晕倒了」 is 120 first, then the lift)."""
        return joined_kind(self.primary_type, self.danger_types)

    def as_dict(self) -> dict:
        return {
            "emergency": self.is_emergency,
            "types": self.danger_types,
            "matched": self.matched,
            "negated": self.negated,
            "live": self.live,
            "after_the_fact": self.after_the_fact,
            "hypothetical": self.hypothetical,
            "over": self.over,
            "device_fault": self.device_fault,
            "hinted": self.hinted,
        }

    def joined(self, other: GuardResult) -> GuardResult:
        """What either reading of the same message found: the union of dangers and cues."""
        order = list(DANGER_PATTERNS)
        return GuardResult(
            danger_types=sorted(set(self.danger_types) | set(other.danger_types), key=order.index),
            matched=list(dict.fromkeys(self.matched + other.matched)),
            negated=list(dict.fromkeys(self.negated + other.negated)),
            live=self.live or other.live,
            after_the_fact=self.after_the_fact or other.after_the_fact,
            hypothetical=self.hypothetical or other.hypothetical,
            over=self.over or other.over,
            device_fault=self.device_fault or other.device_fault,
            hinted=self.hinted or other.hinted,
        )


_COMPILED = {kind: [re.compile(p, re.IGNORECASE) for p in patterns] for kind, patterns in DANGER_PATTERNS.items()}


def _mask(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda m: "□" * len(m.group(0)), text)


def assess(text: str) -> GuardResult:
    """Assess one message for a live emergency, as written and as read."""
    written = (text or "")[:2000]
    result = _assess(written)
    reading = read(written).text
    return result.joined(_assess(reading)) if reading != written else result


def _assess(text: str) -> GuardResult:
    result = GuardResult()
    if not text:
        return result
    result.device_fault = bool(DEVICE_FAULTS.search(text))
    masked = _mask(FALSE_FRIENDS, _mask(DEVICE_FAULTS, text))
    for kind, patterns in _COMPILED.items():
        for pattern in patterns:
            for match in pattern.finditer(masked):
                before, after = masked[: match.start()], masked[match.end() :]
                if NEGATION_BEFORE.search(before) or NEGATION_AFTER.search(after):
                    result.negated.append(match.group(0))
                    continue
                if kind not in result.danger_types:
                    result.danger_types.append(kind)
                result.matched.append(match.group(0))
    result.live = bool(LIVE_CUES.search(masked))
    result.after_the_fact = bool(AFTER_THE_FACT_CUES.search(masked))
    result.hypothetical = bool(HYPOTHETICAL_CUES.search(masked))
    result.over = bool(OVER_CUES.search(masked))
    result.hinted = next((kind for kind, hint in HINTS.items() if hint.search(masked)), None)
    return result


def emergency_type(text: str) -> str:
    """The most specific danger type in the text, ``other`` when none is named."""
    return assess(text).primary_type
