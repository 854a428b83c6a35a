"""BG/NBD and MBG/NBD: how many repeat purchases will a customer make, and are they still active?

- :class:`BetaGeoFitter` -- BG/NBD, Fader, Hardie & Lee (2005a), "Counting Your Customers the Easy
  Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2).
- :class:`ModifiedBetaGeoFitter` -- MBG/NBD, Batislam, Denizel & Filiztekin (2007), IJRM 24(3):
  as BG/NBD, but a customer may also drop out right after the first purchase.
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .base import _wsum
from .purchase import _PurchaseModel


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

    Parameters ``r, alpha, a, b`` (``alpha`` in model time units). Units as in :mod:`custlib.clv.base`.

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
