"""candlecast features service."""
