"""Checkpoints of a coarse-to-fine search: one file, rewritten after each round.

The file holds the raw fit results of every completed round plus the sampler's
state, under a fingerprint of everything that decides which candidates the search
evaluates and what their scores are (estimator, space, budget, seed, scoring, cv,
data). Writes go to a temporary file in the same directory, then ``os.replace``,
so a process killed at any moment leaves either the old or the new checkpoint,
never half of one.
"""

import errno
import os
import pickle
import re
import tempfile

import joblib
import numpy as np

from .._compat import JoblibNumpyHasher

_FORMAT = "skhp.CoarseToFineSearchCV checkpoint"
# 2: distributions are fingerprinted by content, not by family and arguments
# (or by a repr, which may hold a memory address).
# 3: a round holds its rungs, and is saved after each one.
# 4: a round is a Round (skhp/model_selection/_rounds.py), its rows in its rungs.
_VERSION = 4


class _ContentHasher(JoblibNumpyHasher):
    """joblib's hash, blind to random generators.

    scipy distributions hold a generator (by default numpy's global
    RandomState), whose state changes whenever anything draws from it; it says
    nothing about which values the distribution gives, so it is left out.
    """

    def save(self, obj):
        if isinstance(obj, (np.random.RandomState, np.random.Generator,
                            np.random.BitGenerator)):
            obj = "<random generator>"
        super().save(obj)


def _qualified_name(value):
    """``module.qualname`` of a function or class, else of the value's type."""
    kind = value if hasattr(value, "__qualname__") else type(value)
    return f"{getattr(kind, '__module__', '?')}.{kind.__qualname__}"


def _content_hash(value):
    return _ContentHasher().hash(value)


def _describe_distribution(value):
    """What a process resuming the search must find again: the content of the
    value, never its address in memory (reprs like ``<... at 0x7f...>``).

    A value that does not pickle (one holding a lambda or a lock, or of a class
    defined in a function) is described by its type and its attributes, each
    by content, or by its qualified name where it does not pickle either: two
    differently configured instances of one class differ, but an attribute
    that does not pickle counts only by its name.
    """
    if isinstance(value, (list, tuple)):
        value = list(value)
    try:
        return ("content", _content_hash(value))
    except Exception:
        pass
    if isinstance(value, list):
        return ("list", [_describe_distribution(v) for v in value])
    attributes = []
    for name, attribute in sorted(getattr(value, "__dict__", {}).items()):
        try:
            attributes.append((name, _content_hash(attribute)))
        except Exception:
            attributes.append((name, "<not picklable>", _qualified_name(attribute)))
    # The repr, less any memory address, for what __dict__ does not hold (slots).
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))
    return ("attributes", _qualified_name(type(value)), text, attributes)


def describe_space(param_distributions):
    grids = [param_distributions] if isinstance(param_distributions, dict) else param_distributions
    return [sorted((name, _describe_distribution(v)) for name, v in grid.items()) for grid in grids]


def fingerprint(**parts):
    """A hash of the named parts; joblib.hash pickles, so arrays hash by content."""
    return joblib.hash(sorted(parts.items()))


def _temporary_file(path):
    """``mkstemp`` next to ``path``; an error names ``path``, not the temporary."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        return tempfile.mkstemp(prefix=".skhp-checkpoint-", dir=directory)
    except OSError as exc:
        # OSError(errno, ...) builds the subclass (FileNotFoundError, ...).
        raise OSError(
            exc.errno,
            f"Cannot write the checkpoint {path!r}: its folder {directory!r} "
            f"{_FOLDER_PROBLEMS.get(exc.errno, f'is not writable ({exc.strerror})')}",
        ) from exc


_FOLDER_PROBLEMS = {
    errno.ENOENT: "does not exist",
    errno.ENOTDIR: "is not a folder",
    errno.EACCES: "is not writable (permission denied)",
    errno.EPERM: "is not writable (permission denied)",
    errno.EROFS: "is on a read-only file system",
}


def check_writable(path):
    """Raise an ``OSError`` naming ``path`` if a checkpoint cannot be saved there.

    Called before any fit: otherwise a missing or read-only folder would only
    be found once the first round is over, and the error would name a
    temporary file.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(
            errno.EISDIR, f"Cannot write the checkpoint {path!r}: it is a folder"
        )
    fd, tmp = _temporary_file(path)
    os.close(fd)
    os.unlink(tmp)


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
    fd, tmp = _temporary_file(path)
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
