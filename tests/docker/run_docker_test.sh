#!/usr/bin/env bash
# make test-docker: the compose stack on a real Docker engine, end to end.
#
# Builds the four images, `up -d`, waits for every healthcheck, retrains by publishing a
# command (`candlecast retrain --follow` in the trainer), reads predictions with redis-cli in
# the Redis container, scales the predictor to 3 and checks that each replica consumes
# (its consumer in XINFO CONSUMERS, its /metrics messages-in > 0), then `down -v`.
# With no engine answering it says so and exits 0, so `make test` never needs Docker.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! docker info >/dev/null 2>&1; then
  echo "test-docker: no Docker engine answers (docker info failed): skipped"
  exit 0
fi
if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "test-docker: neither docker-compose nor docker compose is installed: skipped"
  exit 0
fi

export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-candlecast-test}
export CANDLECAST_IMAGE_TAG=${CANDLECAST_IMAGE_TAG:-test}
dc=("${compose[@]}" -f docker-compose.yml -f tests/docker/compose.test.yml)
started=$(date +%s)
elapsed() { echo "$(($(date +%s) - started)) s"; }
step() { echo "--- [$(elapsed)] $*"; }
fail() {
  echo "test-docker: FAILED after $(elapsed): $*" >&2
  "${dc[@]}" ps >&2 || true
  "${dc[@]}" logs --tail 40 >&2 || true
  exit 1
}
teardown() { step "down -v"; "${dc[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; }
trap teardown EXIT

redis_cli() { "${dc[@]}" exec -T redis redis-cli --raw "$@"; }

# Health of every container of the given services: "healthy" for all, within $1 seconds.
wait_healthy() {
  local timeout=$1; shift
  local deadline=$(($(date +%s) + timeout)) service id status pending
  while :; do
    pending=""
    for service in "$@"; do
      for id in $("${dc[@]}" ps -q "$service"); do
        status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
        [ "$status" = healthy ] || pending="$pending $service:$status"
      done
    done
    [ -z "$pending" ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || fail "not healthy within ${timeout} s:$pending"
    sleep 3
  done
}

# The container's own metrics: entries the predictor group handed it.
messages_in() {
  docker exec "$1" python -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/metrics', timeout=5).read().decode())" \
    | awk '/^candlecast_messages_in_total\{/ && /group="predictor"/ { n += $NF } END { print n + 0 }'
}

step "build (${compose[*]})"
"${dc[@]}" build >/dev/null || fail "build"
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "candlecast-.*:$CANDLECAST_IMAGE_TAG"

step "up -d"
"${dc[@]}" up -d || fail "up"
wait_healthy 240 redis ingest features trainer scorer
step "redis, ingest, features, trainer and scorer healthy"

for service in ingest features trainer predictor scorer; do
  uid=$("${dc[@]}" exec -T "$service" id -u | tr -d '\r')
  [ "$uid" = 10001 ] || fail "$service runs as uid $uid, not 10001"
done
# The image compiled the feature kernel at build time: loading it here takes well under 5 s.
took=$("${dc[@]}" exec -T features python -c "import time
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import DEFAULT, advance, new_state
started = time.monotonic()
advance(new_state(DEFAULT, '5m'), Bars.empty('warm-up', '5m'))
print(round(time.monotonic() - started, 1))" | tr -d '\r')
echo "features: kernel loaded in $took s (numba cache warmed at build)"
awk -v t="$took" 'BEGIN { exit !(t < 5) }' || fail "the feature kernel took $took s: the numba cache is cold"

step "bars flow: features rows from ingest's synthetic backfill"
for _ in $(seq 60); do
  [ "$(redis_cli XLEN candlecast:features)" -gt 0 ] && break
  sleep 2
done
[ "$(redis_cli XLEN candlecast:features)" -gt 0 ] || fail "no feature rows"

step "retrain: candlecast retrain --trials 2 --force --follow"
"${dc[@]}" exec -T trainer candlecast retrain --trials 2 --force --follow --timeout 600 || fail "retrain"
wait_healthy 120 predictor
step "predictor healthy (a model loaded)"

for _ in $(seq 30); do
  [ "$(redis_cli XLEN candlecast:predictions)" -gt 0 ] && break
  sleep 2
done
[ "$(redis_cli XLEN candlecast:predictions)" -gt 0 ] || fail "no predictions"
for _ in $(seq 60); do
  [ "$(redis_cli XLEN candlecast:scores)" -gt 0 ] && break
  sleep 2
done
[ "$(redis_cli XLEN candlecast:scores)" -gt 0 ] || fail "no live scores from the scorer"
step "the scorer publishes live scores"
echo "latest prediction: $(redis_cli XREVRANGE candlecast:predictions + - COUNT 1 | tail -n 1 | cut -c 1-300)"

step "scale predictor=3"
"${dc[@]}" up -d --no-recreate --scale predictor=3 || fail "scale"
wait_healthy 180 predictor
mapfile -t replicas < <("${dc[@]}" ps -q predictor)
[ "${#replicas[@]}" -eq 3 ] || fail "expected 3 predictor replicas, got ${#replicas[@]}"

# Load: bars of fresh symbols, replayed in ingest at a steady rate, until each replica consumed.
round=0
while :; do
  round=$((round + 1))
  consumed=0
  for id in "${replicas[@]}"; do
    [ "$(messages_in "$id")" -gt 0 ] && consumed=$((consumed + 1))
  done
  [ "$consumed" -eq 3 ] && break
  [ "$round" -le 4 ] || fail "only $consumed of 3 predictor replicas consumed"
  step "load round $round: $consumed of 3 replicas consumed so far"
  "${dc[@]}" exec -T ingest sh -c "candlecast synthetic /tmp/load$round.parquet --symbols LOAD${round}A,LOAD${round}B \
    --timeframe 5m --bars 600 --seed $round >/dev/null && candlecast replay /tmp/load$round.parquet --rate 40" \
    >/dev/null || fail "replay"
  sleep 5
done

consumers=$(redis_cli XINFO CONSUMERS candlecast:features predictor | awk 'prev == "name" { print } { prev = $0 }')
for id in "${replicas[@]}"; do
  name=$(docker inspect -f '{{.Config.Hostname}}' "$id")
  grep -qx "$name" <<<"$consumers" || fail "replica $name is not a consumer of the predictor group: $consumers"
  echo "replica $name: consumer $name, messages in $(messages_in "$id")"
done

step "restart a replica: same consumer name"
docker restart "${replicas[0]}" >/dev/null
wait_healthy 120 predictor
after=$(redis_cli XINFO CONSUMERS candlecast:features predictor | awk 'prev == "name" { print } { prev = $0 }' | sort)
[ "$(sort <<<"$consumers")" = "$after" ] || fail "consumers changed across a restart: $consumers -> $after"

echo "test-docker: PASSED in $(elapsed)"
