"""Knowledge as data and answering only what was asked, with the real model (issue 13 §2–§3).

- The answerability sets (tests/answerability/questions.tsv, written for issue 13; fresh.tsv,
  written on 2026-12-04 before the rules were changed again and not read while tuning them; and
  outside.tsv and street.tsv, written on 2026-12-05, and lane.tsv, written on 2026-12-06, from the
  community's record alone; none trained on:
  tests/test_training_data_leaks.py) through the real model and the action's decision
  (bot.bench.answerability, what ``bench nlu`` reports): answerable questions answered with the
  right topic's fact, unanswerable ones handed over honestly, and hardly any wrong answer. The
  floors are what the model and the rules reach today (docs/benchmarks.md), so a change that
  makes either worse fails here.
- Through the real stack (Rasa, the action server, the database): two communities, the same
  question, each its own answer; an edited answer used by the very next message; the questions of
  the issue (游泳池水温, 物业经理叫什么名字) handed over, never another topic's answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot import communities
from bot.bench.answerability import evaluate_sets
from bot.bench.parsing import parse
from bot.processes import Stack
from bot.storage import session_scope
from tests.rasa_support import Resident

pytestmark = pytest.mark.rasa

# Per set: (answered correctly at least, handed over honestly at least, wrong answers at most).
# Measured with the model of main's training data and the YesNoQuestionClassifier (「礼拜天能不能在家打
# 电钻啊」 read as a complaint is an inquiry) of 2026-12-06 evening (docs/benchmarks.md): questions
# 0.960 / 0.933 / 2, fresh 0.902 / 0.926 / 1, outside 0.821 / 0.945 / 1 (with the duration facet), street 0.677 / 0.887 / 6,
# lane 0.815 / 0.864 / 6 (lane.tsv kept unread; before the classifier 0.800 / 0.788 / 6) — far
# from the issue's "near 100 %": the floors, one question below each rate, only keep them from
# getting worse.
FLOORS = {
    "questions": (0.94, 0.91, 2),
    "fresh": (0.88, 0.90, 2),
    "outside": (0.80, 0.92, 2),
    "street": (0.66, 0.87, 7),
    "lane": (0.80, 0.84, 7),
}


@pytest.fixture(scope="module")
def measured(rasa_stack: Stack) -> dict[str, dict[str, Any]]:
    return evaluate_sets(lambda text: parse(rasa_stack.rasa_port, text))


@pytest.mark.parametrize("name", FLOORS)
def test_answerable_questions_are_answered_with_the_fact(measured: dict[str, dict[str, Any]], name: str) -> None:
    section = measured[name]
    assert section["answerable"] >= 40
    assert section["answered_correctly"] >= FLOORS[name][0], section["misses"]


@pytest.mark.parametrize("name", FLOORS)
def test_unanswerable_questions_are_handed_over_honestly(measured: dict[str, dict[str, Any]], name: str) -> None:
    section = measured[name]
    assert section["unanswerable"] >= 40
    assert section["handed_over_honestly"] >= FLOORS[name][1], section["misses"]
    assert section["wrong_answers"] <= FLOORS[name][2], section["misses"]


def _text(replies: list[dict[str, Any]]) -> str:
    return "".join(r.get("text") or "" for r in replies)


def test_each_community_gets_its_own_answer_and_an_edit_is_used_at_once(rasa_stack: Stack, stack_database: str) -> None:
    with session_scope(stack_database) as session:
        other = communities.community_by_slug(session, "lanting-e2e") or communities.save_community(
            session, communities.CommunityFacts(slug="lanting-e2e", name="兰亭苑", answers={"fee_standard": "兰亭苑物业费为高层住宅3.20元/㎡·月。"}), by="admin"
        )
        communities.bind_conversation(session, "answer-lanting", other.id)
        communities.bind_conversation(session, "answer-jinhua", communities.default_community(session).id)
    question = "高层住宅的物业费一平米多少钱"
    ours = _text(Resident(rasa_stack, "answer-jinhua").say(question))
    theirs = _text(Resident(rasa_stack, "answer-lanting").say(question))
    assert "2.50元/㎡·月" in ours and "3.20" not in ours
    assert "3.20元/㎡·月" in theirs and "2.50" not in theirs
    with session_scope(stack_database) as session:
        communities.set_answer(session, other.id, "fee_standard", "兰亭苑物业费为高层住宅3.60元/㎡·月。", by="admin")
    again = _text(Resident(rasa_stack, "answer-lanting").say(question))
    assert "3.60元/㎡·月" in again and "3.20" not in again


@pytest.mark.parametrize(("question", "said"), [
    ("小区游泳池的水温多少度", "温度"),
    ("物业经理叫什么名字", None),
])
def test_the_issues_questions_are_handed_over(rasa_stack: Stack, question: str, said: str | None) -> None:
    reply = _text(Resident(rasa_stack, f"answer-issue-{len(question)}").say(question))
    assert "非常抱歉" in reply and "在这里给您答复" in reply  # who answers, and by when (a date)
    if said:
        assert said in reply and "9:00–21:00" in reply  # the part that fits, then the hand-over
    for wrong in ("6:00–22:00", "8:30–18:00"):  # another question's answer
        assert wrong not in reply or said
    assert "已为您登记，工单号 WY" in reply  # the question is registered at once, phone or not
