"""Proper scores for P(up) forecasts, in numpy, and the naive baselines beside them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from candlecast.shared.core.card_sections import Baselines, BaselineScores, Metrics

if TYPE_CHECKING:
    from candlecast.shared.core.arrays import F64

EPS = 1e-15
ECE_BINS = 15  # the card's metrics.calibration_ece (and the v1 ModelMetrics.ece)
MAJORITY_EPS = 1e-6  # the majority baseline's p, kept off 0 and 1


def log_loss(y: F64, p: F64) -> float:
    """Mean negative log-likelihood of 0/1 outcomes; p is clipped away from 0 and 1."""
    q = np.clip(p, EPS, 1.0 - EPS)
    return float(-np.mean(y * np.log(q) + (1.0 - y) * np.log1p(-q)))


def brier(y: F64, p: F64) -> float:
    return float(np.mean((p - y) ** 2))


def average_ranks(x: F64) -> F64:
    """1-based ranks; tied values share the mean of their ranks."""
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])
    ends = np.r_[starts[1:], x.shape[0]]
    group_rank = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(x.shape[0], dtype=np.float64)
    ranks[order] = np.repeat(group_rank, ends - starts)
    return ranks


def roc_auc(y: F64, p: F64) -> float:
    """P(score of a random positive > a random negative), ties counting half; NaN if one class."""
    positive = y == 1.0
    n_pos = int(positive.sum())
    n_neg = y.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = float(average_ranks(p)[positive].sum())
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def ece(y: F64, p: F64, bins: int = ECE_BINS) -> float:
    """Expected calibration error over equal-width bins of p on [0, 1]."""
    if y.shape[0] == 0:
        return float("nan")
    index = np.minimum((np.clip(p, 0.0, 1.0) * bins).astype(np.int64), bins - 1)
    sum_p = np.bincount(index, weights=p, minlength=bins)
    sum_y = np.bincount(index, weights=y, minlength=bins)
    # sum over bins of (n_b / n) * |mean_y_b - mean_p_b|
    return float(np.abs(sum_y - sum_p).sum() / y.shape[0])


def _safe_ratio(num: float, den: float) -> float:
    """num / den, 0.0 when den is 0 (no predicted or no actual positives)."""
    return num / den if den > 0 else 0.0


def holdout_metrics(y: F64, p: F64, threshold: float = 0.5) -> Metrics:
    """Proper scores, calibration and class metrics (up when p > threshold) on the holdout."""
    _check(y, p)
    up = p > threshold
    tp = float(np.sum(up & (y == 1.0)))
    tn = float(np.sum(~up & (y == 0.0)))
    pos, predicted = float(np.sum(y == 1.0)), float(np.sum(up))
    precision, recall = _safe_ratio(tp, predicted), _safe_ratio(tp, pos)
    auc = roc_auc(y, p)
    return Metrics(
        accuracy=(tp + tn) / y.shape[0],
        balanced_accuracy=(recall + _safe_ratio(tn, y.shape[0] - pos)) / 2.0,
        precision=precision,
        recall=recall,
        f1=_safe_ratio(2.0 * precision * recall, precision + recall),
        auc_roc=None if np.isnan(auc) else auc,
        log_loss=log_loss(y, p),
        brier=brier(y, p),
        calibration_ece=ece(y, p),
        rows=int(y.shape[0]),
    )


def baseline_scores(y: F64, p: F64, prob_up: float) -> BaselineScores:
    """A constant forecast `prob_up` on the rows of `y`, and the skill of `p` against it."""
    const = np.full_like(y, prob_up)
    base_ll, base_brier = log_loss(y, const), brier(y, const)
    return BaselineScores(
        prob_up=prob_up,
        accuracy=float(np.mean((const > 0.5) == (y == 1.0))),
        log_loss=base_ll,
        brier=base_brier,
        log_loss_skill=1.0 - log_loss(y, p) / base_ll if base_ll > 0 else float("nan"),
        brier_skill=1.0 - brier(y, p) / base_brier if base_brier > 0 else float("nan"),
    )


def baselines(y: F64, p: F64, train_base_rate: float) -> Baselines:
    """Majority class and base rate (both from training) against the model's holdout `p`."""
    _check(y, p)
    majority = 1.0 - MAJORITY_EPS if train_base_rate >= 0.5 else MAJORITY_EPS
    return Baselines(
        majority=baseline_scores(y, p, majority),
        base_rate=baseline_scores(y, p, train_base_rate),
    )


def _check(y: F64, p: F64) -> None:
    if y.shape != p.shape or y.shape[0] == 0:
        raise ValueError("need non-empty labels and predictions of the same shape")
