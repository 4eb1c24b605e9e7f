"""``rlx capture-server --fault KIND[:EVERY]``: the fault injection the tests use, on the CLI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rlx_lib.errors import ConfigError
from rlx_lib.local.binance import FAULT_KINDS
from workbench.commands import capture

RLX = Path(sys.executable).with_name("rlx")


def test_fault_specs_become_server_positions() -> None:
    assert capture.FAULT_KINDS == FAULT_KINDS
    assert capture.parse_faults(["abort:400", "stall"], total=2500) == [
        *(("abort", n) for n in (400, 800, 1200, 1600, 2000, 2400)),
        ("stall", 1000),
        ("stall", 2000),
    ]
    for spec, reason in [("boom", "kind"), ("close:x", "EVERY"), ("close:5000", "never fire")]:
        with pytest.raises(ConfigError, match=reason):
            capture.parse_faults([spec], total=2500)


def test_capture_against_a_faulty_server_reconnects(data_root: Path) -> None:
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [str(RLX), "capture-server", "--synthetic", "3000", "--rate", "1000", "--port", "0",
         "--fault", "close:1000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        urls = re.search(r"--ws-url (\S+) --rest-url (\S+)", line)
        assert urls, line + server.stderr.read() if server.stderr else line
        done = subprocess.run(
            [str(RLX), "capture", "--symbols", "btcusdt", "--ws-url", urls[1], "--rest-url",
             urls[2], "--duration", "5s", "--data-root", str(data_root)],
            capture_output=True, text=True, env=environment, check=False,
        )  # fmt: skip
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert done.returncode == 0, done.stderr
    reconnects = int(re.search(r"reconnects (\d+)", done.stdout)[1])  # type: ignore[index]
    assert reconnects >= 2, done.stdout
