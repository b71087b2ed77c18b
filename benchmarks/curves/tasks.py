"""The tasks of the learning-curve tables: data, fixed splits, epochs, space.

Each task has one fixed split into training, validation and test rows. A
search tunes on the validation score (the table's stand-in for a CV score);
the incumbent it picks is reported by its test score. The features are
standardized with the training rows' statistics, as ``skhp tune``'s pipeline
does; a regression target is standardized too (R^2 does not change).

The epochs are those ``skhp tune`` gives a training set of that size
(``SAMPLES_PER_FIT / n_train`` within ``EPOCHS``), and the space is its
default space (``skhp.cli._space.DEFAULT_SPACE``).
"""

import os
import sys
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_wine,
    make_classification,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skhp.cli._factory import ESTIMATORS, supported_params
from skhp.cli._space import build_space
from skhp.cli._tune import EPOCHS, SAMPLES_PER_FIT, _fit_batch_sizes

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from _data import fashion_mnist_or_synthetic  # noqa: E402


@dataclass(frozen=True)
class Split:
    """A task's rows: training, validation and test, features standardized."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class Task:
    """One table's task.

    Attributes
    ----------
    name : str
    kind : {"classification", "regression"}
    n_configs : int
        Configurations the table records.
    note : str
        Where the data comes from and how it is split.
    """

    name: str
    kind: str
    n_configs: int
    note: str

    def split(self):
        """The task's fixed split (a :class:`Split`)."""
        return _standardized(self.kind, *LOADERS[self.name]())

    def epochs(self, n_train):
        """The epochs ``skhp tune`` gives ``n_train`` training rows."""
        low, high = EPOCHS
        return int(np.clip(round(SAMPLES_PER_FIT / n_train), low, high))

    def space(self, n_train):
        """``skhp tune``'s default space for this task's network, with the
        batch sizes it keeps for ``n_train`` training rows."""
        space, _ = build_space(None, supported_params(self.kind))
        _fit_batch_sizes(space, n_train)
        return space

    def estimator(self, **params):
        """The network ``skhp tune`` fits, with ``params``."""
        return ESTIMATORS[self.kind](**params)


def _three_way(X, y, stratify, seed=0):
    """60% training, 20% validation, 20% test rows."""
    X_tr, X_rest, y_tr, y_rest = train_test_split(
        X, y, test_size=0.4, random_state=seed, stratify=y if stratify else None)
    X_val, X_te, y_val, y_te = train_test_split(
        X_rest, y_rest, test_size=0.5, random_state=seed,
        stratify=y_rest if stratify else None)
    return X_tr, y_tr, X_val, y_val, X_te, y_te


def _standardized(kind, X_tr, y_tr, X_val, y_val, X_te, y_te):
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_val, X_te = (scaler.transform(X).astype(X_tr.dtype) for X in (X_tr, X_val, X_te))
    if kind == "regression":
        mean, std = y_tr.mean(), y_tr.std()
        y_tr, y_val, y_te = ((y - mean) / std for y in (y_tr, y_val, y_te))
    return Split(X_tr, y_tr, X_val, y_val, X_te, y_te)


def _fashion_mnist():
    """20,000 training and 5,000 validation rows of the official training set,
    the official 10,000-image test set."""
    X, y, X_te, y_te, name = fashion_mnist_or_synthetic(dtype=np.float32)
    if name != "Fashion-MNIST":
        raise RuntimeError("install dataset-fashion-mnist (apt-get) to build this table")
    rows = np.random.default_rng(0).permutation(len(X))
    train, val = rows[:20_000], rows[20_000:25_000]
    return X[train], y[train], X[val], y[val], X_te, y_te


LOADERS = {
    "digits": lambda: _three_way(*load_digits(return_X_y=True), stratify=True),
    "breast-cancer": lambda: _three_way(*load_breast_cancer(return_X_y=True), stratify=True),
    "wine": lambda: _three_way(*load_wine(return_X_y=True), stratify=True),
    "diabetes": lambda: _three_way(*load_diabetes(return_X_y=True), stratify=False),
    "synthetic": lambda: _three_way(*make_classification(
        n_samples=6000, n_features=40, n_informative=12, n_redundant=8, n_classes=5,
        n_clusters_per_class=2, flip_y=0.05, class_sep=0.8, random_state=0), stratify=True),
    "fashion-mnist": _fashion_mnist,
}

TASKS = {
    task.name: task
    for task in [
        Task("digits", "classification", 1024,
             "scikit-learn's digits, 1,797 rows, split 60/20/20 stratified"),
        Task("breast-cancer", "classification", 1024,
             "scikit-learn's breast cancer, 569 rows, split 60/20/20 stratified"),
        Task("wine", "classification", 1024,
             "scikit-learn's wine, 178 rows, split 60/20/20 stratified"),
        Task("diabetes", "regression", 1024,
             "scikit-learn's diabetes (R^2), 442 rows, split 60/20/20"),
        Task("synthetic", "classification", 1024,
             "make_classification: 6,000 rows, 40 features, 5 classes, 5% labels "
             "flipped, split 60/20/20 stratified"),
        Task("fashion-mnist", "classification", 512,
             "Fashion-MNIST: 20,000 training and 5,000 validation rows of the "
             "official training set, the official 10,000-image test set"),
    ]
}
