"""The search space of ``skhp tune``: its default, and reading one from a file.

A space file maps each parameter of the network to one of

- a distribution, as a one-key table naming it: ``{"loguniform": [1e-4, 0.1]}``
  (arguments as a list, or as a table of keyword arguments);
- a list of values to choose from: ``[32, 64, 128]``;
- a single value, which fixes the parameter: ``"adam"``.

JSON (``.json``) and TOML (``.toml``) files are read. A file's entries replace
the default space's entries of the same name; ``"default": false`` at the top
level starts from an empty space instead.
"""

import json
from pathlib import Path

from skhp.cli._factory import DISTRIBUTIONS, make_distribution

__all__ = [
    "DEFAULT_SPACE",
    "REGULARIZATION_SPACE",
    "SpaceError",
    "build_space",
    "read_space_file",
]

# Ordered as the course ranks them a priori: the learning rate first; then
# momentum (here Adam's beta_1), mini-batch size and hidden units; then the
# number of layers and the learning-rate decay; batch norm; the L2 penalty last.
# Scales follow the course: rates and penalties log-uniform, betas dense near 1.
DEFAULT_SPACE = {
    "learning_rate_init": {"loguniform": [1e-4, 1e-1]},
    "beta_1": {"reverse_loguniform": [0.8, 0.999]},
    "batch_size": [32, 64, 128, 256],
    "hidden_layer_sizes": {"layer_sizes": {"n_layers": [1, 3], "units": [16, 256]}},
    # One knob for decay, from none (1e-3: the rate drops 6% in 60 epochs) to
    # strong (1: divided by epoch + 1).
    "learning_rate": "inverse_time",
    "decay_rate": {"loguniform": [1e-3, 1.0]},
    # Off by default in the networks (it costs held-out accuracy on some data
    # at default settings, see docs/networks.rst): tuned, not assumed.
    "batch_norm": [None, "before"],
    "alpha": {"loguniform": [1e-6, 1e-1]},
}

#: Dropout and decoupled weight decay, the two lines a space file adds (see
#: docs/notation.rst): dropout linear in [0, 0.5]; weight decay log-uniform.
#: They are not in the default space: measured at the 30-candidate budget the
#: command then had, on the bundled data sets, they won as many seeds as they
#: lost and made the search slower (one more dimension each, and dropout's
#: slower epochs); see
#: docs/mlp_benchmarks.md. They pay where a network overfits.
#: Decoupled decay shrinks the weights by learning_rate * weight_decay per
#: step, so at the budget this command gives small data (100 epochs, a few
#: thousand steps at a rate near 1e-3) a decay below 1e-2 does nothing and
#: one near 10 costs accuracy; the lowest decade here stands for "off".
REGULARIZATION_SPACE = {
    "dropout": {"uniform": [0.0, 0.5]},
    "weight_decay": {"loguniform": [1e-3, 1.0]},
}

#: Fixed parameters of the network unless the space says otherwise.
FIXED = {"solver": "adam"}


class SpaceError(ValueError):
    """A space file cannot be used; the message says why, in one line."""


def _toml_loads(text, path):
    """Parse TOML with the standard library (3.11+), or tomli on Python 3.10."""
    try:
        import tomllib
    except ImportError:
        try:
            import tomli as tomllib
        except ImportError:
            raise SpaceError(
                f"cannot read the TOML space file {path}: Python 3.10 needs the "
                "tomli package for TOML (pip install tomli), or write it as JSON"
            ) from None
    return tomllib.loads(text)


def read_space_file(path):
    """Read a space file (JSON or TOML) into a dict of raw entries."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise SpaceError(f"cannot read space file {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".toml":
            raw = _toml_loads(text.decode("utf-8"), path)
        else:
            raw = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        first_line = str(exc).splitlines()[0]
        raise SpaceError(f"space file {path} is not valid: {first_line}") from None
    if not isinstance(raw, dict):
        raise SpaceError(f"space file {path} must hold a table of parameters")
    return raw


def _entry(name, value):
    """Turn one raw entry into a distribution or a list of choices."""
    if isinstance(value, dict):
        if len(value) != 1:
            raise SpaceError(
                f"{name}: a distribution is a table with one key, its name "
                f"(one of {', '.join(DISTRIBUTIONS)})"
            )
        ((dist, args),) = value.items()
        if dist not in DISTRIBUTIONS:
            raise SpaceError(
                f"{name}: unknown distribution {dist!r}; "
                f"choose one of {', '.join(DISTRIBUTIONS)}"
            )
        try:
            return make_distribution(dist, args)
        except (TypeError, ValueError) as exc:
            raise SpaceError(f"{name}: bad arguments for {dist}: {exc}") from None
    if isinstance(value, list):
        if not value:
            raise SpaceError(f"{name}: an empty list of choices")
        # Lists of lists are layer sizes: hidden_layer_sizes = [[64], [64, 64]]
        return [tuple(v) if isinstance(v, list) else v for v in value]
    return [value]


def build_space(overrides=None, supported=None):
    """The space to search: the default, updated with ``overrides``.

    Parameters
    ----------
    overrides : dict or None, default=None
        Raw entries, as read by :func:`read_space_file`.

    supported : set of str or None, default=None
        Parameters the network accepts; others are dropped from the default
        space and are an error in ``overrides``.

    Returns
    -------
    space : dict
        Parameter name to distribution or list of choices, for the search.
    raw : dict
        The raw entries it was built from, for the run's record.
    """
    overrides = dict(overrides or {})
    use_default = overrides.pop("default", True)
    raw = {k: [v] for k, v in FIXED.items()}
    if use_default:
        raw.update(DEFAULT_SPACE)
        if supported is not None:
            raw = {k: v for k, v in raw.items() if k in supported}
            if "decay_rate" not in supported:
                # A network without decay_rate has other learning_rate schedules.
                raw.pop("learning_rate", None)
    raw = {k: v if isinstance(v, (dict, list)) else [v] for k, v in raw.items()}
    if supported is not None:
        unknown = sorted(set(overrides) - supported)
        if unknown:
            raise SpaceError(
                f"the network has no parameter {unknown[0]!r} "
                "(see the parameter names of MLPClassifier)"
            )
    raw.update(overrides)
    space = {name: _entry(name, value) for name, value in raw.items()}
    if not any(len(v) > 1 if isinstance(v, list) else True for v in space.values()):
        raise SpaceError("the space fixes every parameter: there is nothing to search")
    return space, raw
