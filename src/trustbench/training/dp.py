"""The ``dp`` trainer: DP-SGD with Opacus for torch models.

The model's architecture and preprocessing are the same as in a non-private run (made
Opacus-compatible with ``ModuleValidator``) so that the comparison is fair. The noise
multiplier is either fixed (``noise_multiplier``) or calibrated by Opacus so that the
accountant's epsilon after ``epochs`` epochs is at most ``target_epsilon``.

Note that the preprocessor (median imputation and scaling statistics) is fitted on the
training data without privacy; only the network's training is differentially private.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from typing import Any

from trustbench.data.task import TaskData
from trustbench.errors import ConfigError
from trustbench.models import build_model
from trustbench.training.record import DPRecord, TrainingRecord
from trustbench.training.result import TrainingResult

ACCOUNTANTS = ("prv", "rdp", "gdp")
GRAD_SAMPLE_MODES = ("hooks", "functorch", "ew", "ghost")


def check_dp_config(model_cfg: Mapping[str, Any], cfg: Mapping[str, Any]) -> None:
    """Check ``trainer=dp`` against the model before any data is loaded (``validate_config``).

    The ranges of the numbers and the choice of ``target_epsilon`` or ``noise_multiplier``
    are checked where the options are loaded (:class:`~trustbench.training.options.DPOptions`).

    Raises
    ------
    ConfigError
        For a model that is not a torch model, or an unknown accountant or
        ``grad_sample_mode``.
    """
    if model_cfg.get("library") != "torch":
        raise ConfigError(
            f"trainer 'dp' trains torch models only (DP-SGD through Opacus); model "
            f"'{model_cfg.get('name')}' is a {model_cfg.get('library')} model. Use a torch "
            f"model such as model=mlp, or trainer=standard."
        )
    if cfg.get("accountant") not in ACCOUNTANTS:
        raise ConfigError(
            f"trainer.accountant must be one of {list(ACCOUNTANTS)}; received {cfg.get('accountant')!r}"
        )
    if cfg.get("grad_sample_mode") not in GRAD_SAMPLE_MODES:
        raise ConfigError(
            f"trainer.grad_sample_mode must be one of {list(GRAD_SAMPLE_MODES)}; "
            f"received {cfg.get('grad_sample_mode')!r}"
        )


def dp_delta(cfg: Mapping[str, Any], n_train: int) -> float:
    """``trainer.target_delta``, or ``1 / (10 n)`` when it is null (well below 1/n)."""
    delta = cfg.get("target_delta")
    return float(delta) if delta is not None else 1.0 / (10.0 * n_train)


def train_dp(
    model_cfg: Mapping[str, Any],
    trainer_cfg: Mapping[str, Any],
    task: TaskData,
    *,
    seed: int = 0,
    device: str = "auto",
) -> TrainingResult:
    """Train a torch model with DP-SGD (Opacus) on ``task.train``.

    Returns the fitted model and its record, whose ``dp`` holds the accountant, epsilon,
    delta, noise multiplier, sample rate, number of steps and clipping norm.
    """
    check_dp_config(model_cfg, trainer_cfg)
    # Imported here: opacus (and torch) cost seconds of start-up that other runs should not pay.
    import torch
    from opacus import PrivacyEngine
    from opacus.validators import ModuleValidator
    from torch.utils.data import DataLoader, TensorDataset

    from trustbench.models.recipe import train_step

    model = build_model(model_cfg, task.features, seed=seed, recipe=trainer_cfg, device=device)
    inputs, targets = model.prepare(task.train.X, task.train.y)
    module = ModuleValidator.fix(model.module_)
    errors = ModuleValidator.validate(module, strict=False)
    if errors:
        raise ConfigError(f"model '{model_cfg.get('name')}' is not Opacus-compatible: {errors}")

    n_train = len(targets)
    delta = dp_delta(trainer_cfg, n_train)
    recipe = model.recipe  # the model's own recipe (optimiser, loss, batches), made private
    epochs = recipe.epochs
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(
        TensorDataset(inputs.cpu(), targets.cpu()),
        batch_size=recipe.batch_size,
        shuffle=True,
        generator=generator,
    )
    optimizer = recipe.make_optimizer(module.parameters())
    mode = str(trainer_cfg["grad_sample_mode"])
    common = dict(
        module=module,
        optimizer=optimizer,
        data_loader=loader,
        criterion=recipe.criterion(),
        max_grad_norm=float(trainer_cfg["max_grad_norm"]),
        poisson_sampling=bool(trainer_cfg["poisson_sampling"]),
        grad_sample_mode=mode,
        noise_generator=torch.Generator(device=model.device_).manual_seed(seed),
    )
    with warnings.catch_warnings():
        # Opacus warns that secure_mode (a cryptographically secure RNG) is off; the runs are
        # seeded for reproducibility, which secure mode would prevent.
        warnings.simplefilter("ignore")
        engine = PrivacyEngine(accountant=str(trainer_cfg["accountant"]), secure_mode=False)
        if trainer_cfg.get("noise_multiplier") is not None:
            made = engine.make_private(
                noise_multiplier=float(trainer_cfg["noise_multiplier"]), **common
            )
        else:
            made = engine.make_private_with_epsilon(
                target_epsilon=float(trainer_cfg["target_epsilon"]),
                target_delta=delta,
                epochs=epochs,
                **common,
            )
    if mode == "ghost":
        # ghost clipping (Opacus >= 1.5) returns a criterion wrapper that runs the two
        # backward passes of fast gradient clipping: the loss must come from it
        private_module, private_opt, loss_fn, private_loader = made
    else:
        private_module, private_opt, private_loader = made
        loss_fn = recipe.criterion()

    start = time.perf_counter()
    private_module.train()
    # Opacus's per-sample-gradient hooks fire on the first layer, whose input (the data)
    # needs no gradient; torch warns about that on every step. Expected, so silenced.
    warnings.filterwarnings("ignore", message="Full backward hook is firing", category=UserWarning)
    steps = 0
    for _ in range(epochs):
        for batch_x, batch_y in private_loader:
            if len(batch_y) == 0:  # Poisson sampling can draw an empty batch
                continue
            x, y = batch_x.to(model.device_), batch_y.to(model.device_)
            train_step(private_module, private_opt, loss_fn, x, y)
            steps += 1
    seconds = time.perf_counter() - start

    # Opacus's per-sample-gradient hooks stay on the layers until removed: a fitted model must
    # be a plain module again (gradient explainers, the randomisation check and reference models
    # take gradients of it, and the hooks would fail or cost a per-sample gradient each time).
    cleanup = getattr(private_module, "cleanup", None)
    if callable(cleanup):
        cleanup()
    model.module_ = private_module._module if hasattr(private_module, "_module") else private_module
    model.module_.eval()
    epsilon = float(engine.get_epsilon(delta))
    dp = DPRecord(
        accountant=str(trainer_cfg["accountant"]),
        epsilon=epsilon,
        delta=delta,
        target_epsilon=trainer_cfg.get("target_epsilon"),
        noise_multiplier=float(private_opt.noise_multiplier),
        sample_rate=float(1.0 / len(private_loader)),
        steps=steps,
        accounted_steps=int(sum(entry[-1] for entry in engine.accountant.history)),
        epochs=epochs,
        max_grad_norm=float(trainer_cfg["max_grad_norm"]),
        grad_sample_mode=str(trainer_cfg["grad_sample_mode"]),
        poisson_sampling=bool(trainer_cfg["poisson_sampling"]),
    )
    record = TrainingRecord(trainer="dp", seconds=round(seconds, 3), dp=dp)
    return TrainingResult(model=model, record=record)
