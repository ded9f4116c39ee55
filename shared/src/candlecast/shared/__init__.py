"""candlecast's library: the pure `core`, the `adapters` at its edges, and `settings`."""
