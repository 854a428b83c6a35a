"""How long does a cohort keep its customers? The shifted-beta-geometric (sBG) model of survival,
fitted to one cohort's curve and projected forward.

Fader, P. S. and Hardie, B. G. S. (2007), "How to Project Customer Retention", Journal of Interactive
Marketing 21(1), 76-90. Periods are whatever the curve is counted in (weeks, months, quarters);
``alpha`` and ``beta`` are unit-free. :func:`custlib.retention.project_cohorts` applies it to every
acquisition cohort.
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, special

from .base import FitFailed, _BaseFitter


class ShiftedBetaGeometric(_BaseFitter):
    """The shifted-beta-geometric (sBG) model of customer survival.

    Fader, P. S. and Hardie, B. G. S. (2007), "How to Project Customer Retention", Journal of
    Interactive Marketing 21(1), 76-90. Each customer churns at the end of any period with their own
    probability theta, constant over time; theta varies across customers as Beta(alpha, beta). Then
    (paper eqs. 4-6, 8)::

        P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)        t = 1, 2, ...
        S(t)     = B(alpha, beta + t) / B(alpha, beta)                  S(0) = 1
        r(t)     = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)

    and the log-likelihood of a cohort observed for ``t_f`` periods is eq. (B3)::

        LL = sum_{t=1..t_f} n_t ln P(T = t) + (n - sum n_t) ln S(t_f)

    with n_t customers lost in period t. It is maximised over (ln alpha, ln beta) with scipy's
    L-BFGS-B and the analytic gradient.

    Caveat: the sBG describes *contractual* survival (a customer who cancels is gone for good). A
    non-contract business has no cancellation event; :func:`custlib.retention.project_cohorts`
    applies the model to "still active in period k" curves, made non-increasing first (see there).
    Read its projections as a smooth, conservative extrapolation, not as contract renewals.

    Parameters
    ----------
    initial_params : (alpha, beta) where the optimiser starts.
    max_iter : iteration limit of the optimiser.

    Attributes (after ``fit``)
    --------------------------
    params_ : pd.Series named ``alpha``, ``beta``.
    log_likelihood_ : float, eq. (B3) at ``params_``. With ``survival`` shares it is per customer
        of the cohort (the counts are the shares); with ``alive_counts`` it is the cohort's total.
    standard_errors_, confidence_intervals_, covariance_ : from the observed information, as for
        every fitter (:class:`custlib.clv.base._BaseFitter`); NaN when fitted on shares, which carry
        no sample size.
    n_periods_ : int, periods observed after period 0 (t_f).
    """

    _param_names = ("alpha", "beta")

    def __init__(self, initial_params: tuple[float, float] = (1.0, 1.0), max_iter: int = 1000):
        self.initial_params = initial_params
        self.max_iter = max_iter

    def fit(self, survival=None, *, alive_counts=None) -> "ShiftedBetaGeometric":
        """Fit to one cohort's survival curve.

        Give exactly one of:

        - ``survival``: shares still alive at t = 0, 1, ..., t_f; the first must be 1, values in
          0..1, never increasing (e.g. ``[1, .631, .468, ...]``).
        - ``alive_counts``: customers still alive at t = 0, 1, ..., t_f (e.g. ``[1000, 631, ...]``);
          non-negative, never increasing, the first positive.

        At least 3 values (period 0 and two more) are needed: two parameters need two observed
        transitions. Raises :class:`~custlib.clv.FitFailed` when the optimiser finds no finite
        optimum within ``max_iter`` iterations. Returns ``self``.
        """
        if (survival is None) == (alive_counts is None):
            raise ValueError("give exactly one of survival (shares) or alive_counts (customers)")
        if survival is not None:
            alive = _as_curve(survival, "survival")
            if not np.isclose(alive[0], 1.0):
                raise ValueError(f"survival must start at 1 (everybody is alive at t = 0); it starts at {alive[0]:g}")
            if alive.min() < 0 or alive.max() > 1 + 1e-9:
                raise ValueError("survival shares must lie in 0..1; pass customer counts as alive_counts=")
        else:
            alive = _as_curve(alive_counts, "alive_counts")
            if alive[0] <= 0 or alive.min() < 0:
                raise ValueError("alive_counts must be non-negative and start with a positive cohort size")
        data = {"lost": alive[:-1] - alive[1:], "alive_at_end": alive[-1], "size": alive[0]}
        start = np.log(np.asarray(self.initial_params, dtype=float))
        # Not _maximise: a cohort's curve is often degenerate (nobody lost, or a plateau after the
        # first period), with the maximum on the boundary. _maximise refuses such data; the sBG stops
        # where the likelihood has gone flat and still projects the curve found there.
        result = optimize.minimize(self._negll, start, args=(data,), jac=True, method="L-BFGS-B",
                                   bounds=[(-20.0, 20.0)] * 2, options={"maxiter": self.max_iter})
        if not np.all(np.isfinite(result.x)) or (not result.success and result.nit >= self.max_iter):
            raise FitFailed(f"the sBG fit did not converge: {result.message}")
        # Shares carry no sample size, so the curvature of their likelihood says nothing about precision.
        hessian = None if alive_counts is None else self._hessian(result.x, data, result.jac) * data["size"]
        self._set_estimates(np.exp(result.x), result.x, hessian)
        self.log_likelihood_ = -float(_sbg_negative_ll(result.x, data["lost"], data["alive_at_end"])[0])
        self.n_periods_ = len(alive) - 1
        return self

    def _negll(self, log_params, data):
        """Minus eq. (B3) per customer of the cohort, and its gradient in (ln alpha, ln beta)."""
        value, grad = _sbg_negative_ll(log_params, data["lost"], data["alive_at_end"])
        return value / data["size"], grad / data["size"]

    def predict_survival(self, periods) -> np.ndarray:
        """S(t): share of the cohort still alive at the end of each period t (t = 0, 1, ...)."""
        alpha, beta = self._check_fitted()
        t = _as_periods(periods, minimum=0)
        return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))

    def predict_retention_rate(self, periods) -> np.ndarray:
        """r(t) = S(t) / S(t-1): share of those alive at t - 1 still alive at t (t = 1, 2, ...)."""
        alpha, beta = self._check_fitted()
        t = _as_periods(periods, minimum=1)
        return (beta + t - 1) / (alpha + beta + t - 1)


def _sbg_negative_ll(log_params, lost, alive_at_end) -> tuple[float, np.ndarray]:
    """Minus eq. (B3) and its gradient with respect to (ln alpha, ln beta)."""
    alpha, beta = np.exp(log_params)
    t = np.arange(1, len(lost) + 1, dtype=float)
    t_f = float(len(lost))
    base = special.betaln(alpha, beta)
    log_p = special.betaln(alpha + 1, beta + t - 1) - base
    log_s = special.betaln(alpha, beta + t_f) - base
    ll = float(lost @ log_p) + (alive_at_end * log_s if alive_at_end > 0 else 0.0)
    psi = special.digamma
    d_base_a, d_base_b = psi(alpha) - psi(alpha + beta), psi(beta) - psi(alpha + beta)
    d_a = lost @ (psi(alpha + 1) - psi(alpha + beta + t) - d_base_a)
    d_b = lost @ (psi(beta + t - 1) - psi(alpha + beta + t) - d_base_b)
    if alive_at_end > 0:
        d_a += alive_at_end * (psi(alpha) - psi(alpha + beta + t_f) - d_base_a)
        d_b += alive_at_end * (psi(beta + t_f) - psi(alpha + beta + t_f) - d_base_b)
    return -ll, -np.array([d_a * alpha, d_b * beta])


def _as_curve(values, name: str) -> np.ndarray:
    curve = np.asarray(values, dtype=float).ravel()
    if len(curve) < 3:
        raise ValueError(f"{name} needs period 0 and at least two later periods; got {len(curve)} value(s)")
    if not np.all(np.isfinite(curve)):
        raise ValueError(f"{name} must be finite numbers (no NaN): pass only the observed periods")
    rises = np.flatnonzero(np.diff(curve) > 1e-12)
    if len(rises):
        t = rises[0] + 1
        raise ValueError(f"{name} must never increase: period {t} is {curve[t]:g} after {curve[t - 1]:g} "
                         f"(in survival a lost customer does not come back)")
    return curve


def _as_periods(periods, minimum: int) -> np.ndarray:
    t = np.asarray(periods, dtype=float)
    if np.any(t < minimum) or np.any(t != np.round(t)):
        raise ValueError(f"periods must be whole numbers from {minimum}")
    return t
