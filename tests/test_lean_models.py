"""The trained model's DIET and ResponseSelector are saved and served without Adam's state
(bot/nlu/lean_models.py, issue 11 §6), with the real (cached) model of the project's data.

- every TensorFlow checkpoint in the model archive holds the model's weights and no optimizer
  variable (Rasa's own components saved Adam's two moments per weight: two thirds of the file);
- loaded for serving, each component's model has no optimizer left;
- the answers themselves are tested everywhere else with this model (the NLU, answerability and
  conversation tests): the weights are the same.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from bot.nlu.lean_models import LeanDIETClassifier, LeanResponseSelector

pytestmark = pytest.mark.rasa


def _unpacked(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(into)  # noqa: S202 - the project's own model, trained by the test run
    return into


def test_the_checkpoints_hold_weights_and_no_optimizer_state(trained_model: Path, tmp_path: Path) -> None:
    import tensorflow as tf

    indexes = sorted(_unpacked(trained_model, tmp_path).rglob("*.tf_model.index"))
    assert len(indexes) == 2, indexes  # DIET and the response selector
    for index in indexes:
        names = [name for name, _ in tf.train.list_variables(str(index).removesuffix(".index"))]
        weights = [name for name in names if "/.ATTRIBUTES/VARIABLE_VALUE" in name and "optimizer" not in name]
        assert len(weights) > 10, names
        assert not [name for name in names if "optimizer" in name.lower()], index


def test_loaded_for_serving_the_models_keep_no_optimizer(trained_model: Path, tmp_path: Path) -> None:
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    storage, metadata = LocalModelStorage.from_model_archive(tmp_path / "storage", trained_model)
    loaded = {}
    for node in metadata.predict_schema.nodes.values():
        if node.uses in (LeanDIETClassifier, LeanResponseSelector):
            config = {**node.uses.get_default_config(), **node.config}
            context = ExecutionContext(metadata.predict_schema, metadata.model_id)
            loaded[node.uses] = node.uses.load(config, storage, node.resource, context)
    assert set(loaded) == {LeanDIETClassifier, LeanResponseSelector}
    for component in loaded.values():
        assert component.model is not None
        assert component.model.optimizer is None
        assert component.model.train_function is None
