"""The import contract (``.importlinter``, run by ``scripts/test`` after ruff): it holds, and it fails
on what it is there to stop — an upward import (also one hidden inside a function), a cycle between
modules that may import each other, a new module under ``bot/`` placed in no layer, and a folder
that is not a package (import-linter cannot see into it: ``bot/intake`` was one)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import rasa_commands
from bot.settings import PROJECT_ROOT

CONTRACT = PROJECT_ROOT / ".importlinter"
NOT_PACKAGES = {"bot/storage/migrations", "bot/storage/migrations/versions"}  # Alembic's, loaded by path


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    lint = Path(sys.executable).with_name("lint-imports")  # beside this interpreter, in .venv/bin
    env = rasa_commands.environment({"PYTHONPATH": str(root)})  # the copy's packages, not the checkout's
    return subprocess.run([str(lint), "--no-cache", "--config", str(root / ".importlinter")], cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_layers_hold() -> None:
    result = lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout[-4000:]


def test_every_folder_of_modules_is_a_package() -> None:
    """A folder without ``__init__.py`` is a namespace package: the linter would not see its imports."""
    for top in ("bot", "actions"):
        for folder in sorted({p.parent for p in (PROJECT_ROOT / top).rglob("*.py")}):
            name = folder.relative_to(PROJECT_ROOT).as_posix()
            if "__pycache__" not in name and name not in NOT_PACKAGES:
                assert (folder / "__init__.py").is_file(), f"{name}/ has modules but no __init__.py"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The project's Python packages and contract, to break on purpose."""
    for package in ("bot", "actions"):
        shutil.copytree(PROJECT_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "jieba_dict"))
    shutil.copy(CONTRACT, tmp_path / ".importlinter")
    return tmp_path


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize(
    ("module", "code", "expected"),
    [
        ("bot/tickets/rules.py", "\nfrom bot.gateway import hub\n", "bot.tickets is not allowed to import bot.gateway"),
        ("bot/trainer/inbox.py", "\n\ndef hidden():\n    from bot.gateway import rasa_client\n", "bot.trainer is not allowed to import bot.gateway"),
        ("bot/evaluation/metrics.py", "\nimport bot.bench.nlu\n", "bot.evaluation is not allowed to import bot.bench"),
        ("bot/storage/models.py", "\n\ndef hidden():\n    from bot.tickets import rules\n", "bot.storage is not allowed to import bot.tickets"),
        ("bot/settings.py", "\nimport bot.clock\n", "bot.settings is not allowed to import bot.clock"),
        ("bot/intake/repair.py", "\nimport actions.common\n", "bot never imports actions"),
        ("actions/common.py", "\nfrom bot.trainer import labels\n", "actions is not allowed to import bot.trainer"),
    ],
)
def test_an_upward_import_breaks_the_contract(copy: Path, module: str, code: str, expected: str) -> None:
    append(copy / module, code)
    result = lint_imports(copy)
    assert result.returncode != 0 and expected in result.stdout, result.stdout[-4000:]


def test_a_cycle_in_the_domain_breaks_the_contract(copy: Path) -> None:
    """Domain modules may use each other (``:`` in the contract), but never in a circle."""
    append(copy / "bot/tickets/rules.py", "\nfrom bot.politeness import check\n")
    append(copy / "bot/politeness/checker.py", "\n\ndef hidden():\n    from bot.tickets import rules\n")
    result = lint_imports(copy)
    assert result.returncode != 0 and "No cycles are allowed in bot" in result.stdout, result.stdout[-4000:]


def test_a_module_in_no_layer_breaks_the_contract(copy: Path) -> None:
    (copy / "bot" / "newcomer.py").write_text('"""Not placed in a layer yet."""\n', encoding="utf-8")
    result = lint_imports(copy)
    assert result.returncode != 0 and "bot.newcomer" in result.stdout, result.stdout[-4000:]
