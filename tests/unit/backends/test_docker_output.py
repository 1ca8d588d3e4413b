"""Reading an environment's output: through a named pipe, lines written before the runtime
answered are all delivered by one drain, with no waiting."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from emulator.backends.output import PipeOutput


async def test_a_drain_delivers_every_line_already_in_the_pipe(tmp_path: Path) -> None:
    lines: list[str] = []
    output = PipeOutput(tmp_path / "env", lines.append)
    writer = os.open(tmp_path / "env", os.O_WRONLY)
    try:
        os.write(writer, b"START of handler\nhalf ")
        os.write(writer, b"line\nunterminated")
        await output.drain()
        assert lines == ["START of handler", "half line"]
        await output.finish()
        assert lines == ["START of handler", "half line", "unterminated"]
    finally:
        os.close(writer)
        output.close()


async def test_the_pipe_is_writable_by_others_readable_only_by_lambdock_and_removed_on_close(
    tmp_path: Path,
) -> None:
    output = PipeOutput(tmp_path / "env", lambda line: None)
    mode = (tmp_path / "env").stat().st_mode
    assert stat.S_ISFIFO(mode)
    assert stat.S_IMODE(mode) == 0o622
    output.close()
    output.close()
    assert not (tmp_path / "env").exists()


async def test_a_writer_that_goes_away_does_not_end_the_output(tmp_path: Path) -> None:
    lines: list[str] = []
    output = PipeOutput(tmp_path / "env", lines.append)
    for text in (b"first\n", b"second\n"):
        writer = os.open(tmp_path / "env", os.O_WRONLY)
        os.write(writer, text)
        os.close(writer)
        await output.drain()
    assert lines == ["first", "second"]
    output.close()
