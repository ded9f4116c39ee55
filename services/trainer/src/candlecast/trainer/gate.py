"""The promotion gate: challenger vs base rate and champion, on the same unseen rows."""

from __future__ import annotations

import numpy as np

from candlecast.shared.core.arrays import F64
from candlecast.shared.core.card_sections import GateInfo
from candlecast.shared.core.scoring import log_loss

DEFAULT_MARGIN = 1e-4  # log loss the challenger must gain over each bar


def decide(
    y: F64,
    challenger_p: F64,
    champion_p: F64 | None,
    champion_version: str | None,
    base_rate: float,
    margin: float,
    start_ts: int,
    force: bool = False,
) -> GateInfo:
    """Promote only if the challenger's log loss is below both bars by more than `margin`.

    The bars: the constant training base rate, and the champion's predictions on the same rows
    (none when there is no champion). `force` promotes anyway and says what the gate found.
    """
    if y.shape[0] == 0 or challenger_p.shape != y.shape:
        raise ValueError("the gate needs labels and challenger predictions of the same, non-zero length")
    if champion_p is not None and champion_p.shape != y.shape:
        raise ValueError("champion predictions must cover the same rows")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    ours = log_loss(y, challenger_p)
    base = log_loss(y, np.full_like(y, base_rate))
    champ = None if champion_p is None else log_loss(y, champion_p)
    failed = _failures(ours, base, champ, champion_version, margin)
    if failed:
        decision, reason = ("forced", "forced despite: ") if force else ("rejected", "")
        reason += "; ".join(failed)
    else:
        decision, reason = "promoted", _success(ours, base, champ, champion_version, margin)
    return GateInfo(
        decision=decision,
        reason=reason,
        margin=margin,
        rows=int(y.shape[0]),
        start_ts=start_ts,
        challenger_log_loss=ours,
        base_rate_log_loss=base,
        champion_version=champion_version,
        champion_log_loss=champ,
    )


def _failures(ours: float, base: float, champ: float | None, version: str | None, margin: float) -> list[str]:
    failed = []
    if not ours < base - margin:
        failed.append(f"log loss {ours:.6f} does not beat the base rate's {base:.6f} by {margin:g}")
    if champ is not None and not ours < champ - margin:
        failed.append(f"log loss {ours:.6f} does not beat champion {version}'s {champ:.6f} by {margin:g}")
    return failed


def _success(ours: float, base: float, champ: float | None, version: str | None, margin: float) -> str:
    text = f"log loss {ours:.6f} beats the base rate's {base:.6f}"
    if champ is None:
        return text + f" by more than {margin:g} (no champion yet)"
    return text + f" and champion {version}'s {champ:.6f} by more than {margin:g}"
