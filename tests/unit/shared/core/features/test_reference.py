"""The incremental kernel against an independent vectorised pandas reference."""

from __future__ import annotations

import numpy as np
import pandas as pd  # no pandas-stubs in the venv
import pytest

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import CORE, MAX_FILL_BARS, compute

TF = 300_000
TINY = 1e-10  # std below TINY * |mean| counts as zero (the kernel's rule)


def filled_segments(bars: Bars) -> list[pd.DataFrame]:
    """Split at gaps longer than MAX_FILL_BARS; fill shorter ones with flat zero-volume bars."""
    df = pd.DataFrame(
        {"o": bars.open, "h": bars.high, "l": bars.low, "c": bars.close, "v": bars.volume}, index=bars.ts
    )
    breaks = np.flatnonzero(np.diff(bars.ts) // TF - 1 > MAX_FILL_BARS) + 1
    segments = []
    for lo, hi in zip([0, *breaks], [*breaks, len(df)], strict=True):
        part = df.iloc[lo:hi]
        full = part.reindex(np.arange(part.index[0], part.index[-1] + TF, TF))
        full["filled"] = full["c"].isna()
        full["c"] = full["c"].ffill()
        for col in ("o", "h", "l"):
            full[col] = full[col].fillna(full["c"])
        full["v"] = full["v"].fillna(0.0)
        segments.append(full)
    return segments


def rolling_std(x: pd.Series, w: int) -> pd.Series:
    """Two-pass population std per window (pandas' online rolling var loses ~1e-8 here)."""
    values = x.to_numpy()
    out = np.full(values.size, np.nan)
    if values.size >= w:
        win = np.lib.stride_tricks.sliding_window_view(values, w)
        out[w - 1 :] = (win - win[:, :1]).std(axis=1)
    return pd.Series(out, index=x.index)


def zscore(x: pd.Series, w: int) -> pd.Series:
    """(last - mean) / std per window, on values shifted by the window's first (exact)."""
    out = np.full(len(x), np.nan)
    if len(x) >= w:
        win = np.lib.stride_tricks.sliding_window_view(x.to_numpy(), w)
        shifted = win - win[:, :1]
        std = shifted.std(axis=1)
        z = (shifted[:, -1] - shifted.mean(axis=1)) / np.where(std > 0, std, 1.0)
        out[w - 1 :] = np.where(std > TINY * np.abs(win.mean(axis=1)), z, 0.0)
    return pd.Series(out, index=x.index)


def rsi(c: pd.Series, w: int) -> pd.Series:
    d = c.diff()
    gain = d.clip(lower=0).ewm(alpha=1 / w, adjust=False).mean()
    loss = (-d).clip(lower=0).ewm(alpha=1 / w, adjust=False).mean()
    return (100 * gain / (gain + loss)).where(gain + loss > 0, 50.0).where(gain.notna())


def since_extreme(x: pd.Series, w: int) -> pd.Series:
    """Bars since the newest max of x in the window, / w."""
    return x.rolling(w).apply(lambda a: np.argmax(a[::-1]), raw=True) / w


def base_features(s: pd.DataFrame) -> dict[str, pd.Series]:
    c, o, h, lo, v = s["c"], s["o"], s["h"], s["l"], s["v"]
    f = {f"ret_{k}": c / c.shift(k) - 1 for k in (1, 5, 100)}
    f["logret_5"] = np.log(c / c.shift(5))
    f["accel_5"] = (c / c.shift(5) - 1) - (c.shift(5) / c.shift(10) - 1)
    for w in (5, 20, 200):
        f[f"sma_gap_{w}"] = c / c.rolling(w).mean() - 1
        f[f"ema_gap_{w}"] = c / c.ewm(span=w, adjust=False).mean() - 1
        f[f"zscore_{w}"] = zscore(c, w)
        f[f"rvol_{w}"] = rolling_std(np.log(c / c.shift()), w)
    f["rsi_14"] = rsi(c, 14)
    pc = c.shift().fillna(c)
    tr = np.maximum(h, pc) - np.minimum(lo, pc)
    f["atr_14"] = tr.ewm(alpha=1 / 14, adjust=False).mean() / c
    f["bb_pctb_20"] = zscore(c, 20) / 4 + 0.5
    ll, hh = lo.rolling(14).min(), h.rolling(14).max()
    f["stoch_k_14"] = (100 * (c - ll) / (hh - ll)).where(hh > ll, 50.0).where(hh.notna())
    f["stoch_d_14"] = f["stoch_k_14"].rolling(3).mean()
    f["dist_min_50"] = c / lo.rolling(50).min() - 1
    f["dist_max_200"] = c / h.rolling(200).max() - 1
    f["since_max_20"] = since_extreme(h, 20)
    f["since_min_50"] = since_extreme(-lo, 50)
    macd = c.ewm(span=12, adjust=False).mean() - c.ewm(span=26, adjust=False).mean()
    signal = macd.ewm(span=9, adjust=False).mean()
    f["macd"], f["macd_signal"], f["macd_hist"] = macd / c, signal / c, (macd - signal) / c
    f["volume_z_20"] = zscore(v, 20)
    f["up_frac_10"] = (c > c.shift()).astype(float).rolling(10).mean()
    f["hl_range"] = (h - lo) / c
    f["oc_ret"] = c / o - 1
    f["tod_sin"] = pd.Series(np.sin(2 * np.pi * (s.index % 86_400_000) / 86_400_000), index=s.index)
    return f


def htf_features(s: pd.DataFrame, mult: int) -> dict[str, pd.Series]:
    """Resample to mult x TF on wall-clock periods; each base bar sees the last closed one."""
    period_ms = mult * TF
    period = s.index // period_ms
    g = s.groupby(period)
    htf = pd.DataFrame({"o": g["o"].first(), "h": g["h"].max(), "l": g["l"].min(), "c": g["c"].last()})
    closed = np.where((s.index + TF) % period_ms == 0, period, period - 1)
    c = htf["c"]
    cols = {
        "ret_1": c / c.shift(1) - 1,
        "ret_4": c / c.shift(4) - 1,
        "rsi_14": rsi(c, 14),
        "sma_20": c.rolling(20).mean(),
        "rvol_10": rolling_std(np.log(c / c.shift()), 10),
        "range": (htf["h"] - htf["l"]) / c,
        "close": c,
    }
    seen = {k: pd.Series(v.reindex(closed).to_numpy(), index=s.index) for k, v in cols.items()}
    p = f"x{mult}_"
    out = {p + k: seen[k] for k in ("ret_1", "ret_4", "rsi_14", "rvol_10", "range")}
    out[p + "sma_gap_20"] = s["c"] / seen["sma_20"] - 1
    out[p + "dist_close"] = s["c"] / seen["close"] - 1
    return out


def reference(bars: Bars) -> pd.DataFrame:
    frames = []
    for s in filled_segments(bars):
        f = base_features(s) | htf_features(s, 3) | htf_features(s, 12)
        frames.append(pd.DataFrame(f)[~s["filled"]])
    return pd.concat(frames)


def assert_matches_reference(bars: Bars) -> None:
    rows = compute(bars, CORE)
    assert len(rows) > 500
    ref = reference(bars).loc[rows.ts]
    assert ref.notna().all().all(), "kernel emitted a row before a window was full"
    for name in ref.columns:
        got = rows.values[:, CORE.names.index(name)]  # noqa: PD011 - FeatureRows, not pandas
        np.testing.assert_allclose(got, ref[name].to_numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("seed", [11, 12])
def test_kernel_matches_pandas_on_synthetic_bars_with_gaps(make_bars, seed):
    assert_matches_reference(make_bars(4000, seed=seed))


def test_kernel_matches_pandas_on_trending_prices(make_bars):
    """Large price level and strong drift: the case that breaks naive rolling sums."""
    bars = make_bars(3000, seed=5, gaps=False, price=50_000.0)
    assert_matches_reference(bars)


def test_kernel_matches_pandas_on_real_data(real):
    assert_matches_reference(real)
