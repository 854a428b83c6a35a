"""Customer lifetime value: how many more purchases will each customer make, what will they spend,
and what is that worth today?

The "buy till you die" models read one summary row per customer (the vocabulary of the literature):

- ``frequency``  repeat purchase occasions (occasions after the first), a whole number >= 0;
- ``recency``    time from the first to the last occasion, in model time units (0 when frequency is 0);
- ``T``          time from the first occasion to the end of the calibration period, in model units;
- ``monetary_value`` mean spend of the repeat occasions (Gamma-Gamma only).

The model's time unit (day, week, month) is whatever ``recency`` and ``T`` are measured in; every
horizon ``t`` and every output time is in the same unit. ``alpha`` (and Pareto/NBD's ``beta``) carry
that unit; ``r, a, b, s`` are unit-free. Money is in the currency of ``monetary_value``.

Models (maximum likelihood, scikit-learn contract: settings in ``__init__``, data in ``fit``):

- :class:`BetaGeoFitter` -- BG/NBD, Fader, Hardie & Lee (2005a), "Counting Your Customers the Easy
  Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2).
- :class:`ModifiedBetaGeoFitter` -- MBG/NBD, Batislam, Denizel & Filiztekin (2007), IJRM 24(3):
  as BG/NBD, but a customer may also drop out right after the first purchase.
- :class:`ParetoNBDFitter` -- Schmittlein, Morrison & Colombo (1987), Management Science 33(1), in the
  form of Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions".
- :class:`GammaGammaFitter` -- spend per occasion, Fader, Hardie & Lee (2005b), "RFM and CLV: Using
  Iso-Value Curves for Customer Base Analysis", JMR 42(4); Fader & Hardie (2013), "The Gamma-Gamma
  Model of Monetary Value".

Then :func:`customer_lifetime_value` (expected discounted margin), :func:`clv_with_uncertainty`
(parametric-bootstrap intervals), :func:`data_sufficiency` (is a model trustworthy here at all?),
:func:`compare_models` (choose a purchase model by holdout error), and :func:`summary_as_of` /
:func:`holdout_purchases` (the summary computed in DuckDB from ``transactions``).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import optimize, special
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from . import db
from .errors import CustlibError

__all__ = [
    "BetaGeoFitter", "ModifiedBetaGeoFitter", "ParetoNBDFitter", "GammaGammaFitter",
    "customer_lifetime_value", "clv_with_uncertainty", "CLVEstimate",
    "data_sufficiency", "DataSufficiency", "compare_models", "ModelComparison",
    "summary_as_of", "holdout_purchases", "UNIT_DAYS", "InvalidSummary", "FitFailed",
]

#: Length of each supported model time unit, in days.
UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
DAYS_PER_MONTH = 365.25 / 12

_Z95 = 1.959963984540054


class InvalidSummary(CustlibError, ValueError):
    """A customer summary breaks a rule the models rely on; the message names the rule."""


class FitFailed(CustlibError):
    """The likelihood could not be maximised (no finite optimum): the data do not support the model."""


# Below this many repeat buyers no model is fitted at all. With a handful of customers the likelihood of
# a three- or four-parameter model is nearly flat and its maximum usually lies on the boundary, so
# whether an optimiser reports a number would depend on where it happens to stop; the answer must not.
MIN_REPEAT_BUYERS_TO_FIT = 10


def _check_enough_repeat_buyers(model: str, n_repeat: float) -> None:
    if n_repeat < MIN_REPEAT_BUYERS_TO_FIT:
        raise FitFailed(f"{model} needs at least {MIN_REPEAT_BUYERS_TO_FIT} customers with a repeat purchase "
                        f"to be fitted; these data have {n_repeat:g}.")


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

    Parameters are optimised on the log scale (so they stay positive) with L-BFGS-B, with the data
    rescaled so that times (or money) are of order 1 and every parameter starts at 1.

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
        params = np.exp(log_params)
        try:
            covariance = np.linalg.inv(hessian)
            if not np.all(np.isfinite(covariance)) or np.any(np.diag(covariance) <= 0):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            covariance = np.full((k, k), np.nan)
        se_log = np.sqrt(np.diag(covariance))
        names = list(self._param_names)
        self.params_ = pd.Series(params, index=names, name="estimate")
        self.covariance_ = pd.DataFrame(covariance, index=names, columns=names)
        self.standard_errors_ = pd.Series(params * se_log, index=names, name="standard error")
        self.confidence_intervals_ = pd.DataFrame(
            {"lower 95% bound": np.exp(log_params - _Z95 * se_log),
             "upper 95% bound": np.exp(log_params + _Z95 * se_log)}, index=names)
        self.n_customers_ = int(round(n_customers))
        self.log_likelihood_ = float(-self._negll(log_params, data | self._unscaled(data, scale))[0] * total)

    def _unscaled(self, data: dict, scale: float) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

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
        model.params_ = pd.Series(values, index=names, name="estimate")
        model.covariance_ = pd.DataFrame(np.nan, index=names, columns=names)
        model.standard_errors_ = pd.Series(np.nan, index=names, name="standard error")
        model.confidence_intervals_ = pd.DataFrame(np.nan, index=names,
                                                   columns=["lower 95% bound", "upper 95% bound"])
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


# --- purchase models ---------------------------------------------------------------------------


class _PurchaseModel(_BaseFitter):
    """What the three repeat-purchase models share: the fit on (frequency, recency, T) and the
    predictions built from two model-specific pieces,

    - ``_alive(params, x, tx, T)``: P(alive at T | data);
    - ``_expected_if_alive(params, t, x, T)``: E[repeat purchases in (T, T+t] | alive at T, data],

    so that E[Y(t) | data] = P(alive) * E[Y(t) | alive, data] (the conditional expectation).
    """

    _time_params = ("alpha", "beta")

    def fit(self, frequency, recency, T, weights=None):
        """Fit by maximum likelihood to one row per customer (``weights``: customers per row).

        ``recency`` and ``T`` are in the model's time unit. Rows with identical (frequency, recency, T)
        share one likelihood term. Returns ``self``.
        """
        x, tx, T = _check_rfm(frequency, recency, T)
        w = _check_weights(weights, len(x))
        keep = w > 0
        (x, tx, T), w = _compress(x[keep], tx[keep], T[keep], weights=w[keep])
        _check_enough_repeat_buyers(type(self).__name__, float(w[x > 0].sum()))
        scale = 10.0 / T.max() if T.max() > 0 else 1.0
        data = self._prepare(x, tx * scale, T * scale, w)
        self._maximise(data, scale, float(w.sum()))
        return self

    def _prepare(self, x, tx, T, w) -> dict:
        xu, xinv = np.unique(x, return_inverse=True)
        return {"x": x, "tx": tx, "T": T, "w": w, "xu": xu, "xinv": xinv, "wn": w / w.sum()}

    def _unscaled(self, data: dict, scale: float) -> dict:
        return {"tx": data["tx"] / scale, "T": data["T"] / scale}

    # --- predictions
    def probability_alive(self, frequency, recency, T):
        """P(the customer is still active at T | frequency, recency, T), in [0, 1]."""
        params = self._check_fitted()
        x, tx, T_ = _check_rfm(frequency, recency, T)
        return _wrap(self._alive(params, x, tx, T_), _index_of(frequency, recency, T), "probability_alive")

    def predict_purchases(self, t, frequency, recency, T):
        """Expected number of repeat purchases in the next ``t`` time units, (T, T + t], given the
        customer's history: E[Y(t) | x, t_x, T] (the conditional expectation)."""
        params = self._check_fitted()
        x, tx, T_ = _check_rfm(frequency, recency, T)
        t = _check_horizon(t)
        value = self._alive(params, x, tx, T_) * self._expected_if_alive(params, t, x, T_)
        return _wrap(value, _index_of(frequency, recency, T), "predicted_purchases")

    def expected_purchases_new(self, t):
        """Unconditional E[X(t)]: expected repeat purchases in (0, t] of a new customer, whose first
        purchase is at 0 (the conditional expectation at x = t_x = T = 0)."""
        params = self._check_fitted()
        t = _check_horizon(t)
        zero = np.zeros(np.shape(t))
        return self._alive(params, zero, zero, zero) * self._expected_if_alive(params, t, zero, zero)

    def median_time_to_next_purchase(self, frequency, recency, T):
        """Median time (model units) from T to the next purchase, for a customer who is still active.

        Given the history and being active at T, the purchase rate is lambda ~ Gamma(r + x, alpha + T)
        (the posterior in all three models: FHL 2005a; Fader & Hardie 2005 note), and an active
        customer's waiting time is exponential with rate lambda (for BG/NBD and MBG/NBD an active
        customer stays active at least until the next purchase). So
        P(W > w | active) = ((alpha + T) / (alpha + T + w))^(r + x) and the median is
        (alpha + T) * (2^(1 / (r + x)) - 1). It is finite for every customer, unlike the mean
        (alpha + T) / (r + x - 1), which is infinite when r + x <= 1. For Pareto/NBD it ignores a
        dropout before the next purchase. Show it beside :meth:`probability_alive`: it answers "if
        they are still a customer, when do we expect them back?".
        """
        params = self._check_fitted()
        x, _, T_ = _check_rfm(frequency, recency, T)
        r, alpha = params[0], params[1]
        value = (alpha + T_) * np.expm1(np.log(2.0) / (r + x))
        return _wrap(value, _index_of(frequency, recency, T), "median_time_to_next_purchase")

    # --- for customer_lifetime_value: sum_i coef_i * E[Y(t_i) | data], on unique (x, T)
    def _discounted_purchases(self, params, t_grid, coef, x, tx, T, xT_unique=None):
        if xT_unique is None:
            xT_unique = _unique_inverse(x, T)
        (xu, Tu), inverse = xT_unique
        horizon = self._expected_if_alive(params, t_grid[:, None], xu[None, :], Tu[None, :])
        return self._alive(params, x, tx, T) * np.einsum("i,ij->j", coef, horizon)[inverse]


def _check_horizon(t):
    t = np.asarray(t, dtype=float)
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise InvalidSummary("The horizon t must be a finite number of time units >= 0.")
    return t


def _away_from_one(a: float) -> tuple[float, float]:
    """a - 1 kept away from 0: the closed forms below divide by (a - 1) (a removable singularity)."""
    am1 = a - 1.0
    if abs(am1) < 1e-7:
        am1 = 1e-7 if am1 >= 0 else -1e-7
    return am1, 1.0 + am1


def _bg_negll(theta: np.ndarray, data: dict, modified: bool):
    """Mean negative log-likelihood of BG/NBD or MBG/NBD and its gradient in log-parameters.

    BG/NBD, FHL (2005a) eq. (6):
        L = B(a, b+x)/B(a, b) * G + [x > 0] B(a+1, b+x-1)/B(a, b) * G',
        G  = Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x)),  G' the same with t_x in place of T.
    MBG/NBD, Batislam et al. (2007) eq. (5): B(a, b+x+1) and B(a+1, b+x) in place of the two Beta
    ratios, and the second term for every x (dropout right after the first purchase).
    Computed in logs: ln L = A1 + logaddexp(A2, A3).
    """
    r, alpha, a, b = np.exp(theta)
    xu, xinv, wn = data["xu"], data["xinv"], data["wn"]
    k2, k3 = (1.0, 0.0) if modified else (0.0, -1.0)
    has3u = np.ones_like(xu, dtype=bool) if modified else xu > 0
    psi_ab = special.digamma(a + b)
    b0 = special.betaln(a, b)
    # per distinct frequency: Gamma and Beta terms
    a1u = special.gammaln(r + xu) - special.gammaln(r) + r * np.log(alpha)
    a2u = special.betaln(a, b + xu + k2) - b0
    b3 = np.where(has3u, b + xu + k3, 1.0)
    a3u = np.where(has3u, special.betaln(a + 1, b3) - b0, -np.inf)
    x, tx, T = data["x"], data["tx"], data["T"]
    rx = r + x
    log_at, log_ax = np.log(alpha + T), np.log(alpha + tx)
    A2 = a2u[xinv] - rx * log_at
    A3 = a3u[xinv] - rx * log_ax
    lse = np.logaddexp(A2, A3)
    ll = a1u[xinv] + lse
    value = -_wsum(wn, ll)
    # gradient: d ll = dA1 + w2 dA2 + w3 dA3, with w3 = exp(A3 - lse), w2 = 1 - w3
    w3 = np.exp(A3 - lse)
    w2 = 1.0 - w3
    psi_abx2u = special.digamma(a + b + xu + k2)
    d1r_u = special.digamma(r + xu) - special.digamma(r) + np.log(alpha)
    d2a_u = psi_ab - psi_abx2u
    d2b_u = special.digamma(b + xu + k2) - psi_abx2u - special.digamma(b) + psi_ab
    d3a_u = special.digamma(a + 1) - special.digamma(a) + psi_ab - special.digamma(a + 1 + b3)
    d3b_u = np.where(has3u, special.digamma(b3) - special.digamma(a + 1 + b3) - special.digamma(b) + psi_ab, 0.0)
    g_r = d1r_u[xinv] - w2 * log_at - w3 * log_ax
    g_alpha = r / alpha - rx * (w2 / (alpha + T) + w3 / (alpha + tx))
    g_a = w2 * d2a_u[xinv] + w3 * d3a_u[xinv]
    g_b = w2 * d2b_u[xinv] + w3 * d3b_u[xinv]
    grad = -np.array([r * _wsum(wn, g_r), alpha * _wsum(wn, g_alpha), a * _wsum(wn, g_a), b * _wsum(wn, g_b)])
    return value, grad


class BetaGeoFitter(_PurchaseModel):
    """BG/NBD: purchases at rate lambda ~ Gamma(r, alpha) while active; after each repeat purchase the
    customer drops out with probability p ~ Beta(a, b). Fader, Hardie & Lee (2005a).

    Parameters ``r, alpha, a, b`` (``alpha`` in model time units). See the module docstring for units.

    Parameters
    ----------
    max_iter, tol : optimiser settings (L-BFGS-B iterations, relative tolerance on the objective).
    """

    _param_names = ("r", "alpha", "a", "b")
    _modified = False

    def _negll(self, theta, data):
        return _bg_negll(theta, data, self._modified)

    def _alive(self, params, x, tx, T):
        """P(alive), Fader, Hardie & Lee (2008), "Computing P(alive) Using the BG/NBD Model", eq. (2):
        1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)), in logs."""
        r, alpha, a, b = params[:4]
        has = x > 0
        log_odds = (np.log(a) - np.log(np.where(has, b + x - 1, 1.0))
                    + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)))
        return np.where(has, special.expit(-log_odds), 1.0)

    def _expected_if_alive(self, params, t, x, T):
        """E[Y(t) | alive, data] = (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
        2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))], FHL (2005a) eq. (10) divided by P(alive).

        Evaluated through Euler's transformation, (1-z)^(r+x) 2F1(r+x, b+x; c; z) =
        (1-z)^(a-1) 2F1(c-r-x, a-1; c; z) with c = a+b+x-1, whose parameters do not grow with x."""
        r, alpha, a, b = params[:4]
        am1, a = _away_from_one(a)
        c = a + b + x - 1
        log1mz = np.log(alpha + T) - np.log(alpha + T + t)
        z = -np.expm1(log1mz)
        bracket = 1.0 - np.exp(am1 * log1mz) * special.hyp2f1(a + b - 1 - r, am1, c, z)
        return c / am1 * bracket


class ModifiedBetaGeoFitter(BetaGeoFitter):
    """MBG/NBD: as BG/NBD, but a customer can also drop out right after the first purchase, so a
    one-time buyer is not assumed alive. Batislam, Denizel & Filiztekin (2007)."""

    _modified = True

    def _alive(self, params, x, tx, T):
        """P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)), Batislam et al. (2007)."""
        r, alpha, a, b = params[:4]
        log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return special.expit(-log_odds)

    def _expected_if_alive(self, params, t, x, T):
        """E[Y(t) | alive, data] = (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
        2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))], Batislam et al. (2007) divided by P(alive); Euler's
        transformation as for BG/NBD. At x = T = 0 it gives the new-customer expectation
        b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]."""
        r, alpha, a, b = params[:4]
        am1, a = _away_from_one(a)
        c = a + b + x
        log1mz = np.log(alpha + T) - np.log(alpha + T + t)
        z = -np.expm1(log1mz)
        bracket = 1.0 - np.exp(am1 * log1mz) * special.hyp2f1(a + b - r, am1, c, z)
        return c / am1 * bracket


def _pareto_log_terms(params, x, tx, T):
    """The two log terms of the Pareto/NBD likelihood, Fader & Hardie (2005 note), eq. (22):

        L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A0 ],
        A0 = F(t_x) - F(T),  F(t) = 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+t)) / (alpha+t)^(r+s+x)
                                    if alpha >= beta,
                             2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+t)) / (beta+t)^(r+s+x) otherwise.

    The case split keeps the 2F1 argument in [0, 1), where its series converges; ln A0 is computed as
    ln F(t_x) + ln(1 - exp(ln F(T) - ln F(t_x))) so the difference never underflows. Returns
    (log_first, log_second) with log_second = ln(s/(r+s+x)) + ln A0 (-inf when t_x = T).
    """
    r, alpha, s, beta = params[:4]
    m = r + s + x
    if alpha >= beta:
        big, second, diff = alpha, s + 1.0, alpha - beta
    else:
        big, second, diff = beta, r + x, beta - alpha
    log_f_tx = np.log(special.hyp2f1(m, second, m + 1, diff / (big + tx))) - m * np.log(big + tx)
    log_f_T = np.log(special.hyp2f1(m, second, m + 1, diff / (big + T))) - m * np.log(big + T)
    with np.errstate(divide="ignore"):
        log_a0 = log_f_tx + np.log(-np.expm1(np.minimum(log_f_T - log_f_tx, 0.0)))
    log_first = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_second = np.log(s) - np.log(m) + log_a0
    return log_first, log_second


def _pareto_loglik(params, x, tx, T) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood, Fader & Hardie (2005 note) eq. (22)."""
    r, alpha, s, beta = params[:4]
    first, second = _pareto_log_terms(params, x, tx, T)
    return (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            + np.logaddexp(first, second))


class ParetoNBDFitter(_PurchaseModel):
    """Pareto/NBD: purchases at rate lambda ~ Gamma(r, alpha) while active; an exponential lifetime
    with rate mu ~ Gamma(s, beta). Schmittlein, Morrison & Colombo (1987); likelihood and expressions
    from Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions".

    Parameters ``r, alpha, s, beta`` (``alpha`` and ``beta`` in model time units).
    """

    _param_names = ("r", "alpha", "s", "beta")
    _has_gradient = False

    def _negll(self, theta, data):
        with np.errstate(all="ignore"):
            value = -_wsum(data["wn"], _pareto_loglik(np.exp(theta), data["x"], data["tx"], data["T"]))
        return (value if np.isfinite(value) else np.inf), None

    def _alive(self, params, x, tx, T):
        """P(alive) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0), Fader & Hardie (2005 note)
        eq. (18); in logs, with the 2F1 terms on distinct (x, t_x) and (x, T) only."""
        (xu, txu, Tu), inverse = _unique_inverse(np.ravel(x), np.ravel(tx), np.ravel(T))
        first, second = _pareto_log_terms(params, xu, txu, Tu)
        return special.expit(first - second)[inverse].reshape(np.shape(x))

    def _expected_if_alive(self, params, t, x, T):
        """E[Y(t) | alive, data] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)],
        Fader & Hardie (2005 note) eq. (20) divided by P(alive); (1 - u^(s-1))/(s-1) is computed as
        -expm1((s-1) ln u)/(s-1), whose limit at s = 1 is -ln u."""
        r, alpha, s, beta = params[:4]
        log_u = np.log(beta + T) - np.log(beta + T + t)
        sm1 = s - 1.0
        part = -log_u if abs(sm1) < 1e-12 else -np.expm1(sm1 * log_u) / sm1
        return (r + x) * (beta + T) / (alpha + T) * part


# --- spend model -------------------------------------------------------------------------------


def _gg_negll(theta: np.ndarray, data: dict):
    """Mean negative log-likelihood of Gamma-Gamma and its analytic gradient in log-parameters.

    For a customer with x spend occasions of mean m, Fader & Hardie (2013) eq. (3) (FHL 2005b):
        f(m | p, q, v, x) = Gamma(px+q) / (Gamma(px) Gamma(q)) v^q m^(px-1) x^(px) / (v + x m)^(px+q).
    """
    p, q, v = np.exp(theta)
    xu, xinv, wn = data["xu"], data["xinv"], data["wn"]
    x, log_m = data["x"], data["log_m"]
    px = p * x
    log_vxm = np.log(v + data["xm"])
    ll = ((special.gammaln(p * xu + q) - special.gammaln(p * xu))[xinv] - special.gammaln(q) + q * np.log(v)
          + (px - 1) * log_m + px * data["log_x"] - (px + q) * log_vxm)
    value = -_wsum(wn, ll)
    psi_pxq = special.digamma(p * xu + q)
    d_p = x * ((psi_pxq - special.digamma(p * xu))[xinv] + log_m + data["log_x"] - log_vxm)
    d_q = psi_pxq[xinv] - special.digamma(q) + np.log(v) - log_vxm
    d_v = q / v - (px + q) / (v + data["xm"])
    grad = -np.array([p * _wsum(wn, d_p), q * _wsum(wn, d_q), v * _wsum(wn, d_v)])
    return value, grad


class GammaGammaFitter(_BaseFitter):
    """Gamma-Gamma spend model: each occasion's spend ~ Gamma(p, nu), nu ~ Gamma(q, v) across
    customers, independent of the purchase process. Fader, Hardie & Lee (2005b); Fader & Hardie (2013).

    Fit it on repeat buyers only: ``frequency`` is the number of repeat occasions that
    ``monetary_value`` averages (>= 1), ``monetary_value`` their mean spend (> 0). ``v`` is in money
    units; ``p`` and ``q`` are unit-free.
    """

    _param_names = ("p", "q", "v")
    _time_params = ("v",)  # rescales with money, not time

    def fit(self, frequency, monetary_value, weights=None):
        """Fit by maximum likelihood (analytic gradient). Returns ``self``."""
        x, m = _check_spend(frequency, monetary_value)
        bad = x < 1
        if bad.any():
            raise InvalidSummary(f"There exist customers with frequency 0 {_where(bad)}: fit the Gamma-Gamma "
                                 f"model on repeat buyers only (frequency >= 1 and a monetary value).")
        w = _check_weights(weights, len(x))
        keep = w > 0
        x, m, w = x[keep], m[keep], w[keep]
        _check_enough_repeat_buyers("The Gamma-Gamma model", float(w.sum()))
        scale = 1.0 / np.median(m)
        self._maximise(self._prepare(x, m * scale, w), scale, float(w.sum()))
        return self

    def _prepare(self, x, m, w) -> dict:
        xu, xinv = np.unique(x, return_inverse=True)
        return {"x": x, "m": m, "w": w, "wn": w / w.sum(), "xu": xu, "xinv": xinv,
                "log_m": np.log(m), "log_x": np.log(x), "xm": x * m}

    def _unscaled(self, data, scale):
        m = data["m"] / scale
        return {"m": m, "log_m": np.log(m), "xm": data["x"] * m}

    def _negll(self, theta, data):
        return _gg_negll(theta, data)

    def expected_spend(self, frequency, monetary_value):
        """Conditional expected spend per future occasion, E[Z | p, q, v, x, m] =
        (v + x m) p / (p x + q - 1), Fader & Hardie (2013) eq. (5): a weighted average of the
        population mean p v / (q - 1) and the customer's own mean m. Customers with no spend occasion
        (frequency 0 or monetary_value missing) get the population mean; needs q > 1."""
        params = self._check_fitted()
        x, m = _check_spend(frequency, monetary_value, allow_missing=True)
        value = _gg_expected_spend(params, x, m)
        return _wrap(value, _index_of(frequency, monetary_value), "expected_spend")


def _gg_expected_spend(params, x, m):
    p, q, v = params[:3]
    if q <= 1:
        raise FitFailed(f"The Gamma-Gamma fit has q = {q:.3g} <= 1: average spend then has no finite mean, "
                        f"so expected spend cannot be computed.")
    has = (x > 0) & np.isfinite(m)
    x = np.where(has, x, 0.0)
    m = np.where(has, m, 0.0)
    return (v + x * m) * p / (p * x + q - 1)


def _check_spend(frequency, monetary_value, allow_missing: bool = False):
    x = _as_float_array(frequency, "frequency")
    m = _as_float_array(monetary_value, "monetary_value")
    x, m = np.broadcast_arrays(x, m)
    bad = ~np.isfinite(x) | (x < 0) | (x != np.round(x))
    if bad.any():
        raise InvalidSummary(f"There exist missing, negative or non-integer frequency values {_where(bad)}.")
    present = np.isfinite(m)
    if not allow_missing and (~present).any():
        raise InvalidSummary(f"There exist missing monetary values {_where(~present)}: leave customers "
                             f"without a repeat spend out of the Gamma-Gamma fit.")
    bad = present & (x > 0) & (m <= 0)
    if bad.any():
        raise InvalidSummary(f"There exist non-positive monetary values {_where(bad)}: the Gamma-Gamma model "
                             f"needs a positive average spend.")
    return x.astype(float), m.astype(float)


# --- customer lifetime value -------------------------------------------------------------------


def _month_grid(horizon_months: int, annual_discount_rate: float, unit_days: float):
    """Month ends t_i = i * (365.25/12 days) in model units and the coefficients c_i = d_i - d_(i+1)
    such that sum_i (E_i - E_(i-1)) d_i = sum_i c_i E_i (summation by parts, E_0 = 0, d_(H+1) = 0),
    with the discount factor d_i = (1 + annual rate)^(-i/12)."""
    if int(horizon_months) != horizon_months or horizon_months < 1:
        raise ValueError("horizon_months must be a whole number of months >= 1.")
    if not unit_days > 0:
        raise ValueError("unit_days (the length of the model time unit in days) must be positive.")
    if not annual_discount_rate > -1:
        raise ValueError("annual_discount_rate must be greater than -100%.")
    months = np.arange(1, int(horizon_months) + 1, dtype=float)
    t_grid = months * DAYS_PER_MONTH / unit_days
    discount = (1.0 + annual_discount_rate) ** (-months / 12.0)
    coef = discount - np.append(discount[1:], 0.0)
    return t_grid, coef


def customer_lifetime_value(purchase_model, spend_model, frequency, recency, T, monetary_value,
                            horizon_months: int = 12, margin: float = 0.3, annual_discount_rate: float = 0.10,
                            unit_days: float = 7.0, spend_frequency=None):
    """Expected discounted gross margin of each customer over the next ``horizon_months`` months.

        CLV = sum_{i=1..H} (E[Y(t_i)] - E[Y(t_(i-1))]) * E[spend] * margin / (1 + annual_rate)^(i/12)

    with E[Y(t)] the purchase model's conditional expectation of repeat purchases (FHL 2005a eq. 10 or
    its MBG / Pareto counterpart), E[spend] the Gamma-Gamma conditional expected spend (Fader & Hardie
    2013 eq. 5), t_i the end of month i (a month is 365.25/12 days; in model units
    t_i = i * 30.44 / unit_days) and the monthly discount factor (1 + annual_rate)^(-1/12) (FHL 2005b
    discount at the end of each month). ``unit_days`` is the length of the model's time unit in days
    (7 for weeks) and only converts months into model units; ``recency`` and ``T`` stay in model
    units. Money is in the currency of ``monetary_value``; ``margin`` is a fraction of spend.

    ``spend_frequency`` is the number of occasions ``monetary_value`` averages (``spend_frequency``
    column of :func:`summary_as_of`); it defaults to ``frequency``. Customers without a monetary
    value get the population mean spend. Returns a Series ``clv`` (index kept from the inputs);
    customer equity is its sum.
    """
    params = purchase_model._check_fitted()
    spend_params = spend_model._check_fitted()
    x, tx, T_ = _check_rfm(frequency, recency, T)
    xs, m = _check_spend(x if spend_frequency is None else spend_frequency, monetary_value, allow_missing=True)
    _check_margin(margin)
    t_grid, coef = _month_grid(horizon_months, annual_discount_rate, unit_days)
    purchases = purchase_model._discounted_purchases(params, t_grid, coef, x, tx, T_)
    value = purchases * _gg_expected_spend(spend_params, xs, m) * margin
    index = _index_of(frequency, recency, T, monetary_value)
    return pd.Series(value, index=index if index is not None and len(index) == len(value) else None, name="clv")


def _check_margin(margin):
    if not (np.isfinite(margin) and margin >= 0):
        raise ValueError("margin must be a fraction >= 0 of spend (e.g. 0.3 for 30%).")


@dataclass(frozen=True)
class CLVEstimate:
    """Per-customer CLV with an interval, and customer equity (the sum) with its interval.

    ``customers`` has columns ``clv`` (at the fitted parameters), ``clv_lower``, ``clv_upper``.
    The equity interval comes from the sum of each draw over all customers, not from summing the
    customer bounds (parameter uncertainty moves every customer together).
    """

    customers: pd.DataFrame
    equity: float
    equity_lower: float
    equity_upper: float
    interval: float
    n_draws: int


def clv_with_uncertainty(purchase_model, spend_model, frequency, recency, T, monetary_value,
                         horizon_months: int = 12, margin: float = 0.3, annual_discount_rate: float = 0.10,
                         unit_days: float = 7.0, spend_frequency=None, n_draws: int = 200,
                         interval: float = 0.90, random_state=None) -> CLVEstimate:
    """CLV per customer and customer equity with a ``interval`` (default 90%: 5% and 95% bounds)
    parameter-uncertainty interval.

    Parametric bootstrap: ``n_draws`` parameter vectors are drawn from the asymptotic normal of each
    model's log-parameters (mean the estimate, covariance the inverse Hessian; the purchase and spend
    models independently, as they are fitted separately), CLV is recomputed for every customer for
    each draw (vectorised), and the bounds are the empirical quantiles. The interval reflects how well
    the data pin down the parameters, not the randomness of an individual customer's future.
    Seeded through ``random_state``.
    """
    if not 0 < interval < 1:
        raise ValueError("interval must be between 0 and 1, e.g. 0.9.")
    params = purchase_model._check_fitted()
    spend_params = spend_model._check_fitted()
    x, tx, T_ = _check_rfm(frequency, recency, T)
    xs, m = _check_spend(x if spend_frequency is None else spend_frequency, monetary_value, allow_missing=True)
    _check_margin(margin)
    t_grid, coef = _month_grid(horizon_months, annual_discount_rate, unit_days)
    rng = np.random.default_rng(random_state)
    purchase_draws = purchase_model.sample_params(n_draws, rng)
    spend_draws = spend_model.sample_params(n_draws, rng)
    # a draw with q <= 1 has no finite mean spend: keep it just above 1 rather than fail the estimate
    spend_draws[:, 1] = np.maximum(spend_draws[:, 1], 1.0 + 1e-6)
    xT = _unique_inverse(x, T_)
    point = purchase_model._discounted_purchases(params, t_grid, coef, x, tx, T_, xT) \
        * _gg_expected_spend(spend_params, xs, m) * margin
    n = len(x)
    lo_q, hi_q = (1 - interval) / 2, 1 - (1 - interval) / 2
    lower = np.empty(n)
    upper = np.empty(n)
    equity_draws = np.zeros(n_draws)
    chunk = max(1, 20_000_000 // max(n_draws, 1))
    for start in range(0, n, chunk):
        sl = slice(start, min(n, start + chunk))
        sub_xT = _unique_inverse(x[sl], T_[sl])
        draws = np.empty((n_draws, sl.stop - sl.start))
        for k in range(n_draws):
            draws[k] = purchase_model._discounted_purchases(purchase_draws[k], t_grid, coef, x[sl], tx[sl],
                                                            T_[sl], sub_xT) \
                * _gg_expected_spend(spend_draws[k], xs[sl], m[sl]) * margin
        equity_draws += draws.sum(axis=1)
        lower[sl], upper[sl] = np.quantile(draws, [lo_q, hi_q], axis=0)
    index = _index_of(frequency, recency, T, monetary_value)
    customers = pd.DataFrame({"clv": point, "clv_lower": lower, "clv_upper": upper},
                             index=index if index is not None and len(index) == n else None)
    eq_lo, eq_hi = np.quantile(equity_draws, [lo_q, hi_q])
    return CLVEstimate(customers=customers, equity=float(point.sum()), equity_lower=float(eq_lo),
                       equity_upper=float(eq_hi), interval=interval, n_draws=n_draws)


# --- is the data enough? -----------------------------------------------------------------------

MIN_REPEAT_BUYERS = 100
MIN_REPEAT_SHARE = 0.10
MIN_HISTORY_GAPS = 3.0


@dataclass(frozen=True)
class DataSufficiency:
    """Whether a purchase model can be trusted on this summary, in plain words.

    ``flags`` holds short codes (``few_repeat_buyers``, ``low_repeat_share``, ``short_history``,
    ``no_customers``); ``verdict`` is a sentence a page can show as is.
    """

    is_sufficient: bool
    verdict: str
    flags: tuple[str, ...]
    n_customers: int
    n_repeat_buyers: int
    repeat_share: float
    typical_gap: float
    history_length: float


def data_sufficiency(frequency, recency, T) -> DataSufficiency:
    """Is there enough repeat-purchase evidence for a trustworthy BG/NBD-type model?

    Rules (thresholds are module constants): at least ``MIN_REPEAT_BUYERS`` (100) customers with a
    repeat purchase and at least ``MIN_REPEAT_SHARE`` (10%) of customers; and a typical observation
    window (median T) of at least ``MIN_HISTORY_GAPS`` (3) typical inter-purchase gaps, the gap being
    the median over repeat buyers of recency / frequency. Units are the model's time unit.
    """
    x, tx, T_ = _check_rfm(frequency, recency, T)
    n = len(x)
    repeat = x > 0
    n_repeat = int(repeat.sum())
    share = n_repeat / n if n else 0.0
    gap = float(np.median(tx[repeat] / x[repeat])) if n_repeat else float("nan")
    history = float(np.median(T_)) if n else 0.0
    flags, reasons = [], []
    if n == 0:
        flags.append("no_customers")
        reasons.append("there are no customers with a purchase before the as-of date")
    else:
        if n_repeat < MIN_REPEAT_BUYERS:
            flags.append("few_repeat_buyers")
            reasons.append(f"only {n_repeat} customers bought more than once (at least {MIN_REPEAT_BUYERS} "
                           f"are needed)")
        if share < MIN_REPEAT_SHARE:
            flags.append("low_repeat_share")
            reasons.append(f"only {share:.0%} of customers bought more than once (at least "
                           f"{MIN_REPEAT_SHARE:.0%} are needed)")
        if n_repeat and history < MIN_HISTORY_GAPS * gap:
            flags.append("short_history")
            reasons.append(f"a typical customer has been watched for {history:.1f} time units, less than "
                           f"{MIN_HISTORY_GAPS:g} typical gaps between purchases ({gap:.1f} units each)")
    ok = not flags
    verdict = ("Enough repeat purchases over a long enough history to fit a customer lifetime value model."
               if ok else "The data are too thin for a trustworthy lifetime value model: " + "; ".join(reasons)
               + ". Treat any prediction as a rough guess.")
    return DataSufficiency(is_sufficient=ok, verdict=verdict, flags=tuple(flags), n_customers=n,
                           n_repeat_buyers=n_repeat, repeat_share=share, typical_gap=gap, history_length=history)


# --- model choice by holdout error -------------------------------------------------------------


@dataclass(frozen=True)
class ModelComparison:
    """Holdout comparison of purchase models.

    ``table``: one row per model -- log_likelihood, n_params, predicted_total, actual_total,
    mae and rmse per customer (repeat purchases in the holdout), or ``error`` if the fit failed.
    ``by_calibration_frequency``: mean holdout purchases by calibration frequency 0..6, "7+"
    (actual and each model). ``best``: the model with the lowest per-customer MAE (RMSE breaks ties).
    """

    table: pd.DataFrame
    by_calibration_frequency: pd.DataFrame
    best: str
    models: dict


def compare_models(cal_summary: pd.DataFrame, holdout_repeat_purchases, holdout_length: float,
                   models: dict | None = None) -> ModelComparison:
    """Fit each purchase model on the calibration summary and score it on the holdout period.

    ``cal_summary`` has columns frequency, recency, T (model units). ``holdout_repeat_purchases`` is
    the number of repeat purchases of each customer in the ``holdout_length`` time units after the
    calibration end: aligned by position, or a Series indexed by customer_id when ``cal_summary``
    has a ``customer_id`` column (customers missing from it made none). ``models`` maps names to
    unfitted estimators (default BG/NBD, MBG/NBD and Pareto/NBD).
    """
    x, tx, T_ = _check_rfm(cal_summary["frequency"], cal_summary["recency"], cal_summary["T"])
    if isinstance(holdout_repeat_purchases, pd.Series) and "customer_id" in cal_summary.columns:
        actual = holdout_repeat_purchases.reindex(cal_summary["customer_id"]).fillna(0).to_numpy(dtype=float)
    else:
        actual = np.asarray(holdout_repeat_purchases, dtype=float)
    if actual.shape != x.shape:
        raise InvalidSummary(f"holdout_repeat_purchases has {actual.size} values for {x.size} customers.")
    if models is None:
        models = {"BG/NBD": BetaGeoFitter(), "MBG/NBD": ModifiedBetaGeoFitter(), "Pareto/NBD": ParetoNBDFitter()}
    rows, fitted = {}, {}
    groups = np.minimum(x, 7).astype(int)
    labels = [str(i) for i in range(7)] + ["7+"]
    by_freq = pd.DataFrame({"n_customers": np.bincount(groups, minlength=8),
                            "actual": _group_mean(actual, groups)}, index=labels)
    for name, model in models.items():
        try:
            model.fit(x, tx, T_)
        except (FitFailed, InvalidSummary) as exc:
            rows[name] = {"error": str(exc)}
            continue
        predicted = np.asarray(model.predict_purchases(holdout_length, x, tx, T_))
        err = predicted - actual
        rows[name] = {"log_likelihood": model.log_likelihood_, "n_params": len(model.params_),
                      "predicted_total": predicted.sum(), "actual_total": actual.sum(),
                      "mae": np.abs(err).mean(), "rmse": np.sqrt((err ** 2).mean()), "error": None}
        by_freq[name] = _group_mean(predicted, groups)
        fitted[name] = model
    table = pd.DataFrame.from_dict(rows, orient="index")
    if not fitted:
        raise FitFailed("No purchase model could be fitted to these data.")
    scored = table.dropna(subset=["mae"]).sort_values(["mae", "rmse"])
    return ModelComparison(table=table, by_calibration_frequency=by_freq, best=str(scored.index[0]),
                           models=fitted)


def _group_mean(values, groups):
    counts = np.bincount(groups, minlength=8)
    sums = np.bincount(groups, weights=values, minlength=8)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


# --- summaries from DuckDB ---------------------------------------------------------------------


def _unit_days(unit: str) -> float:
    try:
        return UNIT_DAYS[unit]
    except KeyError:
        raise ValueError(f"unit must be one of {sorted(UNIT_DAYS)}, got {unit!r}.") from None


def _as_date(value) -> date:
    return pd.Timestamp(value).date()


def summary_as_of(con, dataset_id: int, as_of, unit: str = "week") -> pd.DataFrame:
    """One row per customer with a purchase occasion on or before ``as_of``: customer_id, frequency,
    recency, T, monetary_value, spend_frequency, first_purchase_date, last_purchase_date.

    Runs ``sql/mart_clv_summary.sql`` (the occasion rule and column contract are documented there):
    an occasion is a day with at least one line >= 0; its spend is the day's net amount; recency and T
    are in ``unit`` ("day", "week" = 7 days, "month" = 365.25/12 days); ``monetary_value`` is the mean
    of the repeat occasions with positive spend (NaN when there is none; ``spend_frequency`` counts
    them and is the frequency to give :class:`GammaGammaFitter`).
    """
    frame = db.query(con, "mart_clv_summary", dataset_id=int(dataset_id), as_of=_as_date(as_of),
                     unit_days=_unit_days(unit))
    columns = ["customer_id", "frequency", "recency", "T", "monetary_value", "spend_frequency",
               "first_purchase_date", "last_purchase_date"]
    frame = frame[columns]
    frame["monetary_value"] = frame["monetary_value"].astype(float)
    return frame


def holdout_purchases(con, dataset_id: int, cal_end, holdout_end) -> pd.Series:
    """Repeat purchase occasions of each calibration customer in (cal_end, holdout_end].

    The customers are those with a first occasion on or before ``cal_end``; the count is the occasions
    (same rule as :func:`summary_as_of`) dated after ``cal_end`` and on or before ``holdout_end``,
    i.e. frequency as of holdout_end minus frequency as of cal_end. Returns a Series indexed by
    customer_id, named ``holdout_purchases``.
    """
    cal_end, holdout_end = _as_date(cal_end), _as_date(holdout_end)
    if holdout_end < cal_end:
        raise ValueError("holdout_end must not be before cal_end.")
    cal = db.query(con, "mart_clv_summary", dataset_id=int(dataset_id), as_of=cal_end, unit_days=1.0)
    end = db.query(con, "mart_clv_summary", dataset_id=int(dataset_id), as_of=holdout_end, unit_days=1.0)
    cal_freq = cal.set_index("customer_id")["frequency"]
    end_freq = end.set_index("customer_id")["frequency"].reindex(cal_freq.index)
    return (end_freq - cal_freq).astype("int64").rename("holdout_purchases")
