"""candlecast's common package: messages, stream names, settings, feature library, storage."""
