"""A small copy of the project for real, quick trainings in the trainer tests.

``small_root`` copies domain.yml, the knowledge base and rules, the held-out split, and the first
``per_intent`` examples of every intent, with a config of few epochs (and, for the deliberately
wrong candidate, emergency examples relabelled as complaints and the EmergencyGuard removed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT
from bot.trainer.export import nlu_yaml

SMALL_EPOCHS = {"LeanDIETClassifier": 25, "LeanResponseSelector": 10}  # by the class name, without the module


def nlu_examples(root: Path = PROJECT_ROOT) -> dict[str, list[str]]:
    """Every intent's example texts of the project's nlu_data, in file order (entity markup kept)."""
    examples: dict[str, list[str]] = {}
    for path in sorted((root / "nlu_data").glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu") or []:
            if "intent" in block:
                lines = [line.strip()[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


# Variants of evaluation sentences that must never become training data: the same sentences for
# bot/nlu/sentences.py (full width, other punctuation and spaces), and one holding an external sentence.
HELDOUT_SENTENCE = "11号楼电梯困住人了 是个外卖员 在里面拍门"  # tests/heldout/emergency.yml
EXTERNAL_SENTENCE = "2号楼电梯运行时异响而且有点晃"  # shared/eval/external_real.tsv (repair)
EXTERNAL_EMERGENCY = "水已经漫到插座了怎么办"  # shared/eval/external_real.tsv (emergency)


def full_width(text: str) -> str:
    """``text`` as a full-width input method writes it: ASCII letters, digits, signs and spaces."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else "\u3000" if ch == " " else ch for ch in text)


EVALUATION_VARIANTS = {
    full_width(HELDOUT_SENTENCE).replace("\u3000", "，", 1) + "！": "emergency",
    full_width(EXTERNAL_SENTENCE) + "。": "repair",
    "水已经漫到插座了！！怎么办？？": "emergency",
    f"您好 {full_width(EXTERNAL_SENTENCE)} 麻烦派人看看": "repair",  # holds an external sentence
}


def small_config(wrong: bool = False) -> str:
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    pipeline = []
    for component in config["pipeline"]:
        name = component["name"]
        if wrong and name.endswith("EmergencyGuard"):
            continue
        if name.rsplit(".", 1)[-1] in SMALL_EPOCHS:
            component["epochs"] = SMALL_EPOCHS[name.rsplit(".", 1)[-1]]
        if "dictionary_path" in component:
            component["dictionary_path"] = str(PROJECT_ROOT / component["dictionary_path"])
        pipeline.append(component)
    config["pipeline"] = pipeline
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def small_root(target: Path, per_intent: int, wrong: bool = False, skip: int = 0) -> Path:
    """A project root with examples ``skip .. skip+per_intent`` of each intent (emergency → complaint if wrong)."""
    (target / "nlu_data").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "domain.yml", target / "domain.yml")
    for name in ("knowledge_base.yml", "rules.yml"):
        shutil.copy(PROJECT_ROOT / "nlu_data" / name, target / "nlu_data" / name)
    shutil.copytree(PROJECT_ROOT / "tests" / "heldout", target / "tests" / "heldout")
    (target / "config.yml").write_text(small_config(wrong), encoding="utf-8")
    chosen: dict[str, list[str]] = {}
    for intent, texts in nlu_examples().items():
        label = "complaint" if wrong and intent == "emergency" else intent
        chosen.setdefault(label, []).extend(texts[skip : skip + per_intent])
    (target / "nlu_data" / "examples.yml").write_text(nlu_yaml(chosen, header='version: "3.1"\n'), encoding="utf-8")
    return target
