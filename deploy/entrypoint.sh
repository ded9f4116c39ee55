#!/bin/sh
# The image's entrypoint: `candlecast "$@"`, with one consumer name per container.
# The default name is host-pid; in a container the host name is the container id, stable
# across restarts and unique per replica (`--scale predictor=3`), so it alone is the name.
: "${CANDLECAST_CONSUMER:=${HOSTNAME:-$(cat /etc/hostname)}}"
export CANDLECAST_CONSUMER
exec candlecast "$@"
