"""The ``fair`` trainer: fairness-mitigated training through fairlearn.

``trainer=fair`` trains the configured model under a group-fairness constraint on
``task.train`` and returns a :class:`FairClassifier`, which follows the facade
(``predict_proba(X)``) so that every suite scores it like any other model. Methods
(``trainer.method``):

``exponentiated_gradient`` (reductions; scikit-learn estimators that accept ``sample_weight``)
    ``fairlearn.reductions.ExponentiatedGradient(estimator, constraint, eps=tolerance)``
    (Agarwal et al. 2018): a *randomized* classifier, a mixture of fitted estimators ``h_t``
    with weights ``q_t`` (``weights_``). It does not need the sensitive feature to predict.
``grid_search`` (reductions; same estimators)
    ``fairlearn.reductions.GridSearch(estimator, constraint(difference_bound=tolerance),
    grid_size)``: one deterministic estimator, the best of a grid of Lagrange multipliers.
``threshold_optimizer`` (post-processing; any model, torch included)
    ``task.train`` is split, stratified by label and group and seeded with ``random_state``
    (:func:`~trustbench.training.fair_checks.postprocess_split`): the model is trained as by
    ``trainer=standard`` on a ``1 - postprocess_fraction`` part (default 0.7), then
    ``fairlearn.postprocessing.ThresholdOptimizer(prefit=True, predict_method="predict_proba",
    constraints=constraint, objective=objective, tol=tolerance)`` (Hardt et al. 2016) picks
    group-specific thresholds on ``proba_1`` on the held-out ``postprocess_fraction``,
    randomizing between two thresholds per group. Fitted on the model's own training rows, the
    thresholds of a model that memorised them (an MLP, a deep tree) would change nothing. It
    needs each row's sensitive group at prediction time.

After fitting, the mitigated classifier's ``P(yhat = 1)`` is compared with the unmitigated
model's predictions on the rows the mitigator was fitted on (the held-out part; for the
reductions, train, against the estimator fitted once without the constraint):
``record.fair.changed_fraction`` is the fraction of rows it changed, and
``record.fair.warning`` says so when it changed none (or no group's selection rate, TPR or
FPR); the trust card shows that warning.

Constraints (``trainer.constraint``): ``demographic_parity``, ``equalized_odds``,
``true_positive_rate_parity``. The sensitive features given to fairlearn are
``task.train.sensitive[trainer.sensitive]`` (default: the dataset's first sensitive
attribute); they need not be model inputs.

``predict_proba`` of a randomized predictor (exponentiated gradient, threshold optimizer)
    is its probability mass function: ``proba[:, 1] = P(yhat = 1 | x)`` over the predictor's
    own randomization, ``sum_t q_t h_t(x)`` for exponentiated gradient (fairlearn's
    ``_pmf_predict``, computed here from the public ``predictors_`` and ``weights_``) and
    fairlearn's ``ThresholdOptimizer._pmf_predict`` for the threshold optimizer. It is a
    selection probability, not a calibrated estimate of ``P(y = 1 | x)``: calibration metrics
    read it as a score. The trust report's ``y_pred`` is ``argmax(proba)``, i.e. the
    deterministic classifier that predicts 1 where the randomized one would with probability
    at least 1/2; fairlearn's constraints hold in expectation for the randomized classifier,
    which :meth:`FairClassifier.predict` draws, seeded with ``random_state`` (equal to
    fairlearn's ``predict(X, random_state=random_state)``). The fairness suite therefore scores
    a randomized model by its expected group rates (rates of ``proba[:, 1]``), and gives the
    argmax form in a note.

A model whose sensitive attribute is not a model input and that needs it (the threshold
optimizer) sets ``requires_sensitive = True``; :func:`trustbench.score` then calls
``predict_proba(X, sensitive=split.sensitive)``. Perturbation explainers call
``predict_proba(X)`` only, so they need the attribute to be a feature
(``dataset.sensitive_as_features=true``, the default).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustbench.data.labels import to_labels
from trustbench.data.task import TaskData
from trustbench.errors import DataError, ModelOutputError
from trustbench.models import build_model
from trustbench.training.fair_checks import check_mitigation, postprocess_split
from trustbench.training.fair_config import (
    CONSTRAINTS,
    DEFAULT_EPS,
    DEFAULT_POSTPROCESS_FRACTION,
    METHODS,
    OBJECTIVES,
    check_fair_config,
)
from trustbench.training.record import FairRecord, TrainingRecord
from trustbench.training.result import TrainingResult

__all__ = [
    "CONSTRAINTS",
    "METHODS",
    "OBJECTIVES",
    "FairClassifier",
    "check_fair_config",
    "train_fair",
]

log = logging.getLogger(__name__)


def _moment(constraint: str, difference_bound: float | None):
    from fairlearn.reductions import DemographicParity, EqualizedOdds, TruePositiveRateParity

    cls = {
        "demographic_parity": DemographicParity,
        "equalized_odds": EqualizedOdds,
        "true_positive_rate_parity": TruePositiveRateParity,
    }[constraint]
    return cls(difference_bound=difference_bound)


def _sample_weight_name(estimator: Any) -> str:
    """``<last step>__sample_weight`` for a Pipeline, ``sample_weight`` otherwise."""
    steps = getattr(estimator, "steps", None)
    return f"{steps[-1][0]}__sample_weight" if steps else "sample_weight"


class FairClassifier:
    """A fairlearn-mitigated binary classifier behind the ``predict_proba`` facade.

    Parameters
    ----------
    estimator : object
        For the reductions, an unfitted scikit-learn estimator or pipeline whose final step
        accepts ``sample_weight``; for ``threshold_optimizer``, a fitted model with
        ``predict_proba`` (scikit-learn or :class:`~trustbench.models.TorchClassifier`).
    method, constraint : str
        See :data:`METHODS` and :data:`CONSTRAINTS`.
    sensitive : sequence of str
        Sensitive attribute(s) the constraint is over (several are intersected by fairlearn).
    tolerance : float or None
        ``eps`` of exponentiated gradient (None: 0.01), ``difference_bound`` of grid search,
        ``tol`` of the threshold optimizer (None: exact; equalized odds is always exact).
    objective : str
        Threshold optimizer objective.
    grid_size, max_iter : int
        Grid search grid size; exponentiated gradient iterations.
    random_state : int
        Seed of the randomized predictions drawn by :meth:`predict`.

    Attributes
    ----------
    mitigator_ : fairlearn estimator
        The fitted ExponentiatedGradient, GridSearch or ThresholdOptimizer.
    groups_ : set of str
        The sensitive groups seen in ``fit`` (the threshold optimizer knows only these).
    classes_ : numpy.ndarray
        ``[0, 1]``.
    """

    def __init__(
        self,
        estimator: Any,
        *,
        method: str = "exponentiated_gradient",
        constraint: str = "equalized_odds",
        sensitive: Sequence[str] = (),
        tolerance: float | None = None,
        objective: str = "accuracy_score",
        grid_size: int = 10,
        max_iter: int = 50,
        random_state: int = 0,
    ) -> None:
        self.estimator = estimator
        self.method = method
        self.constraint = constraint
        self.sensitive = sensitive
        self.tolerance = tolerance
        self.objective = objective
        self.grid_size = grid_size
        self.max_iter = max_iter
        self.random_state = random_state

    # -- the facade ---------------------------------------------------------------------
    @property
    def requires_sensitive(self) -> bool:
        """True for the threshold optimizer: its thresholds are per group."""
        return self.method == "threshold_optimizer"

    @property
    def randomized(self) -> bool:
        """True when ``predict`` draws at random (see the module docstring)."""
        return self.method in ("exponentiated_gradient", "threshold_optimizer")

    def fit(self, X: pd.DataFrame, y, *, sensitive_features: pd.DataFrame) -> FairClassifier:
        """Fit the mitigator on ``(X, y)`` with the groups of ``sensitive_features``."""
        from fairlearn.postprocessing import ThresholdOptimizer
        from fairlearn.reductions import ExponentiatedGradient, GridSearch
        from sklearn.base import clone

        groups = self._groups(sensitive_features)
        self.groups_ = set(self._group_keys(groups))
        y = np.asarray(y).astype(np.int64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fairlearn's FutureWarnings and fit chatter
            if self.method == "exponentiated_gradient":
                eps = DEFAULT_EPS if self.tolerance is None else float(self.tolerance)
                self.mitigator_ = ExponentiatedGradient(
                    clone(self.estimator),
                    _moment(self.constraint, None),
                    eps=eps,
                    max_iter=int(self.max_iter),
                    sample_weight_name=_sample_weight_name(self.estimator),
                )
                self.mitigator_.fit(X, y, sensitive_features=groups)
            elif self.method == "grid_search":
                self.mitigator_ = GridSearch(
                    clone(self.estimator),
                    _moment(self.constraint, self.tolerance),
                    grid_size=int(self.grid_size),
                    sample_weight_name=_sample_weight_name(self.estimator),
                )
                self.mitigator_.fit(X, y, sensitive_features=groups)
            else:
                exact = self.constraint == "equalized_odds" or self.tolerance is None
                self.mitigator_ = ThresholdOptimizer(
                    estimator=self.estimator,
                    constraints=self.constraint,
                    objective=self.objective,
                    prefit=True,
                    predict_method="predict_proba",
                    tol=None if exact else float(self.tolerance),
                )
                self.mitigator_.fit(X, y, sensitive_features=groups)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame, sensitive: pd.DataFrame | None = None) -> np.ndarray:
        """``(n, 2)``: ``[1 - p, p]`` with ``p = P(yhat = 1 | x)`` of the mitigated classifier.

        For exponentiated gradient ``p = sum_t q_t h_t(x)`` (a mixture of hard predictions),
        for the threshold optimizer fairlearn's ``_pmf_predict`` (needs the groups: from
        ``sensitive``, else from the attribute's column of ``X``), and for grid search the
        selected estimator's own ``predict_proba``.
        """
        if self.method == "exponentiated_gradient":
            eg = self.mitigator_
            p = np.zeros(len(X))
            for weight, predictor in zip(eg.weights_, eg.predictors_, strict=True):
                if weight > 0:
                    p += float(weight) * np.asarray(predictor.predict(X), dtype=np.float64)
            p = np.clip(p, 0.0, 1.0)
            return np.column_stack([1.0 - p, p])
        if self.method == "grid_search":
            return np.asarray(self.mitigator_.predict_proba(X), dtype=np.float64)
        groups = self._prediction_groups(X, sensitive)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(
                self.mitigator_._pmf_predict(X, sensitive_features=groups), dtype=np.float64
            )

    def predict(self, X: pd.DataFrame, sensitive: pd.DataFrame | None = None) -> np.ndarray:
        """Class predictions; randomized predictors draw them seeded with ``random_state``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.method == "exponentiated_gradient":
                out = self.mitigator_.predict(X, random_state=self.random_state)
            elif self.method == "grid_search":
                out = self.mitigator_.predict(X)
            else:
                out = self.mitigator_.predict(
                    X,
                    sensitive_features=self._prediction_groups(X, sensitive),
                    random_state=self.random_state,
                )
        return np.asarray(out).astype(np.int64)

    # -- groups -------------------------------------------------------------------------
    def _groups(self, frame: pd.DataFrame) -> pd.DataFrame | pd.Series:
        columns = list(self.sensitive)
        if isinstance(frame, pd.Series):
            frame = frame.to_frame()
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ModelOutputError(
                f"FairClassifier ({self.method}): sensitive attribute(s) {missing} missing from "
                f"the frame given; it has columns {list(frame.columns)}"
            )
        labels = pd.DataFrame(
            {c: to_labels(frame[c].reset_index(drop=True)) for c in columns}, dtype=object
        )
        return labels[columns[0]] if len(columns) == 1 else labels

    @staticmethod
    def _group_keys(groups: pd.DataFrame | pd.Series) -> list[str]:
        if isinstance(groups, pd.Series):
            return groups.astype(str).tolist()
        return groups.astype(str).agg(" x ".join, axis=1).tolist()

    def _prediction_groups(self, X: pd.DataFrame, sensitive: pd.DataFrame | None):
        if sensitive is None:
            absent = [c for c in self.sensitive if c not in X.columns]
            if absent:
                raise ModelOutputError(
                    f"FairClassifier (threshold_optimizer) needs the sensitive attribute(s) "
                    f"{absent} of every row to predict, and they are not columns of X; call "
                    f"predict_proba(X, sensitive=frame) with a frame holding them"
                )
            sensitive = X
        groups = self._groups(sensitive)
        unseen = sorted(set(self._group_keys(groups)) - self.groups_)
        if unseen:
            raise ModelOutputError(
                f"FairClassifier (threshold_optimizer): group(s) {unseen} of {list(self.sensitive)} "
                f"were not in the training data; it has thresholds for {sorted(self.groups_)}"
            )
        return groups


def _attributes(trainer_cfg: Mapping[str, Any], task: TaskData) -> list[str]:
    if task.n_classes != 2:
        raise DataError(
            f"trainer 'fair' needs a binary target; dataset '{task.name}' has "
            f"{task.n_classes} classes"
        )
    if not task.sensitive_names:
        raise DataError(
            f"trainer 'fair' needs a sensitive attribute; dataset '{task.name}' has none"
        )
    wanted = trainer_cfg.get("sensitive")
    names = (
        [task.sensitive_names[0]]
        if wanted is None
        else ([wanted] if isinstance(wanted, str) else [str(w) for w in wanted])
    )
    unknown = [n for n in names if n not in task.sensitive_names]
    if unknown:
        raise DataError(
            f"trainer.sensitive: {unknown} is not a sensitive attribute of dataset "
            f"'{task.name}'; it has {task.sensitive_names}"
        )
    return names


def train_fair(
    model_cfg: Mapping[str, Any],
    trainer_cfg: Mapping[str, Any],
    task: TaskData,
    *,
    seed: int = 0,
    device: str = "auto",
) -> TrainingResult:
    """Train the configured model under a fairness constraint (see the module docstring).

    The record's ``fair`` holds the method, constraint, the effective tolerance, the sensitive
    attribute(s), whether predictions are randomized and their seed, the share of rows the
    mitigation changed (and a warning when none), for the threshold optimizer the held-out
    fraction and row count, and the fit time.
    """
    check_fair_config(trainer_cfg, model_cfg)
    names = _attributes(trainer_cfg, task)
    method = str(trainer_cfg["method"])
    constraint = str(trainer_cfg["constraint"])
    tolerance = trainer_cfg.get("tolerance")
    random_state = int(seed if trainer_cfg.get("seed") is None else trainer_cfg["seed"])
    model = build_model(model_cfg, task.features, seed=seed, recipe=trainer_cfg, device=device)
    start = time.perf_counter()
    fraction = float(trainer_cfg.get("postprocess_fraction", DEFAULT_POSTPROCESS_FRACTION))
    rows = task.train
    if method == "threshold_optimizer":  # the model on one part, the thresholds on the other
        keys = rows.sensitive[names].astype(str).agg(" x ".join, axis=1).tolist()
        fit_rows, held_out = postprocess_split(rows.y, keys, fraction, random_state)
        model.fit(rows.subset(fit_rows).X, rows.y[fit_rows])
        rows = rows.subset(held_out)
    fair = FairClassifier(
        model,
        method=method,
        constraint=constraint,
        sensitive=names,
        tolerance=None if tolerance is None else float(tolerance),
        objective=str(trainer_cfg["objective"]),
        grid_size=int(trainer_cfg["grid_size"]),
        max_iter=int(trainer_cfg["max_iter"]),
        random_state=random_state,
    ).fit(rows.X, rows.y, sensitive_features=rows.sensitive)
    seconds = round(time.perf_counter() - start, 3)
    changed, warning = check_mitigation(fair, model, rows, method)
    if warning:
        log.warning("%s", warning)
    if method == "exponentiated_gradient":
        effective = DEFAULT_EPS if tolerance is None else float(tolerance)
        extra = {
            "max_iter": int(trainer_cfg["max_iter"]),
            "n_predictors": int(np.count_nonzero(fair.mitigator_.weights_ > 0)),
        }
    elif method == "grid_search":
        effective = 0.0 if tolerance is None else float(tolerance)
        extra = {"grid_size": int(trainer_cfg["grid_size"])}
    else:
        exact = constraint == "equalized_odds" or tolerance is None
        effective = 0.0 if exact else float(tolerance)
        extra = {
            "objective": str(trainer_cfg["objective"]),
            "postprocess_fraction": fraction,
            "postprocess_rows": len(rows),
        }
    settings = FairRecord(
        method=method,
        constraint=constraint,
        tolerance=effective,
        sensitive=",".join(names),
        randomized=fair.randomized,
        random_state=random_state,
        predict_proba="P(yhat=1|x) of the mitigated classifier; y_pred = argmax",
        changed_fraction=round(changed, 6),
        warning=warning,
        **extra,
    )
    return TrainingResult(model=fair, record=TrainingRecord("fair", seconds, fair=settings))
