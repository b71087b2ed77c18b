"""Build the learning-curve tables: each configuration trained once, every epoch recorded.

For each task of ``tasks.py``, ``n_configs`` configurations of ``skhp tune``'s
default space, laid out by a scrambled Sobol design in the search's own unit
coordinates (each hyperparameter on its scale: log for the learning rate, log
of 1 - beta_1 for beta_1), are each trained once, as ``skhp tune`` trains them
(its network, its epochs, its stopping rule), and after every epoch the table
records:

- the validation score and the test score (accuracy, or R^2 for regression);
- the seconds the epoch took (process time, one BLAS thread; the first epoch
  includes the fit's set-up; the scoring is not counted);
- the samples seen so far (the training rows times the epochs).

A fit that stops early on a training plateau, as ``skhp tune``'s do, ends its
curve there. The work is cut in chunks of configurations, each written to
``tables/.build/<task>/`` as it finishes, so a stopped build resumes where it
was; once a task's chunks are all there, they are joined into
``tables/<task>.npz`` (compressed).

Run ``python benchmarks/curves/build.py [--tasks digits wine] [--n-jobs 2]``.
The small tasks take minutes, Fashion-MNIST a few hours (see
``docs/search_benchmarks.md``).
"""

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import qmc
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(__file__))
from tasks import TASKS  # noqa: E402

from skhp.model_selection._space import SearchSpace  # noqa: E402

TABLES = Path(__file__).parent / "tables"
CHUNK = 32
SEED = 0


class EpochRecorder:
    """A callback that scores the network after each epoch, out of the clock.

    Parameters
    ----------
    split : tasks.Split
    """

    def __init__(self, split):
        self.split = split
        self.val, self.test, self.seconds = [], [], []

    def setup(self, estimator, context):
        self._start = time.process_time()

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name != "epoch":
            return False
        self.seconds.append(time.process_time() - self._start)
        s = self.split
        self.val.append(fitted_estimator.score(s.X_val, s.y_val))
        self.test.append(fitted_estimator.score(s.X_test, s.y_test))
        self._start = time.process_time()
        return False

    def teardown(self, estimator, context):
        pass


def configurations(task, n_train):
    """The task's configurations: a scrambled Sobol design in unit coordinates."""
    (sub,) = SearchSpace(task.space(n_train)).subspaces
    n = task.n_configs
    U = qmc.Sobol(sub.n_units, scramble=True, seed=SEED).random_base2(int(np.log2(n)))
    return sub.params_from_unit(U, np.random.default_rng(SEED))


def _jsonable(params):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}


def train_one(task, split, params, epochs, seed):
    """Curves of one configuration: (val, test, seconds), each of up to ``epochs``."""
    recorder = EpochRecorder(split)
    net = task.estimator(max_iter=epochs, random_state=seed, **params)
    net.set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            net.fit(split.X_train, split.y_train)
        except (ValueError, FloatingPointError, ArithmeticError):
            pass  # a diverged fit: its curve ends where it failed
    return recorder.val, recorder.test, recorder.seconds


def build_chunk(task, start, params_list, path):
    """Train configurations ``start...`` and write them to ``path`` atomically."""
    with threadpool_limits(1):
        split = task.split()
        epochs = task.epochs(len(split.y_train))
        curves = np.full((len(params_list), 3, epochs), np.nan)
        for i, params in enumerate(params_list):
            val, test, seconds = train_one(task, split, params, epochs, seed=start + i)
            n = len(val)
            curves[i, :, :n] = val, test, seconds
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, curves=curves)
    os.replace(tmp, path)


def join(task, params, chunk_dir):
    """Join a task's chunks into ``tables/<task>.npz``."""
    split = task.split()
    parts = [np.load(chunk_dir / f"{start:05d}.npz")["curves"]
             for start in range(0, len(params), CHUNK)]
    curves = np.concatenate(parts)
    np.savez_compressed(
        TABLES / f"{task.name}.npz",
        val=curves[:, 0].astype(np.float32), test=curves[:, 1].astype(np.float32),
        seconds=curves[:, 2].astype(np.float32),
        params=json.dumps([_jsonable(p) for p in params]),
        n_train=len(split.y_train), n_val=len(split.y_val), n_test=len(split.y_test),
        kind=task.kind, note=task.note,
    )


def build(task, n_jobs):
    """Build (or resume) one task's table."""
    params = configurations(task, len(task.split().y_train))
    chunk_dir = TABLES / ".build" / task.name
    chunk_dir.mkdir(parents=True, exist_ok=True)
    todo = [start for start in range(0, len(params), CHUNK)
            if not (chunk_dir / f"{start:05d}.npz").exists()]
    print(f"{task.name}: {len(params)} configurations, {len(todo)} of "
          f"{-(-len(params) // CHUNK)} chunks to train", flush=True)
    started = time.time()
    Parallel(n_jobs=n_jobs, verbose=5)(
        delayed(build_chunk)(task, start, params[start:start + CHUNK],
                             chunk_dir / f"{start:05d}.npz")
        for start in todo)
    join(task, params, chunk_dir)
    print(f"{task.name}: done in {time.time() - started:.0f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=list(TASKS))
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    TABLES.mkdir(exist_ok=True)
    for name in args.tasks:
        build(TASKS[name], args.n_jobs)


if __name__ == "__main__":
    main()
