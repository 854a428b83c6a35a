"""What every CLV model shares: the summary it reads, the checks that guard it, and the
maximum-likelihood machinery that fits it.

The "buy till you die" models read one summary row per customer (the vocabulary of the literature):

- ``frequency``  repeat purchase occasions (occasions after the first), a whole number >= 0;
- ``recency``    time from the first to the last occasion, in model time units (0 when frequency is 0);
- ``T``          time from the first occasion to the end of the calibration period, in model units;
- ``monetary_value`` mean spend of the repeat occasions (Gamma-Gamma only).

The model's time unit (day, week, month) is whatever ``recency`` and ``T`` are measured in; every
horizon ``t`` and every output time is in the same unit. ``alpha`` (and Pareto/NBD's ``beta``) carry
that unit; ``r, a, b, s`` are unit-free. Money is in the currency of ``monetary_value``.

Here: the errors (:class:`InvalidSummary`, :class:`FitFailed`), the one validator of that summary
(``_check_rfm``) and of weights, the compression of identical rows into one likelihood term, and
``_BaseFitter`` (scikit-learn contract: settings in ``__init__``, data in ``fit``, learned values end
in ``_``; standard errors and intervals from the Hessian).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from ..errors import FitFailed, InvalidSummary

#: A month is the mean Gregorian month, in days.
DAYS_PER_MONTH = 365.25 / 12
#: Length of each supported model time unit, in days.
UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH}

_Z95 = 1.959963984540054


# Below this many repeat buyers no model is fitted at all. With a handful of customers the likelihood of
# a three- or four-parameter model is nearly flat and its maximum usually lies on the boundary, so
# whether an optimiser reports a number would depend on where it happens to stop; the answer must not.
MIN_REPEAT_BUYERS_TO_FIT = 10


def _check_enough_repeat_buyers(model: str, n_repeat: float) -> None:
    if n_repeat < MIN_REPEAT_BUYERS_TO_FIT:
        raise FitFailed(code="error_too_few_repeat_buyers",
                        params={"model": model, "minimum": MIN_REPEAT_BUYERS_TO_FIT, "n": f"{n_repeat:g}"})


# --- input checks ------------------------------------------------------------------------------


def _as_float_array(values, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidSummary(f"{name} must be numeric.") from None
    if arr.ndim > 1:
        raise InvalidSummary(f"{name} must be one value per customer (one-dimensional), got shape {arr.shape}.")
    return np.atleast_1d(arr)


def _where(mask: np.ndarray) -> str:
    bad = np.flatnonzero(mask)
    return f"({bad.size} customer(s), first at position {bad[0]})"


def _check_rfm(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a (frequency, recency, T) summary; fail loudly naming the rule broken."""
    x = _as_float_array(frequency, "frequency")
    tx = _as_float_array(recency, "recency")
    T = _as_float_array(T, "T")
    x, tx, T = np.broadcast_arrays(x, tx, T)
    for arr, name in ((x, "frequency"), (tx, "recency"), (T, "T")):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise InvalidSummary(f"There exist missing or infinite {name} values {_where(bad)}.")
        bad = arr < 0
        if bad.any():
            raise InvalidSummary(f"There exist negative {name} values {_where(bad)}.")
    bad = x != np.round(x)
    if bad.any():
        raise InvalidSummary(f"There exist non-integer frequency values {_where(bad)}: frequency counts "
                             f"repeat purchase occasions.")
    bad = (x == 0) & (tx != 0)
    if bad.any():
        raise InvalidSummary(f"There exist non-zero recency values when frequency is zero {_where(bad)}.")
    bad = tx > T * (1 + 1e-12)
    if bad.any():
        raise InvalidSummary(f"There exist recency values greater than T {_where(bad)}: the last purchase "
                             f"cannot be after the end of the period.")
    return x, np.minimum(tx, T), T


def _check_weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = _as_float_array(weights, "weights")
    if w.shape != (n,):
        raise InvalidSummary(f"weights must have one value per customer ({n}), got shape {w.shape}.")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise InvalidSummary(f"There exist negative or missing weights {_where(bad)}.")
    if w.sum() <= 0:
        raise InvalidSummary("The weights sum to zero: there is no customer to fit.")
    return w


def _index_of(*values):
    """The pandas index of the first Series/DataFrame argument, so outputs keep customer ids."""
    for value in values:
        if isinstance(value, (pd.Series, pd.DataFrame)):
            return value.index
    return None


def _wrap(result: np.ndarray, index, name: str):
    """A Series on the caller's index when the input was a Series, else the array."""
    if index is not None and np.ndim(result) == 1 and len(result) == len(index):
        return pd.Series(result, index=index, name=name)
    return result


def _compress(*columns: np.ndarray, weights: np.ndarray):
    """Rows with identical values share one likelihood term: unique rows and their summed weights.

    Each column is coded by its own 1-D ``np.unique`` and the codes combined into one int64 key, which
    is much cheaper than a lexicographic sort of float rows."""
    codes, tables, key, size = [], [], np.zeros(len(columns[0]), dtype=np.int64), 1
    for column in columns:
        table, code = np.unique(column, return_inverse=True)
        tables.append(table)
        codes.append(code)
        size *= len(table)
    if size >= 2 ** 62:  # pragma: no cover - astronomically many distinct values
        (unique_cols, inverse) = _unique_inverse(*columns)
        return unique_cols, np.bincount(inverse, weights=weights)
    for table, code in zip(tables, codes):
        key = key * len(table) + code
    unique_key, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=weights, minlength=len(unique_key))
    out = []
    for table in reversed(tables):
        out.append(table[unique_key % len(table)])
        unique_key = unique_key // len(table)
    return out[::-1], summed


def _unique_inverse(*columns: np.ndarray):
    """Unique rows of the given columns and, for every input row, the index of its unique row."""
    n = len(columns[0])
    order = np.lexsort(columns[::-1])
    sorted_cols = [c[order] for c in columns]
    new_group = np.ones(n, dtype=bool)
    if n > 1:
        change = np.zeros(n - 1, dtype=bool)
        for c in sorted_cols:
            change |= c[1:] != c[:-1]
        new_group[1:] = change
    group = np.cumsum(new_group) - 1
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = group
    starts = np.flatnonzero(new_group)
    return [c[starts] for c in sorted_cols], inverse


# --- the shared base class -----------------------------------------------------------------------


class _BaseFitter(BaseEstimator):
    """Maximum-likelihood machinery shared by every fitter.

    Subclasses define ``_param_names``, ``_time_params`` (parameters measured in time or money units,
    which rescale with the data) and ``_negll(log_params, data)`` returning the mean negative
    log-likelihood and its gradient in log-parameters (gradient ``None``: finite differences are used).

    ``_maximise`` optimises the parameters on the log scale (so they stay positive) with L-BFGS-B, with
    the data rescaled so that times (or money) are of order 1 and every parameter starts at 1. A fitter
    with an optimiser of its own (the sBG) calls ``_hessian`` and ``_set_estimates`` itself.

    Learned attributes: ``params_`` (named Series), ``log_likelihood_`` (on the caller's units),
    ``n_customers_``, ``covariance_`` (of the log-parameters, the inverse Hessian of the negative
    log-likelihood at the optimum), ``standard_errors_`` (natural scale, delta method:
    se(theta) = theta * se(log theta)) and ``confidence_intervals_`` (95%, exp(log theta +- 1.96 se),
    so bounds are always positive).
    """

    _param_names: tuple[str, ...] = ()
    _time_params: tuple[str, ...] = ()
    _has_gradient = True  # does _negll return an analytic gradient?

    def __init__(self, max_iter: int = 500, tol: float = 1e-10):
        self.max_iter = max_iter
        self.tol = tol

    # --- subclass hooks
    def _negll(self, log_params: np.ndarray, data: dict):  # pragma: no cover - abstract
        raise NotImplementedError

    # --- fitting
    def _maximise(self, data: dict, scale: float, n_customers: float) -> None:
        k = len(self._param_names)
        total = float(data["w"].sum())

        def fun(theta):
            value, grad = self._negll(theta, data)
            if grad is None:
                grad = _numeric_gradient(lambda th: self._negll(th, data)[0], theta)
            if not np.isfinite(value):
                return 1e10, np.zeros(k)
            return value, grad

        result = optimize.minimize(fun, np.zeros(k), jac=True, method="L-BFGS-B",
                                   bounds=[(-25.0, 25.0)] * k,
                                   options={"maxiter": self.max_iter, "ftol": self.tol, "gtol": 1e-9})
        theta = result.x
        value = self._negll(theta, data)[0]
        if not np.isfinite(value) or value >= 1e10:
            raise FitFailed(f"{type(self).__name__} found no finite maximum of the likelihood on these data.")
        if np.any(np.abs(theta) > 24.0):
            raise FitFailed(f"{type(self).__name__}: the likelihood has no interior maximum (a parameter ran "
                            f"off to {'infinity' if theta.max() > 24 else 'zero'}): the data are too thin or "
                            f"do not follow the model.")
        grad = result.jac
        if not result.success and np.max(np.abs(grad)) > 1e-4:
            warnings.warn(f"{type(self).__name__}: the optimiser stopped before convergence "
                          f"({result.message}); parameters may be imprecise.", ConvergenceWarning, stacklevel=3)
        hessian = self._hessian(theta, data, grad) * total
        # Back to the caller's units: alpha, beta (time) and gamma (money) scale with the data.
        shift = np.array([np.log(scale) if name in self._time_params else 0.0 for name in self._param_names])
        log_params = theta - shift
        self._set_estimates(np.exp(log_params), log_params, hessian)
        self.n_customers_ = int(round(n_customers))
        self.log_likelihood_ = float(-self._negll(log_params, data | self._unscaled(data, scale))[0] * total)

    def _unscaled(self, data: dict, scale: float) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_estimates(self, params: np.ndarray, log_params: np.ndarray, hessian: np.ndarray | None) -> None:
        """``params_``, ``covariance_``, ``standard_errors_`` and ``confidence_intervals_`` from the
        estimates (natural and log scale) and the Hessian of the total negative log-likelihood in
        log-parameters. Without a Hessian (known parameters, a fit without a sample size) or with a
        singular one, the uncertainty is NaN."""
        k = len(params)
        covariance = np.full((k, k), np.nan)
        if hessian is not None:
            try:
                inverse = np.linalg.inv(hessian)
            except np.linalg.LinAlgError:
                inverse = covariance
            if np.all(np.isfinite(inverse)) and np.all(np.diag(inverse) > 0):
                covariance = inverse
        se_log = np.sqrt(np.diag(covariance))
        names = list(self._param_names)
        self.params_ = pd.Series(params, index=names, name="estimate")
        self.covariance_ = pd.DataFrame(covariance, index=names, columns=names)
        self.standard_errors_ = pd.Series(params * se_log, index=names, name="standard error")
        with np.errstate(over="ignore"):  # a parameter with no upper bound to speak of has bound inf
            self.confidence_intervals_ = pd.DataFrame(
                {"lower 95% bound": np.exp(log_params - _Z95 * se_log),
                 "upper 95% bound": np.exp(log_params + _Z95 * se_log)}, index=names)

    def _hessian(self, theta: np.ndarray, data: dict, grad0: np.ndarray) -> np.ndarray:
        """Hessian of the mean negative log-likelihood in log-parameters: forward differences of the
        analytic gradient (k extra evaluations), or second differences of the function otherwise."""
        k = len(theta)
        h = np.zeros((k, k))
        if self._has_gradient:
            step = 1e-6
            for j in range(k):
                e = np.zeros(k)
                e[j] = step
                h[:, j] = (self._negll(theta + e, data)[1] - grad0) / step
        else:
            step = 1e-4
            f = lambda th: self._negll(th, data)[0]  # noqa: E731
            for i in range(k):
                for j in range(i, k):
                    ei = np.zeros(k)
                    ej = np.zeros(k)
                    ei[i] = step
                    ej[j] = step
                    h[i, j] = h[j, i] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                                         + f(theta - ei - ej)) / (4 * step * step)
        return (h + h.T) / 2

    # --- fitted-model helpers
    def _check_fitted(self) -> np.ndarray:
        check_is_fitted(self, "params_", msg=f"This {type(self).__name__} is not fitted yet: call fit(...) "
                                             f"(or from_params(...)) before predicting.")
        return self.params_.to_numpy()

    @classmethod
    def from_params(cls, **params):
        """A model with known parameters (e.g. published ones), for predictions without refitting.

        It has no standard errors (NaN), so it cannot draw parameters for uncertainty intervals.
        """
        missing = [name for name in cls._param_names if name not in params]
        extra = [name for name in params if name not in cls._param_names]
        if missing or extra:
            raise ValueError(f"{cls.__name__}.from_params needs exactly {list(cls._param_names)}; "
                             f"missing {missing}, unknown {extra}.")
        model = cls()
        names = list(cls._param_names)
        values = np.array([float(params[name]) for name in names])
        if np.any(~np.isfinite(values) | (values <= 0)):
            raise ValueError(f"{cls.__name__} parameters must be positive numbers, got {params}.")
        model._set_estimates(values, np.log(values), None)
        model.n_customers_ = 0
        model.log_likelihood_ = np.nan
        return model

    def sample_params(self, n_draws: int, random_state=None) -> np.ndarray:
        """``n_draws`` parameter vectors (rows, natural scale) from the asymptotic normal of the
        log-parameters, N(log params_, covariance_) -- the parametric bootstrap."""
        params = self._check_fitted()
        cov = self.covariance_.to_numpy()
        if not np.all(np.isfinite(cov)):
            raise NotFittedError(f"This {type(self).__name__} has no parameter covariance (it was built from "
                                 f"known parameters or its Hessian was singular): fit it on data to get "
                                 f"uncertainty intervals.")
        rng = np.random.default_rng(random_state)
        return np.exp(rng.multivariate_normal(np.log(params), cov, size=n_draws, method="eigh"))

    def summary(self) -> pd.DataFrame:
        """Estimates, standard errors and 95% intervals in one table."""
        self._check_fitted()
        return pd.concat([self.params_, self.standard_errors_, self.confidence_intervals_], axis=1)


def _wsum(weights: np.ndarray, values: np.ndarray) -> float:
    """sum(weights * values) without BLAS: a threaded BLAS dot on a busy machine can be 100x slower
    than numpy's own (pairwise, single-threaded) sum."""
    return float(np.sum(weights * values))


def _numeric_gradient(f, theta: np.ndarray, step: float = 1e-6) -> np.ndarray:
    grad = np.empty_like(theta)
    for j in range(len(theta)):
        e = np.zeros_like(theta)
        e[j] = step
        grad[j] = (f(theta + e) - f(theta - e)) / (2 * step)
    return grad
