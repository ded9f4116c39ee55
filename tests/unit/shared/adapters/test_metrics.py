"""Metric labels and counts: per-symbol streams folded, commits counted as written."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from candlecast.shared.adapters import metrics
from candlecast.shared.core.entries import Entry
from candlecast.shared.core.messages import DeadLettered


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_per_symbol_streams_share_one_label() -> None:
    assert metrics.stream_label("candlecast:predictions:BTCUSDT") == "candlecast:predictions:{symbol}"
    assert metrics.stream_label("predictions:ETH") == "predictions:{symbol}"
    assert metrics.stream_label("candlecast:predictions") == "candlecast:predictions"
    assert metrics.stream_label("candlecast:bars") == "candlecast:bars"


def test_out_counts_per_stream_minus_what_was_skipped() -> None:
    adds = [
        ("p:predictions", b"", "1-0"),
        ("p:predictions:AAA", b"", "1-0"),
        ("p:predictions:BBB", b"", "2-0"),
        ("p:predictions", b"", "2-0"),
        ("p:events", b"", ""),
    ]
    assert metrics.out_counts(adds, set()) == {"p:predictions": 2, "p:predictions:{symbol}": 2, "p:events": 1}
    assert metrics.out_counts(adds, {"1-0", "2-0"}) == {"p:events": 1}  # a repeat: only the unsourced add
    # partly a repeat: exactly the adds of the entry another commit had acked are left out
    assert metrics.out_counts(adds, {"2-0"}) == {
        "p:predictions": 1,
        "p:predictions:{symbol}": 1,
        "p:events": 1,
    }


def letter(entry_id: str) -> DeadLettered:
    return DeadLettered(
        stream="u:bars", entry_id=entry_id, group="features", reason="bad", payload="x", failed_at=1,
        service="features",
    )  # fmt: skip


def test_a_commit_counts_its_outputs_and_dead_letters() -> None:
    out = value("candlecast_messages_out_total", stream="u:features")
    dead = value("candlecast_dead_lettered_total", stream="u:bars", group="features", service="features")
    adds = [("u:features", b"", ""), ("u:dlq", b"", "1-0"), ("u:dlq", b"", "2-0")]
    metrics.count_commit(adds, [letter("1-0"), letter("2-0")], set())
    metrics.count_commit(adds, [letter("1-0"), letter("2-0")], {"1-0", "2-0"})  # committed again: no new ones
    metrics.count_commit(adds, [letter("1-0"), letter("2-0")], {"1-0"})  # 2-0 was still pending
    assert value("candlecast_messages_out_total", stream="u:features") == out + 3
    assert value("candlecast_dead_lettered_total", stream="u:bars", group="features", service="features") == (
        dead + 3
    )


async def test_timed_observes_each_call_even_a_failed_one() -> None:
    calls: list[int] = []

    async def handle(entries: list[Entry]) -> None:
        calls.append(len(entries))
        if len(calls) == 2:
            raise RuntimeError("boom")

    labels = {"stream": "t:in", "group": "g"}
    before = value("candlecast_handler_seconds_count", **labels)
    timed = metrics.timed(handle, "t:in", "g")
    await timed([Entry("1-0", b"{}")])
    with pytest.raises(RuntimeError):
        await timed([])
    assert calls == [1, 0]
    assert value("candlecast_handler_seconds_count", **labels) == before + 2
    assert value("candlecast_handler_seconds_bucket", le="10.0", **labels) == before + 2
