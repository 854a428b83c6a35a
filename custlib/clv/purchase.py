"""What the repeat-purchase models (BG/NBD, MBG/NBD, Pareto/NBD) share: the fit on
(frequency, recency, T) and the predictions built from P(alive) and the expectation if alive.

Units as in :mod:`custlib.clv.base`: ``recency``, ``T`` and every horizon ``t`` in the model's time unit.
"""
from __future__ import annotations

import numpy as np

from .base import (InvalidSummary, _BaseFitter, _check_enough_repeat_buyers, _check_rfm, _check_weights,
                   _compress, _index_of, _unique_inverse, _wrap)


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
