"""candlecast ingest service."""
