"""`python -m candlecast.cli ...`, the same as the `candlecast` script."""

from candlecast.cli.main import main

raise SystemExit(main())
