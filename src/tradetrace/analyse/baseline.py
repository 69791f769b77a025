"""A monthly trade series' pre-war trend and season, projected forward as the counterfactual.

Exports to Kyrgyzstan in spring 2023 are compared with what the 2019–2021 pattern would
have given in spring 2023, not with the 2019–2021 average: trade grows (or shrinks) over
years and swings within them, and a plain mean would call either a change. The model is
the one analysts fit by hand in spreadsheets, made explicit:

    log(value + 1) = level + trend × month + season[calendar month] + noise

fitted by least squares on the baseline months (eleven month dummies, January the
reference). The counterfactual of a later month is the model's value for it, times Duan's
smearing factor (the mean of exp(residual)), which turns a log-scale fit back into a mean.

The uncertainty band comes from a residual bootstrap (:data:`DRAWS` draws, a fixed seed,
so a figure never changes between runs): each draw refits the model on the fitted values
plus resampled residuals and projects the after months with resampled noise; the band is
the 5th to 95th percentile of the projected totals (a 90% interval; each month's band,
drawn in the charts, is the same percentiles of that month's draws). It covers the noise
and the fit's uncertainty; it does not cover the model being wrong (2020's Covid dip
bends the trend; a change of trend the baseline never saw is not in it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DRAWS", "MIN_BASELINE_MONTHS", "Fit", "Projection", "fit", "month_index"]

#: Bootstrap draws for the band, and the seed that makes it reproducible.
DRAWS = 2000
SEED = 20220224
#: A baseline with fewer observed months than this is not fitted (12 parameters).
MIN_BASELINE_MONTHS = 24


def month_index(day: dt.date) -> int:
    """Months since year 0: consecutive months are consecutive integers."""
    return day.year * 12 + day.month - 1


@dataclass(frozen=True)
class Projection:
    """The counterfactual of some months: point values and the band of their total."""

    months: list[dt.date]
    values: np.ndarray  # per month, in the series' unit
    total_low: float  # 5th percentile of the projected total
    total_high: float  # 95th percentile
    low: np.ndarray  # per month, 5th percentile
    high: np.ndarray  # per month, 95th percentile


@dataclass(frozen=True)
class Fit:
    """The fitted model of one series' baseline."""

    coefficients: np.ndarray
    residuals: np.ndarray
    design: np.ndarray  # the baseline months' design matrix
    origin: int  # month index of the first baseline month (the trend's zero)
    smearing: float

    def project(self, months: Sequence[dt.date]) -> Projection:
        """The counterfactual of ``months`` and the band of its total (see the module)."""
        x = _design(months, self.origin)
        point = np.exp(x @ self.coefficients) * self.smearing - 1.0
        rng = np.random.default_rng(SEED)
        fitted = self.design @ self.coefficients
        n = len(self.residuals)
        # every draw at once: refitting is a product with the design's pseudo-inverse
        y = fitted + self.residuals[rng.integers(0, n, (DRAWS, n))]
        betas = y @ np.linalg.pinv(self.design).T
        noise = self.residuals[rng.integers(0, n, (DRAWS, len(months)))]
        draws = np.maximum(np.exp(betas @ x.T + noise) - 1.0, 0.0)
        low, high = np.percentile(draws.sum(axis=1), [5, 95])
        monthly_low, monthly_high = np.percentile(draws, [5, 95], axis=0)
        return Projection(
            list(months), np.maximum(point, 0.0), float(low), float(high), monthly_low, monthly_high
        )

    def in_sample(self) -> np.ndarray:
        """The model's values for the baseline months themselves."""
        return np.exp(self.design @ self.coefficients) * self.smearing - 1.0


def _design(months: Sequence[dt.date], origin: int) -> np.ndarray:
    """Columns: level, trend (months since the origin), eleven calendar-month dummies."""
    x = np.zeros((len(months), 13))
    for row, day in enumerate(months):
        x[row, 0] = 1.0
        x[row, 1] = month_index(day) - origin
        if day.month > 1:
            x[row, day.month] = 1.0  # columns 2..12: February..December
    return x


def fit(months: Sequence[dt.date], values: Sequence[float]) -> Fit | None:
    """The model fitted on the baseline's observed months; None when too few are."""
    if len(months) < MIN_BASELINE_MONTHS:
        return None
    origin = min(month_index(m) for m in months)
    x = _design(months, origin)
    y = np.log1p(np.maximum(np.asarray(values, dtype=float), 0.0))
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residuals = y - x @ beta
    return Fit(beta, residuals, x, origin, float(np.mean(np.exp(residuals))))
