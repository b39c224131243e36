"""Answered correctly, handed over honestly (issue 13 §3): the answerability set through the real
model and the inquiry decision the action makes (bot.intake.inquiry.decide), on the first
community's answers (docs/communities/jinhua-garden.yml).

The sets (:data:`~bot.evaluation.datasets.ANSWERABILITY_SETS`), the same columns, none trained
on (the leak test): ``tests/answerability/questions.tsv`` (written for issue 13 and read while the
coverage rules were written, so its rates flatter), ``fresh.tsv`` (written afresh on 2026-12-04
before the rules were changed again), ``outside.tsv`` and ``street.tsv`` (written on 2026-12-05
from the community's record alone, committed before their first measurement) and ``lane.tsv``
(the same, 2026-12-06). A set in :data:`~bot.evaluation.datasets.UNREAD_ANSWERABILITY_SETS` is
reported by its rates only: its misses are not printed, so measuring it does not read it, and the
next change of the rules or the data can still be measured on questions nobody tuned it on. For each question:

- an *answerable* question is **answered correctly** when the model takes it for an inquiry, picks
  the topic whose answer has the fact, and the decision is to answer;
- an *unanswerable* one is **handed over honestly** when the reply is the DOMAIN.md §4 hand-over —
  an inquiry the decision hands over (with or without the part that fits) — never another answer;
- a **wrong answer** is any answer to an unanswerable question or with another topic's answer (the
  failure the issue is about). Other outcomes (another intent, the clarifying question) are listed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.communities import FIRST_COMMUNITY_FILE, read_community_file
from bot.evaluation.datasets import ANSWERABILITY_SETS, UNREAD_ANSWERABILITY_SETS, Question, answerability_questions
from bot.intake.inquiry import ANSWER, decide_parsed, topic_from_parse

Parse = Callable[[str], dict[str, Any]]


def outcome(question: Question, parsed: dict[str, Any], answers: dict[str, str], name: str = "", covers: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    intent = (parsed.get("intent") or {}).get("name") or ""
    row: dict[str, Any] = {"text": question.text, "expect": question.expect, "topic": question.topic, "intent": intent}
    if intent != "inquiry":
        return row | {"reply": intent or "none"}
    pick = topic_from_parse(parsed)
    reply = decide_parsed(question.text, parsed, lambda topic: (answers.get(topic), (covers or {}).get(topic, ())), (name,))
    # ``picked``: the topic whose answer was given (the next of the ranking when the first did not cover it).
    return row | {"picked": reply.topic, "chosen": pick.topic, "confidence": round(pick.confidence, 3), "reply": reply.verdict, "missing": reply.missing}


def evaluate(parse: Parse, questions: list[Question] | None = None, answers: dict[str, str] | None = None) -> dict[str, Any]:
    questions = questions if questions is not None else answerability_questions()
    first = read_community_file(FIRST_COMMUNITY_FILE)
    answers = answers if answers is not None else first.answers
    rows = [outcome(q, parse(q.text), answers, first.name, first.covers) for q in questions]
    answerable = [r for r in rows if r["expect"] == "answer"]
    unanswerable = [r for r in rows if r["expect"] == "handover"]
    correct = [r for r in answerable if r["reply"] == ANSWER and r.get("picked") == r["topic"]]
    honest = [r for r in unanswerable if r["intent"] == "inquiry" and r["reply"] != ANSWER]
    wrong = [r for r in rows if r["reply"] == ANSWER and (r["expect"] == "handover" or r.get("picked") != r["topic"])]
    return {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answered_correctly": round(len(correct) / max(1, len(answerable)), 3),
        "handed_over_honestly": round(len(honest) / max(1, len(unanswerable)), 3),
        "wrong_answers": len(wrong),
        "misses": [r for r in rows if r not in correct and r not in honest],
    }


def evaluate_sets(parse: Parse, names: tuple[str, ...] = tuple(ANSWERABILITY_SETS)) -> dict[str, dict[str, Any]]:
    """Each answerability set (:data:`ANSWERABILITY_SETS`) by its name, or those ``names``."""
    return {name: evaluate(parse, answerability_questions(ANSWERABILITY_SETS[name])) for name in names}


def format_sets(sections: dict[str, dict[str, Any]]) -> list[str]:
    return [
        line for name, section in sections.items() for line in format_section(section, ANSWERABILITY_SETS[name].name, name not in UNREAD_ANSWERABILITY_SETS)
    ]


def format_section(section: dict[str, Any], name: str = "questions.tsv", misses: bool = True) -> list[str]:
    lines = [
        f"answerability (tests/answerability/{name}): answered correctly {section['answered_correctly']:.3f} "
        f"(n={section['answerable']}), handed over honestly {section['handed_over_honestly']:.3f} (n={section['unanswerable']}), "
        f"wrong answers {section['wrong_answers']}"
    ]
    if not misses:
        return [*lines, f"  ({len(section['misses'])} misses not printed: the set is kept unread)"]
    for miss in section["misses"]:
        lines.append(f"  {miss['expect']:<8} {miss['topic']:<20} {miss['text']} → {miss['intent']}/{miss.get('picked', '-')} {miss['reply']} {miss.get('missing', '')}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.bench.answerability``: both sets through the model the data trains (cached,
    bot.serving) on a Rasa stack of its own. ``--save FILE`` keeps the parses, ``--parses FILE``
    reads them instead of starting Rasa (the rules checked again without the model; the parses are
    only valid for the model that made them)."""
    arguments = argparse.ArgumentParser(prog="python -m bot.bench.answerability")
    arguments.add_argument("--parses", type=Path, help="read the parses from this file instead of a Rasa server")
    arguments.add_argument("--save", type=Path, help="write the parses to this file")
    arguments.add_argument("--set", dest="sets", action="append", choices=list(ANSWERABILITY_SETS), help="only this set (again for more); default: all")
    options = arguments.parse_args(argv)
    names = tuple(options.sets or ANSWERABILITY_SETS)
    if options.parses:
        stored: dict[str, dict[str, Any]] = json.loads(options.parses.read_text(encoding="utf-8"))
        print("\n".join(format_sets(evaluate_sets(lambda text: stored[text], names))))
        return 0
    import tempfile

    from bot.bench.parsing import parse
    from bot.processes import Stack, free_port
    from bot.serving import model_for_data
    from bot.settings import CACHE_MODELS_DIR

    kept: dict[str, dict[str, Any]] = {}
    stack = Stack(model_for_data(CACHE_MODELS_DIR), rasa_port=free_port(), actions_port=free_port(), log_dir=Path(tempfile.mkdtemp()))
    with stack:

        def parse_and_keep(text: str) -> dict[str, Any]:
            kept[text] = parse(stack.rasa_port, text)
            return kept[text]

        sections = evaluate_sets(parse_and_keep, names)
    print("\n".join(format_sets(sections)))
    if options.save:
        options.save.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
