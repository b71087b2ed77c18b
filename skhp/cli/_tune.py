"""``skhp tune``: search, report, save, draw."""

import contextlib
import json
import math
import os
import pickle
import platform
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path
from typing import NamedTuple

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.model_selection import ParameterSampler, train_test_split
from sklearn.utils import Bunch
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from skhp import __version__
from skhp.cli import _factory
from skhp.cli._data import (
    DataError,
    label_text,
    check_data,
    infer_task,
    load_train_test,
    plan_columns,
)
from skhp.cli._report import (
    importance_table,
    plural,
    results_table,
    rounds_table,
    save_cv_results,
    to_jsonable,
)
from skhp.cli._scoring import ScoringError, make_run_scorer
from skhp.cli._space import SpaceError, build_space, read_space_file
from skhp.cli._table import load_csv
from skhp.inspection import hyperparameter_importance, refit_for_curves
from skhp.model_selection._resources import CALIBRATION_SAMPLE, n_promoted
from skhp.model_selection._rounds import Round, format_rows, rows_of
from skhp.model_selection._zoom import round_sizes
from skhp.progress import SearchProgress, recording_scorer

__all__ = ["UsageError", "tune"]

PLOTS_HINT = (
    "pictures skipped: matplotlib is not installed (pip install matplotlib; "
    "from a checkout: pip install -e '.[plots]')"
)


class UsageError(ValueError):
    """The options cannot work together; the message says why, in one line."""


#: A default test set smaller than this is not held out: its score would say
#: little, and the samples do more good in cross-validation.
MIN_TEST_SAMPLES = 50

#: ``--max-iter``'s default: about this many training samples seen per fit...
SAMPLES_PER_FIT = 100_000
#: ...within these bounds on the epochs.
EPOCHS = (10, 100)


def _load(args):
    """The data to tune on, and the test set to score the best model on.

    Returns a Bunch: ``X, y`` (the training data), ``X_test, y_test`` (None
    without a test set), ``task``, ``source``, ``test`` (where the test set
    comes from, or None) and ``columns``: None for a bundled data set (numbers
    only); for a CSV, the plan of which raw columns are numbers, categories or
    dropped.
    """
    notes = []
    X_test = y_test = test = None
    if args.csv is not None:
        if not args.target:
            raise UsageError("--csv needs --target COLUMN, the column to predict")
        X, y = load_csv(args.csv, args.target, sep=args.sep, decimal=args.decimal,
                        encoding=args.encoding, notes=notes)
        source = {"csv": str(args.csv), "target": args.target}
    else:
        if args.target:
            raise UsageError("--target goes with --csv")
        name = args.dataset or "digits"
        X, y, X_test, y_test = load_train_test(name)
        source = {"dataset": name}
        if X_test is not None:
            test = f"{name}'s own test set"
            if args.test_size:
                notes.append(f"--test-size ignored: {name} has its own test set")
    task = infer_task(y) if args.task == "auto" else args.task
    check_data(X, y, task)
    columns = None
    if args.csv is not None:
        # on every row read: a row number is consecutive before any split
        columns = plan_columns(X)
        notes += columns.notes
    if X_test is None:
        X, y, X_test, y_test, test = _hold_out(X, y, task, args, notes)
    if args.max_samples and args.max_samples < len(y):
        # The training set only: the test set stays whole.
        stratify = y if task == "classification" else None
        try:
            X, _, y, _ = train_test_split(
                X,
                y,
                train_size=args.max_samples,
                stratify=stratify,
                random_state=args.seed,
            )
        except ValueError as exc:
            raise DataError(f"cannot take {args.max_samples} samples: {exc}") from None
    _check_folds(y, args.cv, task)
    if len(y) > 20_000 and not args.max_samples:
        notes.append(
            f"{len(y)} samples; --max-samples 10000 gives a quicker first look"
        )
    for note in notes:
        print(f"note: {note}")
    return Bunch(
        X=X,
        y=y,
        X_test=X_test,
        y_test=y_test,
        task=task,
        source=source,
        test=test,
        columns=columns,
    )


def _hold_out(X, y, task, args, notes):
    """Split off the test set: ``X, y, X_test, y_test, description``.

    ``--test-size`` unset holds out 20%, unless that is fewer than
    ``MIN_TEST_SAMPLES`` (then none, with a note); 0 holds out nothing.
    """
    size = args.test_size
    if size == 0:
        return X, y, None, None, None
    if size is None:
        size = 0.2
        if math.ceil(size * len(y)) < MIN_TEST_SAMPLES:
            notes.append(
                f"no test set: 20% of {len(y)} samples is fewer than "
                f"{MIN_TEST_SAMPLES}, all go to cross-validation "
                "(--test-size holds out a share anyway)"
            )
            return X, y, None, None, None
    stratify = y if task == "classification" else None
    try:
        X, X_test, y, y_test = train_test_split(
            X, y, test_size=size, stratify=stratify, random_state=args.seed
        )
    except ValueError as exc:
        raise DataError(f"cannot hold out a test set of {size:g}: {exc}") from None
    return X, y, X_test, y_test, f"{size:.0%} of the data, held out"


def _check_folds(y, cv, task):
    if cv < 2:
        raise UsageError("--cv must be at least 2")
    if len(y) < 2 * cv:
        raise DataError(f"{len(y)} samples are too few for {cv}-fold cross-validation")
    if task == "classification":
        classes, counts = np.unique(y, return_counts=True)
        if counts.min() < cv:
            raise DataError(
                f"class {label_text(classes[counts.argmin()])} has {counts.min()} samples, "
                f"fewer than the {cv} folds; lower --cv or add samples"
            )


@contextlib.contextmanager
def _backend(args):
    """Run the search's parallel fits on Dask when asked to."""
    if not (args.dask_scheduler or args.dask_local):
        yield args.n_jobs
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "running on Dask needs the 'distributed' package (pip install distributed; "
            "from a checkout: pip install -e '.[dask]')"
        ) from None
    with contextlib.ExitStack() as stack:
        if args.dask_scheduler:
            try:
                client = stack.enter_context(Client(args.dask_scheduler, timeout="10s"))
            except (OSError, TimeoutError) as exc:
                raise UsageError(
                    f"cannot reach the Dask scheduler at {args.dask_scheduler}: {exc}"
                ) from None
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=args.dask_local,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                )
            )
            client = stack.enter_context(Client(cluster))
        print(f"running on Dask: {client.scheduler.address}", file=sys.stderr)
        stack.enter_context(joblib.parallel_config(backend="dask"))
        yield -1


class Work(NamedTuple):
    """What a search's fits add up to: their number and their epochs, of
    which ``zoomed_epochs`` in the rounds after the first."""

    n_fits: int
    n_epochs: int
    zoomed_epochs: int = 0


class Plan(NamedTuple):
    """A search's fits: at most (no rung prunes after round 0's calibration
    sample has shown they rank badly), and expected (the rungs prune from
    round 1 on, once that sample has shown they rank well, as on most data),
    with the rungs' epochs."""

    most: Work
    expected: Work
    rungs: list


def _rounds_work(sizes, rungs, cv, factor, pruning_from, sample):
    """Fits and epochs of rounds of ``sizes`` through ``rungs``. Round 0
    sends its first ``sample`` candidates to the top rung and keeps one of
    the others in ``factor`` at each rung; rounds from ``pruning_from`` on
    keep one candidate in ``factor`` at each rung. A promoted candidate
    trains on from its last rung: its fit at a later rung costs the new
    epochs only (the search's very last rung trains straight)."""
    n_fits, n_epochs = 0, [0] * len(sizes)
    for r, size in enumerate(sizes):
        kept = min(sample, size) if r == 0 else 0
        alive, previous = size, 0
        for k, resource in enumerate(rungs):
            last = r == len(sizes) - 1 and k == len(rungs) - 1
            n_fits += alive
            n_epochs[r] += alive * (resource if last else resource - previous)
            previous = resource
            if r == 0 and kept < size:
                alive = kept + n_promoted(alive - kept, factor)
            elif r >= pruning_from:
                alive = n_promoted(alive, factor)
    return Work(n_fits * cv, sum(n_epochs) * cv, sum(n_epochs[1:]) * cv)


def _plan(search, X, y, max_iter):
    """The fits of ``search`` on ``X, y``, at most and as expected (a
    :class:`Plan`), with the rungs the search says it will run."""
    sizes = round_sizes(search.n_iter, search.n_rounds)
    rungs = search.rung_plan(X, y) or [max_iter]
    never = len(sizes)
    # round 0's calibration sample, none without the check (one rung: no effect)
    sample = 0 if search.min_rank_correlation is None else CALIBRATION_SAMPLE
    work = partial(_rounds_work, sizes, rungs, search.cv, search.factor, sample=sample)
    return Plan(work(pruning_from=never), work(pruning_from=1), rungs)


def _halving_summary(search, correlations):
    """What the rungs showed, and what they pruned, in a line or two."""
    full = search.n_resources_[-1]
    threshold = search.min_rank_correlation
    shown = ", ".join(
        f"rung {rung} ({plural(epochs, 'epoch')}) "
        + ("n/a" if not np.isfinite(rho) else f"{rho:.2f}")
        for rung, (epochs, rho) in enumerate(zip(search.n_resources_, correlations))
    )
    per_round = "; ".join(
        f"round {r}: {'/'.join(map(str, counts))}"
        for r, counts in enumerate(search.n_rung_candidates_)
    )
    pruned = any(
        later < earlier
        for counts in search.n_rung_candidates_
        for earlier, later in zip(counts, counts[1:])
    )
    if pruned:
        why = ""
    elif any(np.isfinite(rho) and rho >= threshold for rho in correlations):
        why = (" No round pruned: the rungs showed that they rank well only "
               "once the last round was scored.")
    else:
        why = (f" No round pruned: no rung reached {threshold}, so every candidate "
               f"trained to {plural(full, 'epoch')}.")
    return (
        f"Halving: rank correlation with the scores at {plural(full, 'epoch')}: "
        f"{shown} (a rung prunes from {threshold}). "
        f"Candidates per rung: {per_round}.{why}"
    )


def _learning_curves(search, X, y, task, columns, args, max_iter):
    """The two best candidates refitted with 10% of the rows held out.

    Returns a dict label -> fitted network, the best (the saved model's
    parameters) first, for plotting.
    """
    return refit_for_curves(search, X, y, max_iter=max_iter, random_state=args.seed,
                            best_label="best candidate")


def _draw(search, importance, nets, out):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(PLOTS_HINT)
        return []
    from skhp.inspection import plot_importance, plot_learning_curves, plot_search

    written = []
    figures = {"search.png": plot_search(search).figure}
    curves = plot_learning_curves(nets, highlight=next(iter(nets)))[0].figure
    # The curves are refits; the saved model is the refit on every row.
    saved = search.best_estimator_[-1]
    curves.suptitle(
        "Refits of the best candidates with 10% of the rows held out to draw the "
        f"validation curve; the saved model, refitted on all the rows, trained "
        f"{plural(saved.n_iter_, 'epoch')}", fontsize="small",
    )
    figures["learning_curves.png"] = curves
    if importance is not None:
        figures["importance.png"] = plot_importance(importance).figure
    for name, fig in figures.items():
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        written.append(out / name)
    return written


def _n_features(X, columns):
    if columns is None:
        return f"{X.shape[1]} features"
    used = len(columns.numeric) + len(columns.categorical)
    text = f"{used} of {X.shape[1]} columns used"
    if columns.categorical:
        text += f" ({len(columns.categorical)} one-hot encoded)"
    return text


def _fit_batch_sizes(space, n_train):
    """Drop mini-batch sizes larger than a training fold: they would all be clipped
    to the fold size, the same candidate under different names."""
    sizes = space.get("batch_size")
    if isinstance(sizes, list) and all(isinstance(s, int) for s in sizes):
        kept = [s for s in sizes if s <= n_train] or [min(sizes)]
        space["batch_size"] = kept


def _finished_run_in(folder):
    """Whether ``folder`` holds the results of a run that finished."""
    try:
        run = json.loads((folder / "run.json").read_text())
    except (OSError, ValueError):
        return False
    return run.get("status") == "finished"


def _output_folder(out, overwrite):
    """The folder this run writes to, created and checked writable first.

    A folder holding a finished run is kept: the run goes to the first free
    ``out-2``, ``out-3``... unless ``overwrite``. (An interrupted run's folder
    is used again: the run resumes from its checkpoint.)
    """
    folder, n = out, 2
    while not overwrite and _finished_run_in(folder):
        folder, n = Path(f"{out}-{n}"), n + 1
    if folder != out:
        print(f"note: {out} holds an earlier run, kept; this run writes to "
              f"{folder} (--overwrite replaces the earlier one)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UsageError(
            f"cannot write to the output folder {folder}: {exc.strerror or exc}"
        ) from None
    return folder


def _epochs_from_space(space, args):
    """What a space file's ``max_iter`` means, said once (``args`` updated).

    One value is the epochs of a fit, as ``--max-iter`` (halving's full rung);
    several are searched, and halving, whose rungs set the epochs, is off.
    """
    epochs = space.get("max_iter")
    if epochs is None:
        return
    if isinstance(epochs, list) and len(epochs) == 1:
        value = epochs[0]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise SpaceError(f"max_iter: {value!r} is not a positive integer")
        if args.max_iter and args.max_iter != value:
            raise UsageError(
                f"--max-iter {args.max_iter} and the space file's max_iter = {value} "
                "disagree; give one"
            )
        del space["max_iter"]
        args.max_iter = value
    elif not args.no_halving:
        args.no_halving = True
        print("note: the space file searches max_iter, so halving over the epochs "
              "is off (as with --no-halving)")


def _max_iter(args, n_train):
    """Epochs per fit: ``--max-iter``, else fewer on large data (see --help)."""
    if args.max_iter:
        return args.max_iter
    low, high = EPOCHS
    return int(np.clip(round(SAMPLES_PER_FIT / n_train), low, high))


def _n_workers(args, n_jobs):
    """Fits that run at once, or None where it is not known (a Dask cluster)."""
    if args.dask_local:
        return args.dask_local
    if args.dask_scheduler:
        return None
    if n_jobs < 0:
        return max(joblib.cpu_count() + 1 + n_jobs, 1)
    return n_jobs


class FitCost(NamedTuple):
    """Seconds of a fit: ``fixed`` (set-up, scoring) plus ``per_epoch`` each
    epoch, ``zoomed_per_epoch`` in the rounds after the first."""

    fixed: float
    per_epoch: float
    zoomed_per_epoch: float = None

    def seconds(self, work):
        """Seconds of ``work`` (:class:`Work`) on one core."""
        zoomed = self.per_epoch if self.zoomed_per_epoch is None else self.zoomed_per_epoch
        return (work.n_fits * self.fixed
                + (work.n_epochs - work.zoomed_epochs) * self.per_epoch
                + work.zoomed_epochs * zoomed)


def _short_fits(estimator, params, X, y):
    """Seconds of fits of 1 and 3 epochs of a candidate, None if it fails.

    An untimed epoch first: a fresh worker's first fit pays for its imports
    and allocations, which made the epochs look 30% cheaper than they are.
    """
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epochs in (1, 1, 3):
            net = clone(estimator).set_params(**params)
            net.set_params(**{f"{_factory.STEP}__max_iter": epochs})
            started = time.perf_counter()
            try:
                net.fit(X, y)
            except Exception:  # a failing candidate: the search reports it
                return None
            times.append(time.perf_counter() - started)
    return times[1:]


def _time_per_fit(estimator, space, X, y, n_train, seed, n_jobs=1, n_draws=6):
    """What a cross-validation fit costs, from short fits of a few candidates.

    Each of ``n_draws`` candidates drawn from the space trains 1, then 3
    epochs on ``n_train`` samples (a training fold's size): the difference is
    the cost of two epochs, the rest the fit's fixed cost (a one-epoch fit
    alone, times the epochs, counted its set-up in every epoch: 3x the time
    on digits). They run on ``n_jobs`` processes, as the search's fits will:
    fits side by side share the memory and the caches, and take longer than
    one alone (1.7x for two on digits).

    The rounds after the first zoom in on the best candidates, and those
    train more per epoch (smaller batches, wider layers: on digits the
    epochs of round 2 cost 2x those of round 0); their epochs are charged at
    the mean of the costlier half of the draws. A :class:`FitCost`, None if
    no candidate fits.
    """
    rows = np.random.default_rng(seed).permutation(len(y))[:n_train]
    X_fold = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
    y_fold = y[rows]
    draws = list(ParameterSampler(space, n_draws, random_state=seed))
    timed = Parallel(n_jobs=min(n_jobs, n_draws))(
        delayed(_short_fits)(estimator, params, X_fold, y_fold) for params in draws
    )
    costs = []
    for times in filter(None, timed):
        per_epoch = max(times[1] - times[0], 0.0) / 2
        costs.append((max(times[0] - per_epoch, 0.0), per_epoch))
    if not costs:
        return None
    fixed, per_epoch = np.mean(costs, axis=0)
    epochs = np.sort([c[1] for c in costs])
    return FitCost(fixed, per_epoch, float(epochs[len(epochs) // 2:].mean()))


def _format_duration(seconds):
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def _estimate(cost, plan, max_iter, n_workers, n_samples, n_train, plots, left=1.0):
    """The line saying how long the run will take.

    ``left``: the share of the search still to run (a resumed run).
    """
    if cost is None:
        return None
    per_fit = cost.seconds(Work(1, max_iter))
    text = f"one fit of {plural(max_iter, 'epoch')}: about {per_fit:.1f} s"
    if n_workers is None:
        return f"Estimated time: {text}, {plan.most.n_fits} fits on the Dask cluster"
    # The refit, and the learning curves' two fits, of the best candidate (a
    # zoomed one) on the whole training set.
    best_fit = cost.seconds(Work(1, max_iter, zoomed_epochs=max_iter))
    refits = (1 + 2 * plots) * best_fit * n_samples / n_train

    def seconds(work):
        return left * cost.seconds(work) / n_workers + refits

    cores = f"{n_workers} core{'s' if n_workers > 1 else ''}"
    # Whether the rungs prune is known only once round 0 is scored; most
    # runs stop some fits early (the training loss levels off), so the time
    # if they prune is the estimate, the time if none does the most.
    line = f"Estimated time: about {_format_duration(seconds(plan.expected))}"
    if plan.most != plan.expected:
        line += (f" if the rungs prune from round 1 on (up to "
                 f"{_format_duration(seconds(plan.most))} if none does)")
    line += f" on {cores} ({text})"
    if seconds(plan.expected) > 15 * 60:
        line += "; --max-samples or --max-iter make it shorter"
    return line


def _read_checkpoint(path):
    """The rounds a checkpoint holds (a list of ``Round``), or None.

    The file is read as CoarseToFineSearchCV writes it (see
    skhp/model_selection/_checkpoint.py), to list the candidates of a stopped
    run and to say what a rerun will resume; whether it belongs to this run is
    for the search to decide when it starts.
    """
    try:
        with open(path, "rb") as f:
            payload = pickle.load(f)
        rounds = list(payload["rounds"])
    except Exception:
        return None
    # (another version's rounds: the search says so when it starts)
    return rounds if all(isinstance(r, Round) for r in rounds) else None


def _checkpoint_results(search, rounds):
    """``cv_results_`` of the candidates that finished in these rounds, or None."""
    params, out, more = rows_of(rounds or [])
    if not params:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return format_rows(search, len(out) // len(params), params, out, more)


def _restored_best(search, rounds, max_resources):
    """The best score a checkpoint's rounds reached at ``max_resources``
    (the score the progress line shows), None if none did."""
    results = _checkpoint_results(search, rounds)
    if results is None:
        return None
    scores = np.asarray(results["mean_test_score"], dtype=float)
    if "n_resources" in results:
        scores = scores[np.asarray(results["n_resources"]) == max_resources]
    scores = scores[np.isfinite(scores)]
    return float(scores.max()) if scores.size else None


def _fit(search, X, y):
    """Fit the search; return the warnings worth showing and the failures."""
    # scikit-learn passes these filters on to its workers: a small epoch
    # budget is expected to stop before convergence.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Tiny data sets: a mini-batch larger than the fold is the whole fold.
        warnings.filterwarnings("ignore", message=".*batch_size.*clipped")
        # Failed candidates are summed up below, in one line.
        warnings.filterwarnings("ignore", message=".*test scores are non-finite")
        warnings.simplefilter("always", FitFailedWarning)
        try:
            search.fit(X, y)
        except ValueError as exc:
            if "fits failed" not in str(exc):
                raise
            # scikit-learn lists every failure; the last line is the reason.
            reason = str(exc).strip().splitlines()[-1]
            raise UsageError(f"every fit failed; the last error: {reason}") from None
    return caught


def _forget(checkpoint):
    with contextlib.suppress(FileNotFoundError):
        checkpoint.unlink()


def _count_failed_fits(results, n_splits):
    """``(failed, all)`` fits of the search, at every rung: a failed fit
    scores NaN on its fold (``error_score=np.nan``)."""
    folds = np.column_stack(
        [np.asarray(results[f"split{k}_test_score"], dtype=float) for k in range(n_splits)]
    )
    return int(np.sum(~np.isfinite(folds))), folds.size


def _search_with_checkpoint(args, search, X, y, checkpoint):
    """Fit the search, resuming from ``checkpoint`` when it is of this run.

    The default checkpoint (in the output folder) of another run there is
    replaced; a checkpoint named with ``--checkpoint`` is never thrown away.
    """
    try:
        return _fit(search, X, y)
    except OSError as exc:  # the checkpoint cannot be written
        raise UsageError(exc.strerror or str(exc)) from None
    except ValueError as exc:
        # CoarseToFineSearchCV refuses a checkpoint of another search (or
        # unreadable) before any fit, with a message naming the file.
        named = f"Checkpoint {str(checkpoint)!r} "
        if not str(exc).startswith(named):
            raise
        # Its first sentence, without the list of what may differ.
        reason = str(exc)[len(named) :].split(". ")[0].split(" (")[0]
        if args.checkpoint:
            raise UsageError(f"{named}{reason}; --no-resume starts afresh") from None
    print(f"note: {checkpoint} {reason}: starting afresh")
    os.unlink(checkpoint)
    return _fit(search, X, y)


def _remove_stale_outputs(out):
    """Files of an earlier run in ``out`` that this stopped run did not redo."""
    for name in (
        "best_model.joblib",
        "search.png",
        "learning_curves.png",
        "importance.png",
    ):
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()


def _done(rounds, n_rounds, n_rungs):
    """What a checkpoint's rounds finished, said the same way everywhere:
    ``"1 of 3 rounds finished, and 2 of round 1's 3 rungs"``."""
    rounds = rounds or []
    complete = sum(r.complete for r in rounds)
    text = f"{complete} of {plural(n_rounds, 'round')} finished"
    partial = [r for r in rounds if not r.complete]
    if partial and n_rungs > 1:
        rungs = len(partial[0].rungs)
        text += f", and {rungs} of round {complete}'s {plural(n_rungs, 'rung')}"
    return text


def _interrupted(args, search, run, out, checkpoint, elapsed, n_rungs):
    """Save what a stopped run finished; return the exit status (130)."""
    rounds = _read_checkpoint(checkpoint)
    results = None
    try:
        results = _checkpoint_results(search, rounds)
    except Exception as exc:  # a checkpoint this version cannot read back
        print(f"note: cannot list the finished candidates: {exc}")
    _remove_stale_outputs(out)
    n_rounds = sum(r.complete for r in rounds or [])
    written = []
    print(f"\nInterrupted after {elapsed:.0f} s, "
          f"{_done(rounds, args.n_rounds, n_rungs)}.")
    if results is None:
        with contextlib.suppress(FileNotFoundError):
            (out / "cv_results.csv").unlink()
    else:
        print()
        print(results_table(results, top=args.top))
        save_cv_results(results, out / "cv_results.csv")
        written.append(out / "cv_results.csv")
        scores = np.asarray(results["mean_test_score"], dtype=float)
        best = int(np.nanargmax(scores)) if np.isfinite(scores).any() else None
        run["best_score"] = None if best is None else float(scores[best])
        run["best_params"] = None if best is None else _short(results["params"][best])
    run.update(
        status="interrupted",
        seconds=round(elapsed, 2),
        finished={
            "rounds": n_rounds,
            "candidates": 0 if results is None else len(results["params"]),
        },
        resumed_rounds=int(getattr(search, "n_restored_rounds_", 0)),
        checkpoint=str(checkpoint) if rounds else None,
    )
    (out / "run.json").write_text(json.dumps(to_jsonable(run), indent=2) + "\n")
    written.append(out / "run.json")
    if rounds:
        written.append(checkpoint)
    print("Wrote:")
    for path in written:
        print(f"  {path}")
    if rounds:
        print("Run the same command again to resume from the checkpoint.")
    return 130


def _short(params):
    return {k.split("__", 1)[-1]: v for k, v in params.items()}


class Setup(NamedTuple):
    """A run's search and what it was built from, before any fit."""

    estimator: object
    space: dict  # the search's parameters, prefixed with the network's step
    raw_space: dict  # as the user wrote it, for run.json
    search: object
    scorer: object
    scoring: str
    max_iter: int
    n_train: int
    plan: Plan


def _set_up(args, data):
    """The scorer, space, pipeline and search of a run (a :class:`Setup`)."""
    task, columns = data.task, data.columns
    scorer, scoring = make_run_scorer(args.scoring, args.pos_label, task, data.y)
    overrides = read_space_file(args.space) if args.space else None
    space, raw_space = build_space(overrides, _factory.supported_params(task))
    _epochs_from_space(space, args)
    n_train = len(data.y) * (args.cv - 1) // args.cv
    _fit_batch_sizes(space, n_train=n_train)
    if args.n_iter < args.n_rounds:
        raise UsageError(
            f"--n-iter {args.n_iter} is fewer than one candidate per round"
        )
    max_iter = _max_iter(args, n_train)
    estimator = _factory.make_estimator(
        task, columns, max_iter=max_iter, random_state=args.seed
    )
    prefixed = {f"{_factory.STEP}__{k}": v for k, v in space.items()}
    search = _factory.make_search(
        estimator,
        prefixed,
        n_iter=args.n_iter,
        n_rounds=args.n_rounds,
        cv=args.cv,
        scoring=recording_scorer(estimator, scorer),
        n_jobs=None,  # set once the backend is up
        random_state=args.seed,
        halving=not args.no_halving,
    )
    plan = _plan(search, data.X, data.y, max_iter)
    return Setup(estimator, prefixed, raw_space, search, scorer, scoring,
                 max_iter, n_train, plan)


def _header(args, data, setup):
    """The line that says what the run will do."""
    X, n_fits, rungs = data.X, setup.plan.most.n_fits, setup.plan.rungs
    test = ""
    if data.X_test is not None:
        test = f", and {len(data.y_test)} test samples ({data.test})"
    return (
        f"Tuning an MLP{'Classifier' if data.task == 'classification' else 'Regressor'} "
        f"on {data.source.get('dataset', data.source.get('csv'))}: "
        f"{X.shape[0]} samples, {_n_features(X, data.columns)}{test}; "
        f"{plural(args.n_iter, 'candidate')} in {plural(args.n_rounds, 'round')} "
        f"of {args.cv}-fold CV "
        + (
            f"({n_fits} fits of up to {plural(setup.max_iter, 'epoch')})"
            if len(rungs) == 1
            else f"(up to {n_fits} fits in rungs of {'/'.join(map(str, rungs))} "
            f"epochs; {CALIBRATION_SAMPLE} candidates of round 0 train to the full "
            "epochs, and of the others only the best third of each rung trains on, "
            f"in later rounds too once those {CALIBRATION_SAMPLE} have shown that a "
            "rung ranks candidates as the full epochs do)"
        )
        + f", scoring {setup.scoring}"
    )


def _run_record(args, data, setup):
    """run.json as it stands before the search: the versions, data and search."""
    X, columns, rungs = data.X, data.columns, setup.plan.rungs
    return {
        "skhp_version": __version__,
        "python": platform.python_version(),
        "command": sys.argv,
        "status": "finished",
        "data": {
            **data.source,
            "task": data.task,
            "n_samples": int(X.shape[0]),
            "n_features": int(X.shape[1]),
            "test": None
            if data.X_test is None
            else {"source": data.test, "n_samples": int(len(data.y_test))},
            **({} if columns is None else {"columns": columns.to_dict()}),
        },
        "search": {
            "n_iter": args.n_iter,
            "n_rounds": args.n_rounds,
            "cv": args.cv,
            "scoring": setup.scoring,
            "seed": args.seed,
            "max_iter": setup.max_iter,
            "halving_rungs": None if len(rungs) == 1 else rungs,
            "space": setup.raw_space,
        },
    }


def _announce(args, data, setup, n_jobs, found):
    """Time the fits, print the estimate, attach the progress line."""
    search, plan = setup.search, setup.plan
    n_fits, rungs = plan.most.n_fits, plan.rungs
    n_workers = _n_workers(args, n_jobs)
    cost = _time_per_fit(setup.estimator, setup.space, data.X, data.y, setup.n_train,
                         args.seed, n_jobs=n_workers or 1)
    # Rounds a checkpoint holds are not run again (an estimate: the search
    # decides whether the checkpoint is of this run).
    left = 1.0
    if found:
        done = sum(len(r.params) for r in found if r.complete)
        left = max(args.n_iter - done, 0) / args.n_iter
    line = _estimate(
        cost, plan, setup.max_iter,
        n_workers if n_workers is None else min(n_workers, n_fits),
        len(data.y), setup.n_train, plots=not args.no_plots, left=left,
    )
    if line:
        print(line, flush=True)
    search.set_params(n_jobs=n_jobs)
    if not args.quiet:
        # A resumed search counts the fits of its rounds as they start, and
        # so does halving, whose rungs may or may not prune.
        known = not found and len(rungs) == 1
        search.set_callbacks(SearchProgress(
            n_rounds=args.n_rounds, n_fits=n_fits if known else None,
            best_score=_restored_best(search, found, rungs[-1]),
        ))


def _report(args, search, caught, run):
    """Print the warnings, failures, tables and importances of a finished
    search (recording the rungs in ``run``); return the importances."""
    for warning in caught:
        if not issubclass(warning.category, FitFailedWarning):
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    n_failed, n_fits = _count_failed_fits(search.cv_results_, args.cv)
    failures = [w for w in caught if issubclass(w.category, FitFailedWarning)]
    if n_failed and failures:
        # scikit-learn's warning lists every failure; its last line is one reason.
        reason = str(failures[0].message).strip().splitlines()[-1]
        print(f"\n{n_failed} of {n_fits} fits failed; the first error: {reason}")
    print()
    print(results_table(search, top=args.top))
    table = rounds_table(search)
    if table:
        print()
        print(table)
    correlations = getattr(search, "rung_rank_correlations_", None)
    if correlations:
        print()
        print(_halving_summary(search, correlations))
        run["search"].update(
            rung_candidates=search.n_rung_candidates_,
            rung_rank_correlations=[
                float(rho) if np.isfinite(rho) else None for rho in correlations
            ],
        )
    try:
        importance = hyperparameter_importance(search, random_state=args.seed)
    except ValueError as exc:
        print(f"\nno importances: {exc}")
        return None
    print()
    print(importance_table(importance))
    return importance


def _save(data, setup, out, run, importance):
    """Score the best model on the test rows and write the run's files;
    return the test score and the paths written."""
    search = setup.search
    test_score = None
    if data.X_test is not None:
        # The scorer of the search, unwrapped from the progress recorder.
        test_score = float(
            setup.scorer(search.best_estimator_, data.X_test, data.y_test)
        )
    save_cv_results(search, out / "cv_results.csv")
    joblib.dump(search.best_estimator_, out / "best_model.joblib")
    run.update(
        resumed_rounds=int(getattr(search, "n_restored_rounds_", 0)),
        best_score=float(search.best_score_),
        test_score=test_score,
        best_params=_short(search.best_params_),
        importance=None
        if importance is None
        else dict(zip(importance.names, importance.importances)),
    )
    (out / "run.json").write_text(json.dumps(to_jsonable(run), indent=2) + "\n")
    return test_score, [out / "cv_results.csv", out / "run.json", out / "best_model.joblib"]


def _pictures(args, data, setup, importance, out):
    """Draw the search, the refits' learning curves and the importances;
    return the paths written."""
    with threadpool_limits(1):
        nets = _learning_curves(setup.search, data.X, data.y, data.task, data.columns,
                                args, setup.max_iter)
    return _draw(setup.search, importance, nets, out)


def tune(args):
    """Run ``skhp tune`` with parsed arguments; return the exit status."""
    data = _load(args)
    setup = _set_up(args, data)
    search, rungs = setup.search, setup.plan.rungs
    out = _output_folder(Path(args.output), args.overwrite)
    checkpoint = Path(args.checkpoint) if args.checkpoint else out / "checkpoint.pkl"
    if args.no_resume:
        _forget(checkpoint)
    found = _read_checkpoint(checkpoint)
    search.set_params(checkpoint=str(checkpoint))
    print(_header(args, data, setup), flush=True)
    if found:
        print(f"Found {checkpoint}, {_done(found, args.n_rounds, len(rungs))}: "
              "resuming from it if it is of this same run")
    run = _run_record(args, data, setup)
    started = time.time()
    # One BLAS thread per process: the cores go to parallel fits, and OpenBLAS
    # threads spinning on a busy machine can make a fit 30 times slower.
    with threadpool_limits(1), _backend(args) as n_jobs:
        _announce(args, data, setup, n_jobs, found)
        try:
            caught = _search_with_checkpoint(args, search, data.X, data.y, checkpoint)
        except KeyboardInterrupt:
            return _interrupted(
                args, search, run, out, checkpoint, time.time() - started, len(rungs)
            )
        except UsageError as exc:
            if str(exc).startswith("every fit failed"):
                # A rerun would resume only to fail the same way.
                _forget(checkpoint)
            raise
    elapsed = time.time() - started
    if not np.isfinite(search.best_score_):
        # Every candidate fitted and none could be scored (the scorer fails
        # where the constant model of the check before the search did not).
        _forget(checkpoint)
        raise UsageError(
            f"no candidate could be scored with {setup.scoring}: every score is NaN; "
            "see the warnings above"
        )
    importance = _report(args, search, caught, run)
    run["seconds"] = round(elapsed, 2)
    test_score, written = _save(data, setup, out, run, importance)
    _forget(checkpoint)  # the run is over: a rerun starts afresh
    if not args.no_plots:
        written += _pictures(args, data, setup, importance, out)
    n_restored = run["resumed_rounds"]
    if n_restored:
        print(f"\nResumed {n_restored} round{'s' if n_restored > 1 else ''} "
              f"from {checkpoint}.")
    summary = f"\nBest {setup.scoring}: {search.best_score_:.4f} in {args.cv}-fold CV"
    if test_score is not None:
        summary += f", {test_score:.4f} on the {len(data.y_test)} test samples"
    print(f"{summary}; {elapsed:.0f} s. Wrote:")
    for path in written:
        print(f"  {path}")
    return 0


ERRORS = (DataError, ScoringError, SpaceError, UsageError)
