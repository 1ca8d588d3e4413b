"""`python -m emulator` runs the lambdock command line."""

from emulator.cli import main

raise SystemExit(main())
