"""The `candlecast` command: operator commands, the demo, and the services by entry point."""
