"""Pareto/NBD: how many repeat purchases will a customer make, with an exponential lifetime?

:class:`ParetoNBDFitter` -- Schmittlein, Morrison & Colombo (1987), Management Science 33(1), in the
form of Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions".
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .base import _unique_inverse, _wsum
from .purchase import _PurchaseModel


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
