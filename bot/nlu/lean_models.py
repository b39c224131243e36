"""Rasa's DIETClassifier and ResponseSelector, saved and served without Adam's state (issue 11 §6).

Rasa saves each TensorFlow model with Keras' ``save_weights``, whose checkpoint holds everything the
Keras model tracks — its optimizer too. Adam keeps two moment estimates per weight, so two thirds of
the checkpoints were optimizer state (ResponseSelector 192 of 288 MB, DIET 47 of 71 MB, measured
2026-12-03): needed to go on training, never to answer. Loading, Rasa builds the model, compiles
it with a fresh Adam and fits one example (which creates Adam's moments again), then restores the
weights; the moments then sat in every Rasa server's memory as well.

These components are Rasa's own with one change each way:

- saving, the checkpoint leaves the optimizer out (:meth:`_WithoutOptimizerState.save`), so the
  weights — and every answer — are the same, in a third of the space;
- loaded for serving (not for fine-tuning), the model lets go of its optimizer and training
  function, so their variables are freed.

What is given up: ``rasa train --finetune`` from such a model starts Adam afresh (the product
always trains from scratch: ``bot.modeling``). Measured in docs/benchmarks.md ("model size").
"""

from __future__ import annotations

import warnings
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET, ResponseSelector
from rasa.utils.tensorflow.models import RasaModel

# Rasa's recipe validator looks for these two classes by identity, not by subclass, and would warn
# at every training that the response examples and the entity examples have no component to learn
# them — which these subclasses are.
warnings.filterwarnings("ignore", message="You have defined training data with examples for training a response selector")
warnings.filterwarnings("ignore", message="You have defined training data consisting of entity examples")


class _WithoutOptimizerState:
    """Mixed into a :class:`RasaModel`: checkpoints without the optimizer; served without it."""

    _leave_out_optimizer = False

    def save(self, model_file_name: str, overwrite: bool = True) -> None:
        object.__setattr__(self, "_leave_out_optimizer", True)  # not a Keras-tracked attribute
        try:
            super().save(model_file_name, overwrite)  # type: ignore[misc]
        finally:
            object.__setattr__(self, "_leave_out_optimizer", False)

    def _trackable_children(self, save_type: str = "checkpoint", **kwargs: Any) -> dict[str, Any]:
        children = super()._trackable_children(save_type, **kwargs)  # type: ignore[misc]
        if self._leave_out_optimizer:
            children = {name: child for name, child in children.items() if name != "optimizer"}
        return children

    @classmethod
    def load(cls, model_file_name: str, *args: Any, finetune_mode: bool = False, **kwargs: Any) -> RasaModel:
        model = super().load(model_file_name, *args, finetune_mode=finetune_mode, **kwargs)  # type: ignore[misc]
        if not finetune_mode:
            # Keras' own attribute assignment, which also stops tracking the old values, so that
            # Adam's moments (and the training graph that uses them) can be freed.
            model.train_function = None
            model.optimizer = None
        return model


class LeanDIET(_WithoutOptimizerState, DIET):
    pass


class LeanDIET2BOW(_WithoutOptimizerState, DIET2BOW):
    pass


class LeanDIET2DIET(_WithoutOptimizerState, DIET2DIET):
    pass


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True
)
class LeanDIETClassifier(DIETClassifier):
    """``DIETClassifier`` whose model is saved and served without Adam's state."""

    @staticmethod
    def model_class() -> type[RasaModel]:
        return LeanDIET


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LeanResponseSelector(ResponseSelector):
    """``ResponseSelector`` whose model is saved and served without Adam's state."""

    @staticmethod
    def model_class(use_text_as_label: bool) -> type[RasaModel]:  # type: ignore[override]
        return LeanDIET2DIET if use_text_as_label else LeanDIET2BOW
