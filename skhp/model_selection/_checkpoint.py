"""Checkpoints of a coarse-to-fine search: one file, rewritten after each round.

The file holds the raw fit results of every completed round plus the sampler's
state, under a fingerprint of everything that decides which candidates the search
evaluates and what their scores are (estimator, space, budget, seed, scoring, cv,
data). Writes go to a temporary file in the same directory, then ``os.replace``,
so a process killed at any moment leaves either the old or the new checkpoint,
never half of one.
"""

import os
import pickle
import tempfile

import joblib

_FORMAT = "skhp.CoarseToFineSearchCV checkpoint"
_VERSION = 1


def _describe_distribution(value):
    # scipy frozen distributions pickle the global RandomState, which changes
    # whenever anything draws from it; describe them by family and arguments.
    dist = getattr(value, "dist", None)
    if dist is not None and hasattr(value, "args"):
        return ("scipy", getattr(dist, "name", type(dist).__name__), value.args, sorted(value.kwds.items()))
    if isinstance(value, (list, tuple)):
        return ("list", joblib.hash(list(value)))
    return ("object", repr(value))


def describe_space(param_distributions):
    grids = [param_distributions] if isinstance(param_distributions, dict) else param_distributions
    return [sorted((name, _describe_distribution(v)) for name, v in grid.items()) for grid in grids]


def fingerprint(**parts):
    """A hash of the named parts; joblib.hash pickles, so arrays hash by content."""
    return joblib.hash(sorted(parts.items()))


def save(path, fingerprint_, seed, rounds):
    """Atomically write the checkpoint."""
    path = os.fspath(path)
    payload = {
        "format": _FORMAT,
        "version": _VERSION,
        "fingerprint": fingerprint_,
        "seed": seed,
        "rounds": rounds,
    }
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".skhp-checkpoint-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path, fingerprint_):
    """The checkpoint's ``(seed, rounds)``, or None if there is no file.

    Raises
    ------
    ValueError
        If the file is not a readable checkpoint, or belongs to another search.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as f:
            payload = pickle.load(f)
        ok = isinstance(payload, dict) and payload.get("format") == _FORMAT
    except Exception as exc:
        raise ValueError(
            f"Checkpoint {path!r} is corrupt or not a CoarseToFineSearchCV "
            f"checkpoint ({type(exc).__name__}: {exc}). Delete it to start afresh."
        ) from exc
    if not ok or not {"fingerprint", "seed", "rounds", "version"} <= set(payload):
        raise ValueError(
            f"Checkpoint {path!r} is corrupt or not a CoarseToFineSearchCV "
            "checkpoint. Delete it to start afresh."
        )
    if payload["version"] != _VERSION:
        raise ValueError(
            f"Checkpoint {path!r} has format version {payload['version']}, this skhp "
            f"reads version {_VERSION}."
        )
    if payload["fingerprint"] != fingerprint_:
        raise ValueError(
            f"Checkpoint {path!r} belongs to a different search (its estimator, "
            "parameter space, budget, random_state, scoring, cv or data differ). "
            "Use another checkpoint path, or delete this file to start afresh."
        )
    return payload["seed"], payload["rounds"]
