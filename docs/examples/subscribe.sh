#!/bin/sh
# Read the oldest N predictions with redis-cli: subscribe.sh [HOST] [PORT] [STREAM] [N]
# Each entry prints as its id, the field name __data__, then the PredictionMade JSON.
# Follow new ones instead with: redis-cli XREAD BLOCK 0 STREAMS candlecast:predictions '$'
redis-cli -h "${1:-127.0.0.1}" -p "${2:-6379}" --raw XREAD COUNT "${4:-10}" STREAMS "${3:-candlecast:predictions}" 0
