"""Read candlecast predictions with plain redis-py (no candlecast install needed).

    python subscribe.py [REDIS_URL] [STREAM] [COUNT]

STREAM is `candlecast:predictions` (every symbol) or `candlecast:predictions:BTCUSDT`.
COUNT 0 follows the stream forever; otherwise stop after COUNT predictions (or 5 s of quiet).
"""

import json
import sys

import redis

url = sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/0"
stream = sys.argv[2] if len(sys.argv) > 2 else "candlecast:predictions"
count = int(sys.argv[3]) if len(sys.argv) > 3 else 0

r = redis.Redis.from_url(url)
last, seen = "0", 0  # "0": from the oldest kept; "$": only what comes next
while count == 0 or seen < count:
    reply = r.xread({stream: last}, block=5_000, count=100)
    if not reply and count:
        break
    for _, entries in reply:
        for entry_id, fields in entries:
            last = entry_id
            p = json.loads(fields[b"__data__"])
            line = f"{p['symbol']} {p['ts']} P(up)={p['prob_up']:.4f} {p['model_version']}"
            if p["forecast"]:  # the last bar of the path: median close and its band
                end = p["forecast"][-1]
                low, high = end["lower"]["close"], end["upper"]["close"]
                line += f" close@{end['ts']}={end['close']:.2f} [{low:.2f}, {high:.2f}]"
            print(line, flush=True)
            seen += 1
