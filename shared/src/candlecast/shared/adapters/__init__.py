"""The edges: Redis Streams, the service runner, the bar store, bar files, the model registry."""
