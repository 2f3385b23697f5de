"""From a checked submission to a model the suites can score, through the sandbox only.

:func:`load_submission` starts the sandboxed worker on the submission's model file, wraps it
in the model facade (:mod:`trustbench.challenge.remote`: black-box ``predict_proba`` for ONNX,
plus a differentiable stand-in module for safetensors), and checks that the loaded model
reproduces the sample predictions the submission carries. The scorer and the participant's
validator both come through here, with the same :class:`~trustbench.challenge.public.
PublicChallenge` (the scorer's from the config, the validator's from the kit), so they run the
same checks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trustbench.challenge.isolation import SandboxLimits
from trustbench.challenge.public import PublicChallenge
from trustbench.challenge.remote import sandboxed_model
from trustbench.challenge.sandbox import Sandbox, SandboxError
from trustbench.challenge.submission import Submission
from trustbench.errors import TrustbenchError

__all__ = [
    "REPRODUCTION_TOLERANCE",
    "LoadedSubmission",
    "load_submission",
    "not_available",
]

#: Largest difference allowed between the carried and the recomputed sample probabilities.
REPRODUCTION_TOLERANCE = 1e-4


class LoadError(TrustbenchError):
    """The model could not be loaded or queried in the sandbox, or did not reproduce its
    sample predictions; the message is the reason the team sees."""


@dataclass
class LoadedSubmission:
    """A submission's model running in the sandbox, behind the scoring facade."""

    submission: Submission
    model: Any
    sandbox: Sandbox

    @property
    def isolation(self) -> str:
        return self.sandbox.isolation


def not_available(fmt: str, reference_recipe: Mapping[str, Any] | None = None) -> dict[str, str]:
    """What a format cannot be scored on, by family, and why (shown in every report)."""
    sanity = (
        "the randomisation sanity check needs the model's parameters on the host, which a "
        "sandboxed submission never offers"
    )
    out = {"explainability": sanity}
    if fmt == "onnx":
        out["explainability"] = (
            "gradient explainers (saliency, integrated gradients, ...) need gradients, which an "
            "ONNX black box does not give (submit safetensors weights for a challenge "
            f"architecture to get them); {sanity}"
        )
        out["uncertainty"] = (
            "the energy OOD score needs logits, which an ONNX black box does not give (its "
            "probabilities lose their scale); the probability-based scores are computed"
        )
    if reference_recipe is None:
        out["privacy"] = (
            "LiRA and RMIA need reference models of the submission's recipe, which a submitted "
            "model does not carry and this challenge declares none for; threshold attacks are "
            "scored"
        )
    else:
        out["privacy"] = (
            "online LiRA and the canary audit need the submission retrained, which it cannot be; "
            f"LiRA offline and RMIA use reference models of the declared recipe "
            f"({reference_recipe.get('model')}), a lower bound on the submission's leakage"
        )
    return out


@contextlib.contextmanager
def load_submission(
    public: PublicChallenge,
    folder: Path,
    submission: Submission,
    allow_unisolated: bool = False,
) -> Iterator[LoadedSubmission]:
    """The submission's model in a started sandbox (closed on exit), its sample reproduced.

    Raises
    ------
    LoadError
        With a one-line reason: the model does not load, a query fails, or the sample
        predictions are not reproduced.
    """
    model_path = Path(folder) / submission.model.name
    arch = submission.architecture
    sandbox = Sandbox(
        model_path,
        submission.format,
        architecture=arch,
        dims=public.dims[arch] if arch else None,
        limits=SandboxLimits.from_options(public.sandbox),
        allow_unisolated=allow_unisolated,
        n_classes=len(public.classes),
    )
    try:
        sandbox.start()
    except SandboxError as exc:
        raise LoadError(f"the model did not load in the sandbox: {exc}") from None
    try:
        model = sandboxed_model(sandbox, list(public.classes), public.encode)
        try:
            proba = model.predict_proba(public.sample)
        except SandboxError as exc:
            raise LoadError(f"the model failed on the public sample: {exc}") from None
        gap = float(np.max(np.abs(proba - submission.sample_probabilities)))
        if not gap <= REPRODUCTION_TOLERANCE:
            raise LoadError(
                f"{submission.sample_predictions.name}: the loaded model does not reproduce the "
                f"sample predictions the submission carries (largest difference {gap:.3g} > "
                f"{REPRODUCTION_TOLERANCE:g}); recompute them with the exported model on "
                "data/sample_X.npy"
            )
        yield LoadedSubmission(submission, model, sandbox)
    finally:
        sandbox.close()
