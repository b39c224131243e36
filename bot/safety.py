"""Safety instructions and responders for each emergency type.

DOMAIN.md §5, from seed 002_5ac8522a3e6f9142.txt §5.6.6–5.6.9 and seed 000_9f7d19d4d8a4ed5d.txt
「客户求助服务」A–G. Every text here is sent to a resident and passes the politeness checker.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Procedure:
    label: str
    department: str
    instructions: str


PROCEDURES: dict[str, Procedure] = {
    "fire": Procedure(
        "火警",
        "秩序维护部",
        "请立即拨打119报警；用湿毛巾捂住口鼻，弯腰从楼梯撤离，请勿乘坐电梯；不要返回取物。",
    ),
    "gas": Procedure(
        "燃气泄漏",
        "工程部",
        "请不要开关任何电器、不要使用明火或手机在现场打电话；立即打开门窗通风，关闭燃气总阀，迅速离开房间后拨打119和燃气公司抢修电话。",
    ),
    "lift": Procedure(
        "电梯困人",
        "工程部",
        "请保持冷静，按下电梯内的警铃或拨打轿厢内的救援电话；请勿强行扒门或攀爬，电梯维保人员正在赶来。",
    ),
    "flood": Procedure(
        "水浸/爆管",
        "工程部",
        "请立即关闭入户水阀总闸；如水已接近插座或电器，请先断开电源总闸，注意防止触电；工程人员正在赶往现场。",
    ),
    "electric": Procedure(
        "触电/漏电",
        "工程部",
        "请立即断开电源总闸，切勿用手直接接触触电者或带电设备，可用干燥的木棍挑开电线；如有人受伤请拨打120。",
    ),
    "crime": Procedure(
        "治安事件",
        "秩序维护部",
        "请先确保自身安全，远离危险人员，锁好门窗；请立即拨打110报警，保安人员正在赶往现场。",
    ),
    "medical": Procedure(
        "急救",
        "秩序维护部",
        "请立即拨打120急救电话，保持患者平躺、呼吸通畅，不要随意搬动伤者；保安会到小区门口接应救护车。",
    ),
    "poisoning": Procedure(
        "中毒",
        "秩序维护部",
        "请立即打开门窗通风，把中毒者转移到空气新鲜处，并拨打120急救电话；如怀疑燃气中毒，请勿开关电器。",
    ),
    "falling_object": Procedure(
        "高空坠物",
        "秩序维护部",
        "请远离坠物下方区域，提醒其他人绕行；如有人受伤请立即拨打120，保安正在赶往现场设置警戒。",
    ),
    "suicide": Procedure(
        "人身安全",
        "秩序维护部",
        "请立即拨打110和120；如您本人感到非常难受，请您先到安全的地方，我们的同事马上与您联系，您并不孤单，也可以拨打心理援助热线12356。",
    ),
    "elderly": Procedure(
        "独居老人无应答",
        "秩序维护部",
        "我们会立即联系老人登记的紧急联系人和家属，保安马上上门查看；如情况危急请拨打120。",
    ),
    "trapped": Procedure(
        "人员被困",
        "秩序维护部",
        "请保持冷静，尽量待在安全的位置；如有危险请拨打119，保安和工程人员正在赶往现场。",
    ),
    "disaster": Procedure(
        "灾害险情",
        "秩序维护部",
        "请立即撤离到空旷安全的地方，远离建筑物和电线；如有人员受伤或被困，请拨打119和120。",
    ),
    "other": Procedure(
        "紧急求助",
        "秩序维护部",
        "请先确保自身安全；如有生命危险请立即拨打110、119或120，值班人员正在为您处理。",
    ),
}


def procedure_for(kind: str) -> Procedure:
    return PROCEDURES.get(kind, PROCEDURES["other"])
