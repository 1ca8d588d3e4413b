"""Commands that need no loaded template or running stack of their own: init, generate-event
and logs (which talks to a running lambdock)."""

from __future__ import annotations

import argparse
from typing import Any

from emulator.commands import generate_event, init, logs

_COMMANDS = {"init": init, "generate-event": generate_event, "logs": logs}


def add_standalone(commands: Any) -> None:
    """Register these subcommands on the main parser's subparsers."""
    for module in _COMMANDS.values():
        module.add_parser(commands)


def run_standalone(args: argparse.Namespace) -> int | None:
    """Run the command if it is one of these; None when it is not."""
    module = _COMMANDS.get(args.command)
    return None if module is None else module.run(args)
