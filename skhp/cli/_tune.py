"""``skhp tune``: search, report, save, draw."""

import contextlib
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from skhp import __version__
from skhp.cli import _factory
from skhp.cli._data import (
    DataError,
    check_data,
    feature_names,
    infer_task,
    load_csv,
    load_dataset,
    plan_columns,
)
from skhp.cli._report import (
    importance_table,
    results_table,
    rounds_table,
    save_cv_results,
    to_jsonable,
)
from skhp.cli._space import SpaceError, build_space, read_space_file
from skhp.inspection import hyperparameter_importance
from skhp.progress import SearchProgress, recording_scorer

__all__ = ["UsageError", "tune"]

PLOTS_HINT = "pictures skipped: matplotlib is not installed (pip install 'skhp[plots]')"


class UsageError(ValueError):
    """The options cannot work together; the message says why, in one line."""


def _load(args):
    """The data to tune on: ``X, y, task, source, columns``.

    ``columns`` is None for a bundled data set (numbers only); for a CSV, the
    plan of which raw columns are numbers, categories or dropped.
    """
    notes = []
    if args.csv is not None:
        if not args.target:
            raise UsageError("--csv needs --target COLUMN, the column to predict")
        X, y = load_csv(args.csv, args.target, notes=notes)
        source = {"csv": str(args.csv), "target": args.target}
    else:
        if args.target:
            raise UsageError("--target goes with --csv")
        name = args.dataset or "digits"
        X, y = load_dataset(name)
        source = {"dataset": name}
    task = infer_task(y) if args.task == "auto" else args.task
    check_data(X, y, task)
    if args.max_samples and args.max_samples < len(y):
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
    columns = None
    if args.csv is not None:
        columns = plan_columns(X, feature_names(args.csv, args.target))
        notes += columns.notes
    if len(y) > 20_000 and not args.max_samples:
        notes.append(
            f"{len(y)} samples; --max-samples 10000 gives a quicker first look"
        )
    for note in notes:
        print(f"note: {note}")
    return X, y, task, source, columns


def _check_folds(y, cv, task):
    if cv < 2:
        raise UsageError("--cv must be at least 2")
    if len(y) < 2 * cv:
        raise DataError(f"{len(y)} samples are too few for {cv}-fold cross-validation")
    if task == "classification":
        classes, counts = np.unique(y, return_counts=True)
        if counts.min() < cv:
            raise DataError(
                f"class {classes[counts.argmin()]!r} has {counts.min()} samples, "
                f"fewer than the {cv} folds; lower --cv or add samples"
            )


def _scoring(args, task):
    if args.scoring is None:
        return "accuracy" if task == "classification" else "r2"
    if args.scoring not in get_scorer_names():
        raise UsageError(
            f"unknown scoring {args.scoring!r}; see sklearn.metrics.get_scorer_names()"
        )
    return args.scoring


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
            "running on Dask needs the 'distributed' package (pip install 'skhp[dask]')"
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


def _learning_curves(search, X, y, task, columns, args):
    """Refit the best candidate with a validation split, with and without batch norm.

    Returns a dict label -> fitted network, for plotting.
    """
    params = {k.split("__", 1)[1]: v for k, v in search.best_params_.items()}
    # Hold out 10% to score each epoch, and train every epoch: no early stop.
    params.update(
        early_stopping=True,
        n_iter_no_change=args.max_iter,
        max_iter=args.max_iter,
        random_state=args.seed,
    )
    variants = {"best candidate": params}
    if "batch_norm" in _factory.supported_params(task):
        variants = {
            f"batch_norm={bn!r}": {**params, "batch_norm": bn}
            for bn in ("before", None)
        }
    nets = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*batch_size.*clipped")
        for label, p in variants.items():
            pipeline = _factory.make_estimator(task, columns, **p)
            nets[label] = pipeline.fit(X, y)[_factory.STEP]
    return nets


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
    figures["learning_curves.png"] = plot_learning_curves(nets)[0].figure
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


def tune(args):
    """Run ``skhp tune`` with parsed arguments; return the exit status."""
    X, y, task, source, columns = _load(args)
    scoring = _scoring(args, task)
    overrides = read_space_file(args.space) if args.space else None
    space, raw_space = build_space(overrides, _factory.supported_params(task))
    _fit_batch_sizes(space, n_train=len(y) * (args.cv - 1) // args.cv)
    if args.n_iter < args.n_rounds:
        raise UsageError(
            f"--n-iter {args.n_iter} is fewer than one candidate per round"
        )

    out = Path(args.output)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create output folder {out}: {exc.strerror}") from None

    estimator = _factory.make_estimator(
        task, columns, max_iter=args.max_iter, random_state=args.seed
    )
    prefixed = {f"{_factory.STEP}__{k}": v for k, v in space.items()}
    print(
        f"Tuning an MLP{'Classifier' if task == 'classification' else 'Regressor'} "
        f"on {source.get('dataset', source.get('csv'))}: {X.shape[0]} samples, "
        f"{_n_features(X, columns)}; "
        f"{args.n_iter} candidates in {args.n_rounds} rounds, "
        f"{args.cv}-fold CV, scoring {scoring}",
        flush=True,
    )
    started = time.time()
    # One BLAS thread per process: the cores go to parallel fits, and OpenBLAS
    # threads spinning on a busy machine can make a fit 30 times slower.
    with threadpool_limits(1), _backend(args) as n_jobs:
        search = _factory.make_search(
            estimator,
            prefixed,
            n_iter=args.n_iter,
            n_rounds=args.n_rounds,
            cv=args.cv,
            scoring=recording_scorer(estimator, scoring),
            n_jobs=n_jobs,
            random_state=args.seed,
        )
        if not args.quiet:
            search.set_callbacks(SearchProgress(n_rounds=args.n_rounds))
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
                raise UsageError(
                    f"every fit failed; the last error: {reason}"
                ) from None
    elapsed = time.time() - started

    for warning in caught:
        if not issubclass(warning.category, FitFailedWarning):
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    scores = np.asarray(search.cv_results_["mean_test_score"], dtype=float)
    n_failed = int(np.sum(~np.isfinite(scores)))
    failures = [w for w in caught if issubclass(w.category, FitFailedWarning)]
    if n_failed and failures:
        # scikit-learn's warning lists every failure; its last line is one reason.
        reason = str(failures[-1].message).strip().splitlines()[-1]
        print(f"\n{n_failed} of {len(scores)} candidates failed to fit, e.g. {reason}")
    print()
    print(results_table(search, top=args.top))
    table = rounds_table(search)
    if table:
        print()
        print(table)
    try:
        importance = hyperparameter_importance(search, random_state=args.seed)
    except ValueError as exc:
        importance = None
        print(f"\nno importances: {exc}")
    else:
        print()
        print(importance_table(importance))

    save_cv_results(search, out / "cv_results.csv")
    joblib.dump(search.best_estimator_, out / "best_model.joblib")
    run = {
        "skhp_version": __version__,
        "python": platform.python_version(),
        "command": sys.argv,
        "data": {
            **source,
            "task": task,
            "n_samples": int(X.shape[0]),
            "n_features": int(X.shape[1]),
            **({} if columns is None else {"columns": columns.to_dict()}),
        },
        "search": {
            "n_iter": args.n_iter,
            "n_rounds": args.n_rounds,
            "cv": args.cv,
            "scoring": scoring,
            "seed": args.seed,
            "max_iter": args.max_iter,
            "space": raw_space,
        },
        "seconds": round(elapsed, 2),
        "best_score": float(search.best_score_),
        "best_params": {
            k.split("__", 1)[-1]: v for k, v in search.best_params_.items()
        },
        "importance": None
        if importance is None
        else dict(zip(importance.names, importance.importances)),
    }
    (out / "run.json").write_text(json.dumps(to_jsonable(run), indent=2) + "\n")

    written = [out / "cv_results.csv", out / "run.json", out / "best_model.joblib"]
    if not args.no_plots:
        with threadpool_limits(1):
            nets = _learning_curves(search, X, y, task, columns, args)
        written += _draw(search, importance, nets, out)
    print(f"\nBest score {search.best_score_:.4f} in {elapsed:.0f} s. Wrote:")
    for path in written:
        print(f"  {path}")
    return 0


ERRORS = (DataError, SpaceError, UsageError)
