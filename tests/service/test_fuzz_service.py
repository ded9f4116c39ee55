"""Fuzz: hostile entries on `bars` and `commands` through the real handlers and a real Redis.

hypothesis draws each round: at least 3 malformed entries of each of 18 kinds (11 on
`bars`, 7 on `commands`, see tests/support/hostile.py) and where the bar ones fall between
the next 40 valid bars of two series (AAA and BBB, past their warm-up). The features
worker, the predictor (serving a tiny real model on the core feature set) and the trainer
handle each round in process. Afterwards:
- every malformed entry is in `dlq` exactly once, with a reason naming its problem;
- nothing else is: no valid bar, no feature row;
- `features` holds one row per valid bar past warm-up and nothing else, and each such bar
  has exactly one prediction;
- nothing is pending; no event, dead letter or log line is larger than a bound.

Kinds and counts (hypothesis 6.170, derandomized, 20 rounds; printed with `-s`): 1,413
malformed entries. bars: invalid JSON 86, wrong type 84, missing field 90, NaN or inf 81,
negative price 64, high < low 76, ts in the future 72, ts in seconds 73, ts in
microseconds 72, oversized 82, binary junk 78; commands: invalid JSON 66, unknown 86,
wrong type 88, missing field 68, too many symbols 81, oversized 88, binary junk 78.
Valid bars: 1,278, of which 800 past warm-up, each predicted exactly once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from candlecast.features.settings import FeaturesSettings
from candlecast.features.worker import FeaturesWorker
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.predictor.app import Predictor
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.redis_streams import ensure_group
from candlecast.shared.core.constants import GROUP_PREDICTOR, GROUP_TRAINER
from candlecast.shared.core.entries import Entry, entry_from_fields
from candlecast.shared.core.features import DEFAULT, warmup_bars
from candlecast.shared.core.model import UpModel
from candlecast.shared.settings import Settings
from candlecast.trainer.app import Trainer
from candlecast.trainer.settings import TrainerSettings
from tests.support.hostile import START, Bad, bad_bars, bad_commands
from tests.support.models import card_draft, tiny_booster

pytestmark = pytest.mark.redis

ROUNDS = 20
PER_ROUND = 40  # valid bars per round, two series interleaved
PER_KIND = st.integers(3, 5)
SYMBOLS = ["AAA", "BBB"]
BIGGEST_EVENT = 2_048
BIGGEST_LOG = 1_000
Handler = Callable[[list[Entry]], Awaitable[None]]
WARM = warmup_bars(DEFAULT) - 1  # bars of a series before its first feature row


def rounds(bar_limit: int, command_limit: int) -> st.SearchStrategy[tuple[list, list[Bad]]]:
    """One round: (bad bar, slot among the round's valid bars) pairs, and bad commands."""
    placed = [st.lists(st.tuples(s, st.integers(0, PER_ROUND)), min_size=3, max_size=5)
              for s in bad_bars(bar_limit).values()]  # fmt: skip
    commands = [st.lists(s, min_size=3, max_size=5) for s in bad_commands(command_limit).values()]
    return st.tuples(
        st.tuples(*placed).map(lambda ls: [x for lst in ls for x in lst]),
        st.tuples(*commands).map(lambda ls: [x for lst in ls for x in lst]),
    )


class Pipeline:
    """The features worker, a predictor and a trainer on one Redis, and what went in."""

    def __init__(self, redis: Redis, home: Path) -> None:
        self.redis = redis
        self.fs = FeaturesSettings(home=home, consumer="f1")
        self.keys = self.fs.keys
        self.worker = FeaturesWorker(redis, self.fs, DEFAULT)
        store = FileModelStore(home / "predictor")
        names = DEFAULT.names
        model = UpModel(tiny_booster(names, seed=3), tuple(names), DEFAULT.id, 1, "5m")
        version = store.new_version(START)
        store.save(version, model, card_draft(model, START))
        store.promote(version)
        self.predictor = Predictor(redis, Settings(home=home / "predictor", consumer="p1"), store)
        self.trainer = Trainer(redis, TrainerSettings(home=home / "trainer", consumer="t1"))
        series = synthetic_bars(SYMBOLS, "5m", START, WARM + ROUNDS * PER_ROUND // len(SYMBOLS), seed=9)
        bars = sorted((m for b in series for m in b.to_messages()), key=lambda m: m.ts)  # stable
        self.valid = [m.model_dump_json().encode() for m in bars]
        self.sent = 0  # valid bars published so far
        self.bad: dict[tuple[str, str], tuple[Bad, bytes]] = {}  # (stream, entry id) -> what it was
        self.request_ids = 0

    async def start(self) -> None:
        await ensure_group(self.redis, self.keys.bars, self.fs.group)
        await ensure_group(self.redis, self.keys.features, GROUP_PREDICTOR)
        await ensure_group(self.redis, self.keys.commands, GROUP_TRAINER)
        await self.predictor.load_champion()
        await self.feed([], [], len(SYMBOLS) * WARM)

    async def feed(self, bars: list[tuple[Bad, int]], commands: list[Bad], n_valid: int) -> None:
        valid = self.valid[self.sent : self.sent + n_valid]
        self.sent += len(valid)
        slots = sorted(bars, key=lambda placed: placed[1])  # stable: drawn order within a slot
        batch: list[Bad | bytes] = []
        for i, data in enumerate([*valid, None]):
            batch += [bad for bad, slot in slots if slot == min(i, len(valid))]
            if data is not None:
                batch.append(data)
        await self.publish(self.keys.bars, batch)
        await self.publish(self.keys.commands, list(commands))
        await self.drain(self.keys.bars, self.fs.group, self.worker.handle)
        await self.drain(self.keys.features, GROUP_PREDICTOR, self.predictor.handle)
        await self.drain(self.keys.commands, GROUP_TRAINER, self.trainer.handle)

    async def publish(self, stream: str, items: list[Bad | bytes]) -> None:
        datas = [item if isinstance(item, bytes) else self.encode(item) for item in items]
        async with self.redis.pipeline(transaction=False) as pipe:
            for data in datas:
                pipe.xadd(stream, {"__data__": data})
            ids = await pipe.execute()
        for entry_id, item, data in zip(ids, items, datas, strict=True):
            if isinstance(item, Bad):
                self.bad[stream, entry_id.decode()] = item, data

    def encode(self, bad: Bad) -> bytes:
        self.request_ids += 1
        return bad.encoded(f"fuzz-{self.request_ids}")

    async def drain(self, stream: str, group: str, handle: Handler) -> None:
        while reply := await self.redis.xreadgroup(group, "c1", {stream: ">"}, count=500):
            entries: list[Entry] = [entry_from_fields(i, f) for i, f in reply[0][1]]
            await handle(entries)


async def documents(redis: Redis, stream: str) -> list[tuple[str, bytes, dict]]:
    return [(i.decode(), f[b"__data__"], json.loads(f[b"__data__"])) for i, f in await redis.xrange(stream)]


def test_hostile_entries_are_dead_lettered_and_valid_bars_all_predicted(
    redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    loop = asyncio.new_event_loop()
    redis = Redis.from_url(redis_url)
    pipeline = Pipeline(redis, tmp_path)
    loop.run_until_complete(pipeline.start())

    @settings(max_examples=ROUNDS, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(rounds(pipeline.fs.max_bar_bytes, pipeline.trainer.settings.max_command_bytes))
    def one_round(drawn: tuple[list[tuple[Bad, int]], list[Bad]]) -> None:
        loop.run_until_complete(pipeline.feed(*drawn, PER_ROUND))

    one_round()
    try:
        loop.run_until_complete(check(pipeline, caplog))
    finally:
        loop.run_until_complete(redis.aclose())
        loop.close()


async def check(p: Pipeline, caplog: pytest.LogCaptureFixture) -> None:
    kinds = Counter(bad.kind for bad, _ in p.bad.values())
    print("\nfuzz kinds and counts:", dict(sorted(kinds.items())), f"total {sum(kinds.values())}")
    print(f"valid bars: {p.sent}, of them past warm-up: {p.sent - len(SYMBOLS) * WARM}")
    assert len(kinds) >= 10
    assert min(kinds.values()) >= 3 * ROUNDS
    assert sum(kinds.values()) >= 1_000
    assert p.sent == len(p.valid), "every valid bar was sent"

    dead = await documents(p.redis, p.keys.dlq)
    where = Counter((d["stream"], d["entry_id"]) for _, _, d in dead)
    assert set(where) == set(p.bad), "every malformed entry dead-lettered, and nothing else"
    assert set(where.values()) == {1}, "each exactly once"
    for _, raw, d in dead:
        bad, data = p.bad[d["stream"], d["entry_id"]]
        assert bad.expect in d["reason"], (bad.kind, d["reason"], d["payload"][:200])
        assert d["size"] == len(data)
        assert d["truncated"] == (len(data) > p.fs.dlq_payload_chars)
        if d["truncated"]:
            marker = f"…[truncated: {len(data)} bytes in all]"
            assert d["payload"] == data[: p.fs.dlq_payload_chars].decode() + marker
        assert d["service"] in {"features", "trainer"}
        assert len(raw) < 3 * p.fs.dlq_payload_chars + 1_000

    expected = [json.loads(b) for b in p.valid][len(SYMBOLS) * WARM :]
    keys = Counter((b["symbol"], b["ts"]) for b in expected)
    rows = Counter((r["symbol"], r["ts"]) for _, _, r in await documents(p.redis, p.keys.features))
    preds = Counter((r["symbol"], r["ts"]) for _, _, r in await documents(p.redis, p.keys.predictions))
    assert rows == keys, "one feature row per valid bar past warm-up, nothing malformed"
    assert preds == keys, "exactly one prediction per valid bar past warm-up"

    for stream, group in ((p.keys.bars, p.fs.group), (p.keys.features, GROUP_PREDICTOR),
                          (p.keys.commands, GROUP_TRAINER)):  # fmt: skip
        assert (await p.redis.xpending(stream, group))["pending"] == 0
    events = await documents(p.redis, p.keys.events)
    assert all(len(raw) <= BIGGEST_EVENT for _, raw, _ in events)
    failed = [e for _, _, e in events if e["event"] == "training_failed"]
    assert failed, "refused commands with a request id fail loudly too"
    assert all(e["error"].startswith("refused command: ") for e in failed)
    assert max(len(r.getMessage()) for r in caplog.records) <= BIGGEST_LOG
