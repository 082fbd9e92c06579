"""The study's training loop (Keras model and optimizer, torch autograd), with SAM as an option.

One loop for every variant, so that only the switch under study differs: same views of
each photo in the same order, same schedule, same epochs. The loop is written out (rather
than ``model.fit``) because Sharpness-Aware Minimization (Foret et al., 2021; applied to
ViTs by Chen et al., 2022) needs two gradients per update: one at the weights ``w`` to find
the direction that raises the loss most, ``ε = ρ·g/‖g‖``, and one at ``w + ε``, which the
optimizer then applies at ``w``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass

import keras  # noqa: E402
import numpy as np

import ml.vision  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from ml.vision.metrics import accuracy  # noqa: E402
from ml.vision.small_vit import probabilities  # noqa: E402


@dataclass(frozen=True)
class StudyTraining:
    """How every variant is trained (identical for all four)."""

    epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 1e-3
    warmup_epochs: int = 5
    weight_decay: float = 0.05
    label_smoothing: float = 0.1
    #: SAM's neighbourhood radius (Foret et al.'s default).
    sam_rho: float = 0.05
    seed: int = 42

    def as_dict(self) -> dict:
        """The settings as plain JSON values, for the report."""
        return asdict(self)


class SamStep:
    """One optimizer update; with ``rho``, Sharpness-Aware Minimization's two gradients.

    ``gradient_evaluations`` counts the backward passes made so far (two per SAM update,
    one per plain update).
    """

    def __init__(self, model: keras.Model, optimizer: keras.optimizers.Optimizer,
                 loss_fn, rho: float | None = None) -> None:
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.rho = rho
        self.variables = list(model.trainable_variables)
        self.gradient_evaluations = 0

    def _gradients(self, inputs, targets) -> tuple[float, object, list]:
        self.model.zero_grad()
        outputs = self.model(inputs, training=True)
        loss = self.loss_fn(targets, outputs)
        loss.backward()
        self.gradient_evaluations += 1
        gradients = [variable.value.grad for variable in self.variables]
        return (float(loss.detach()), outputs["label"].detach(),
                [g.detach().clone() if g is not None else None for g in gradients])

    def __call__(self, inputs, targets) -> tuple[float, object]:
        """Update the weights on one batch; returns the loss and the class logits before it."""
        import torch

        loss, logits, gradients = self._gradients(inputs, targets)
        if self.rho:
            norm = torch.sqrt(sum(torch.sum(g * g) for g in gradients if g is not None))
            scale = self.rho / (norm + 1e-12)
            moves = [None if g is None else g * scale for g in gradients]
            with torch.no_grad():
                for variable, move in zip(self.variables, moves, strict=True):
                    if move is not None:
                        variable.value.add_(move)
            _, _, gradients = self._gradients(inputs, targets)
            with torch.no_grad():
                for variable, move in zip(self.variables, moves, strict=True):
                    if move is not None:
                        variable.value.sub_(move)
        with torch.no_grad():
            self.optimizer.apply([g if g is not None else torch.zeros_like(v.value)
                                  for g, v in zip(gradients, self.variables, strict=True)],
                                 self.variables)
        self.model.zero_grad()
        return loss, logits


def study_loss(n_classes: int, label_smoothing: float):
    """Cross-entropy on the class head; with a distillation head, DeiT's hard distillation.

    ``targets`` is ``(labels, teacher_labels)``; the loss is then the mean of the class head's
    cross-entropy with the labels and the distillation head's with the teacher's argmax.
    """
    cross_entropy = keras.losses.CategoricalCrossentropy(from_logits=True,
                                                         label_smoothing=label_smoothing)
    hard = keras.losses.CategoricalCrossentropy(from_logits=True)

    def loss(targets, outputs):
        labels, teacher = targets
        value = cross_entropy(keras.ops.one_hot(labels, n_classes), outputs["label"])
        if "teacher" in outputs:
            value = 0.5 * value + 0.5 * hard(keras.ops.one_hot(teacher, n_classes),
                                             outputs["teacher"])
        return value

    return loss


def _schedule(training: StudyTraining, steps_per_epoch: int):
    total = training.epochs * steps_per_epoch
    warmup = min(training.warmup_epochs * steps_per_epoch, total - 1)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(total - warmup, 1), warmup_target=training.learning_rate,
        warmup_steps=warmup)


def train_variant(model: keras.Model, views: np.ndarray, labels: np.ndarray,
                  teacher: np.ndarray, validation: tuple[np.ndarray, np.ndarray],
                  training: StudyTraining, sam: bool = False, name: str = "") -> dict:
    """Train ``model`` on a bank of augmented views; returns per-epoch curves, wall and CPU
    seconds.

    ``views`` is ``(N, V, H, W, 3)``: V augmented copies of each training photo; each epoch
    draws one copy per photo (the same draws for every variant, from ``training.seed``).
    ``teacher`` holds the teacher's class for each view, ``(N, V)``.
    """
    import torch
    from tqdm import tqdm

    n_classes = int(model.output["label"].shape[-1])
    n_photos = len(views)
    steps = int(np.ceil(n_photos / training.batch_size))
    optimizer = keras.optimizers.AdamW(_schedule(training, steps),
                                       weight_decay=training.weight_decay)
    optimizer.build(model.trainable_variables)
    update = SamStep(model, optimizer, study_loss(n_classes, training.label_smoothing),
                     training.sam_rho if sam else None)
    rng = np.random.default_rng(training.seed)
    curves: dict[str, list[float]] = {"loss": [], "train_accuracy": [],
                                      "validation_accuracy": []}
    started, cpu_started = time.perf_counter(), time.process_time()
    with tqdm(total=training.epochs, desc=f"study {name}", unit="epoch", file=sys.stderr,
              leave=False) as bar:
        for _ in range(training.epochs):
            order = rng.permutation(n_photos)
            drawn = rng.integers(0, views.shape[1], size=n_photos)
            losses, correct = [], 0
            for start in range(0, n_photos, training.batch_size):
                batch = order[start:start + training.batch_size]
                images = torch.from_numpy(views[batch, drawn[batch]])
                targets = (torch.from_numpy(labels[batch]),
                           torch.from_numpy(teacher[batch, drawn[batch]]))
                loss, logits = update(images, targets)
                losses.append(loss * len(batch))
                correct += int((logits.argmax(-1).numpy() == labels[batch]).sum())
            curves["loss"].append(round(float(np.sum(losses) / n_photos), 4))
            curves["train_accuracy"].append(round(correct / n_photos, 4))
            curves["validation_accuracy"].append(
                round(accuracy(validation[1], probabilities(model, validation[0])), 4))
            bar.update(1)
            bar.set_postfix(val_accuracy=curves["validation_accuracy"][-1])
    # CPU seconds too: on a shared machine the wall time depends on the neighbours' load.
    return {"curves": curves, "seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds": round(time.process_time() - cpu_started, 1),
            "gradient_evaluations": update.gradient_evaluations}
