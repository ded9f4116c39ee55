"""`candlecast dlq list|show|replay` against a real Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis

from candlecast.cli.main import main
from candlecast.cli.ops.dlq import fetch, replay_one
from candlecast.shared.adapters.wire import encode
from candlecast.shared.core.entries import Entry, Origin, dead_letter
from candlecast.shared.settings import Settings

pytestmark = pytest.mark.redis

JAN_1 = 1_767_225_600_000
# Bytes a re-encoding would change: a float's spelling, spacing, key order and a non-ASCII character.
BAR = b'{"symbol": "AAA", "ts": 1767225600000, "close": 1.10, "open": 1e0, "high": 2, "note": "\xc3\xa9"}'


@pytest.fixture
def env(redis_url, monkeypatch) -> Iterator[tuple[Settings, redis.Redis]]:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", redis_url)
    settings = Settings()
    r = redis.Redis.from_url(redis_url)
    yield settings, r
    r.close()


def put(
    settings: Settings,
    r: redis.Redis,
    data: bytes = BAR,
    reason: str = "schema check failed at low: high < low",
    limit: int = 4_096,
    stream: str | None = None,
) -> str:
    """A dead letter as the services write it; its id on the dlq."""
    origin = Origin(stream or settings.keys.bars, "features", "features")
    dead = dead_letter(origin, Entry("100-0", data), reason, JAN_1, deliveries=2, limit=limit)
    return r.xadd(settings.keys.dlq, {"__data__": encode(dead)}).decode()


def bars(settings: Settings, r: redis.Redis) -> list[bytes]:
    return [fields[b"__data__"] for _, fields in r.xrange(settings.keys.bars)]


def test_list_shows_newest_last_filters_and_counts(env, capsys) -> None:
    settings, r = env
    first = put(settings, r, reason="Malformed JSON: expected value")
    second = put(settings, r, reason="entry of 9 bytes is over the limit", stream=settings.keys.commands)
    third = put(settings, r, reason="malformed json: EOF")
    assert main(["dlq", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:4]] == [first, second, third]
    assert out[1].split()[1:7] == ["2026-01-01", "00:00:00", "features", settings.keys.bars, "100-0", "2"]
    assert out[-1] == f"3 shown of 3 in {settings.keys.dlq}"
    assert main(["dlq", "list", "--reason", "MALFORMED"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:-1]] == [first, third]
    assert out[-1] == f"2 shown of 3 in {settings.keys.dlq}"
    assert main(["dlq", "list", "--stream", "commands"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:-1]] == [second]
    assert main(["dlq", "list", "--limit", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:-1]] == [second, third], "the newest two"


def test_show_prints_the_record_and_refuses_an_unknown_id(env, capsys) -> None:
    settings, r = env
    ident = put(settings, r)
    assert main(["dlq", "show", ident]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["payload"].encode() == BAR
    assert (shown["stream"], shown["entry_id"], shown["deliveries"]) == (settings.keys.bars, "100-0", 2)
    assert main(["dlq", "show", "1-0"]) == 2
    assert capsys.readouterr().err.strip() == f"candlecast: no entry 1-0 in {settings.keys.dlq}"


def test_replay_puts_the_payload_back_byte_for_byte_and_once(env, capsys) -> None:
    settings, r = env
    ident = put(settings, r)
    assert main(["dlq", "replay", "--id", ident]) == 0
    assert "replayed 1, skipped truncated 0, not found 0" in capsys.readouterr().out
    assert bars(settings, r) == [BAR]
    assert r.xlen(settings.keys.dlq) == 0
    assert main(["dlq", "replay", "--id", ident]) == 1, "the second run finds nothing"
    assert "replayed 0, skipped truncated 0, not found 1" in capsys.readouterr().out
    assert main(["dlq", "replay", "--all"]) == 0
    assert bars(settings, r) == [BAR]


def test_a_record_taken_meanwhile_is_not_published_again(env) -> None:
    settings, r = env
    letter = fetch(r, settings.keys.dlq, put(settings, r))
    assert letter is not None
    assert replay_one(r, settings, letter) is not None
    assert replay_one(r, settings, letter) is None, "read before the first replay, replayed after it"
    assert bars(settings, r) == [BAR]


def test_replay_all_skips_a_truncated_record_and_exits_1(env, capsys) -> None:
    settings, r = env
    cut = put(settings, r, data=b'{"x": "' + b"y" * 500 + b'"}', limit=64)
    other = put(settings, r, reason="something else")
    whole = put(settings, r)
    assert main(["dlq", "replay", "--all", "--reason", "SCHEMA check"]) == 1
    out = capsys.readouterr().out
    assert f"skipped {cut}: payload truncated (509 bytes in all" in out
    assert "replayed 1, skipped truncated 1, not found 0" in out
    assert bars(settings, r) == [BAR]
    assert [i.decode() for i, _ in r.xrange(settings.keys.dlq)] == [cut, other]
    assert f"replayed {whole} to {settings.keys.bars} as " in out


def test_dry_run_changes_nothing(env, capsys) -> None:
    settings, r = env
    ident = put(settings, r)
    put(settings, r, data=b'{"x": "' + b"y" * 500 + b'"}', limit=64)
    before = r.xrange(settings.keys.dlq)
    assert main(["dlq", "replay", "--all", "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert f"would replay {ident} to {settings.keys.bars}" in out
    assert "would replay 1, skipped truncated 1, not found 0" in out
    assert r.xrange(settings.keys.dlq) == before
    assert not r.exists(settings.keys.bars)


def test_replay_all_goes_past_one_page(env, capsys) -> None:
    settings, r = env
    pipe = r.pipeline(transaction=False)
    origin = Origin(settings.keys.bars, "features", "features")
    for i in range(1_200):
        reason = "keep me" if i % 2 else "replay me"
        dead = dead_letter(origin, Entry(f"{i}-0", b'{"n": %d}' % i), reason, JAN_1)
        pipe.xadd(settings.keys.dlq, {"__data__": encode(dead)})
    pipe.execute()
    assert main(["dlq", "replay", "--all", "--reason", "replay"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "replayed 600, skipped truncated 0, not found 0"
    assert bars(settings, r) == [b'{"n": %d}' % i for i in range(0, 1_200, 2)], "all of them, in order"
    assert r.xlen(settings.keys.dlq) == 600
