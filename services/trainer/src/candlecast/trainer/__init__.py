"""candlecast trainer service."""
