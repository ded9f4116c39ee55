"""candlecast predictor service."""
