"""get_params, set_params and a readable repr for the estimators of this package.

Runs on: whichever thread owns the estimator.

:class:`~livemappr.mapping.embedding.IncrementalTSNE` and
:class:`~livemappr.mapping.clusters.StableKMeans` follow scikit-learn's conventions
(``__init__`` stores its arguments under their own names, nothing else) without
importing scikit-learn, which costs a live session ~70 MB and half a second. This
mixin adds what those conventions promise on top, read from the ``__init__``
signature; ``sklearn.base.clone`` works on the result.
"""

from __future__ import annotations

import inspect


def _is_default(value, default):
    if value is default:
        return True
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):  # arrays and other values without a plain ==
        return False


class Params:
    """Mixin: parameters are the ``__init__`` arguments, stored as attributes."""

    @classmethod
    def _init_params(cls):
        return [p for p in inspect.signature(cls.__init__).parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep=True):
        """Parameters by name.

        Parameters
        ----------
        deep : bool
            Accepted for scikit-learn's sake; no parameter here is itself an
            estimator, so it changes nothing.

        Returns
        -------
        dict
        """
        return {p.name: getattr(self, p.name) for p in self._init_params()}

    def set_params(self, **params):
        """Set parameters by name (all or none); returns self."""
        names = [p.name for p in self._init_params()]
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no parameter {unknown[0]!r}; "
                             f"its parameters are {', '.join(names)}")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self):
        changed = [f"{p.name}={getattr(self, p.name)!r}" for p in self._init_params()
                   if not _is_default(getattr(self, p.name), p.default)]
        return f"{type(self).__name__}({', '.join(changed)})"
