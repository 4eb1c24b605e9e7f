"""The stage-neutral runner: every shape of work in this process, in a pool, on Dask."""

from __future__ import annotations

import operator
import socket
import sys
from pathlib import Path

import pytest

from rlx_lib.errors import ConfigError
from rlx_lib.parallel import check_address, open_pool, run_all
from workbench import cli


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("count", [0, 1, 5])
def test_every_shape_of_work_here_and_in_processes(count: int) -> None:
    calls = ((value, 3) for value in range(count))  # an iterator, consumed once
    expected = [value * 3 for value in range(count)]
    with open_pool() as here:
        assert here is None
        assert list(run_all(operator.mul, calls, pool=here)) == expected
    with open_pool(workers=2) as pool:
        found = run_all(operator.mul, iter([(value, 3) for value in range(count)]), pool=pool)
        assert sorted(found) == expected


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("nonsense", "is not a Dask scheduler address"),
        ("http://127.0.0.1:8786", "is not a Dask scheduler address"),
        ("127.0.0.1:port", "is not a Dask scheduler address"),
        ("tcp://127.0.0.1:{free}", "cannot reach the Dask scheduler at tcp://127.0.0.1:"),
    ],
)
def test_bad_or_unreachable_address_is_one_config_error(address: str, reason: str) -> None:
    address = address.format(free=_free_port())
    with pytest.raises(ConfigError, match=reason) as caught, open_pool(cluster=address):
        pytest.fail("no pool for a bad address")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "command",
    [
        ["reconstruct", "--source", "lake", "--symbols", "BTC-USDT"],
        ["validate", "--lake", "--symbols", "BTC-USDT", "--out", "{out}"],
        ["fidelity", "--symbols", "BTC-USDT", "--out", "{out}"],
    ],
    ids=lambda command: command[0],
)
def test_unreachable_cluster_on_the_command_line_is_one_line(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = _free_port()
    days = ["--start", "2024-08-08", "--end", "2024-08-09"]
    where = ["--cluster", f"tcp://127.0.0.1:{port}", "--data-root", str(tmp_path)]
    command = [part.format(out=tmp_path / "out") for part in command]
    monkeypatch.setattr(sys, "argv", ["rlx", *command, *days, *where])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        f"rlx: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: Connection refused"
    ]


def test_reachable_address_is_returned_unchanged() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        assert check_address(address) == address
