"""A drain that smells in the home: 「卫生间下水道反味 怎么办」「厨房下水道有臭味」.

The classifier read these as ``inform`` (0.72–0.92: the answers to a form's 「什么坏了」 —
「厨房下水道」 — look like them), so the resident got the clarifying question (报修？投诉？) for an
ordinary repair; 「阳台地漏往上冒水怎么办」-like wording sat between inform and repair. A drain or
a fixture's trap that lets the sewer's smell back (反味, 返臭: a dry or broken 存水弯, a loose
seal) is a repair of the home's plumbing (DOMAIN.md §2: 落水管堵塞 and small repairs). The shape:

- a fixture of the home's plumbing (地漏, 马桶, 台盆/洗手盆/洗脸盆, 水槽, 存水弯, 排水口), or a
  下水道/下水管 said to be in the home (卫生间, 厨房, 阳台, 家里 …);
- a smell from it (反味, 返味, 臭味, 异味, 味道 …);
- nothing that may be gas, burning or smoke, nobody feeling ill, and no danger the guard's lexicon
  names (``bot.nlu.emergency.assess``).

Only the readings ``inform``, the fallback and ``emergency`` are replaced: a complaint about a
smell that was reported before stays a complaint (「下水井一股臭味 物业也不管管」 is not in the home
anyway). Scanned over every labelled set before it was written (docs/benchmarks.md).
"""

from __future__ import annotations

import re

from bot.nlu.emergency import assess
from bot.nlu.nuisances import MAYBE_DANGER

DRAIN_SMELL_INTENT = "repair"

HOME_FIXTURE = re.compile(r"地漏|马桶|坐便|蹲便|台盆|洗手盆|洗脸盆|面盆|水槽|水池下|存水弯|排水口|下水口")
DRAIN = re.compile(r"下水道|下水管|下水|排水管")
IN_THE_HOME = re.compile(r"卫生间|厕所|洗手间|浴室|淋浴|主卫|次卫|厨房|阳台|家里|我家|屋里|房间")
ODOUR = re.compile(r"反味|返味|反臭|返臭|冒臭|臭味|臭气|异味|怪味|味道|味儿|臭烘烘|发臭|有味|好臭|很臭")


def smells_from_a_drain(text: str | None) -> bool:
    """Does the message tell of a smell from a drain of the home, and of no danger?"""
    text = (text or "")[:200]
    drain = HOME_FIXTURE.search(text) is not None or (DRAIN.search(text) is not None and IN_THE_HOME.search(text) is not None)
    return drain and ODOUR.search(text) is not None and MAYBE_DANGER.search(text) is None and not assess(text).danger_types
