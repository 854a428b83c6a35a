"""Gamma-Gamma: what will a customer spend per purchase occasion?

:class:`GammaGammaFitter` -- Fader, Hardie & Lee (2005b), "RFM and CLV: Using Iso-Value Curves for
Customer Base Analysis", JMR 42(4); Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value".
Money is in the currency of ``monetary_value``.
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .base import (FitFailed, InvalidSummary, _as_float_array, _BaseFitter, _check_enough_repeat_buyers,
                   _check_weights, _index_of, _where, _wrap, _wsum)


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
