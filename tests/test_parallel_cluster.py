"""Scale-out as users start it: real ``dask scheduler`` and ``dask worker`` processes.

Each heavy command runs with ``--cluster tcp://127.0.0.1:<port>`` and its outputs are compared
byte for byte with a serial run over one day and over two (a market that crosses midnight);
one run loses a worker mid-way and still writes the same bytes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbench.cli import app

SYMBOLS = "BTC-USDT,ETH-USDT"
ONE_DAY = ("2024-08-08", "2024-08-09")
TWO_DAYS = ("2024-08-08", "2024-08-10")
DASK = Path(sys.executable).parent
"""The `dask` command of the environment running the tests (3.11 or the 3.13 smoke run)."""


def rlx(*args: str) -> str:
    """Run one ``rlx`` command in this process; its output (it must succeed)."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """Stop a process we started and everything it started (its own session), by pid."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(name="cluster", scope="module")
def fixture_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and two single-threaded worker processes (under a nanny) on 127.0.0.1."""
    distributed = pytest.importorskip("distributed")
    logs = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    commands = [
        [str(DASK / "dask"), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":")[-1]],
        [str(DASK / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1"],
    ]
    started = []
    try:
        for index, command in enumerate(commands):
            log = open(logs / f"{index}.log", "wb")  # noqa: SIM115 (closed with the process)
            started.append(
                (
                    log,
                    subprocess.Popen(
                        [*command, "--no-dashboard", *(["--host", "127.0.0.1"] if index else [])],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    ),
                )
            )
        with distributed.Client(address, timeout="120s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=300)
        yield address
    finally:
        for log, process in reversed(started):
            _stop(process)
            log.close()


@pytest.fixture(name="market", scope="module")
def fixture_market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Half a minute of two symbols across midnight, with a disconnect and vendor drops."""
    root = tmp_path_factory.mktemp("market") / "data"
    rlx(
        "synth", "--symbols", SYMBOLS, "--minutes", "0.5", "--start", "2024-08-08T23:59:45Z",
        "--disconnects", "1", "--drop-rate", "0.01", "--seed", "17", "--data-root", str(root),
    )  # fmt: skip
    return root


def _copy(market: Path, root: Path) -> Path:
    shutil.copytree(market, root)
    return root


def _files(root: Path, *datasets: str) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for dataset in datasets
        for path in sorted((root / dataset).rglob("*"))
        if path.is_file()
    }


def _reconstruct(root: Path, days: tuple[str, str], *extra: str) -> None:
    for source in ("lake", "golden"):
        rlx("reconstruct", "--source", source, "--symbols", SYMBOLS, "--start", days[0],
            "--end", days[1], "--data-root", str(root), *extra)  # fmt: skip


@pytest.mark.parametrize("days", [ONE_DAY, TWO_DAYS], ids=["one_day", "two_days"])
def test_reconstruct_on_cluster_equals_serial(
    days: tuple[str, str], cluster: str, market: Path, tmp_path: Path
) -> None:
    serial, remote = _copy(market, tmp_path / "serial"), _copy(market, tmp_path / "remote")
    _reconstruct(serial, days)
    _reconstruct(remote, days, "--cluster", cluster)
    expected = _files(serial, "events", "book", "drift", "issues")
    assert len([name for name in expected if name.endswith(".parquet")]) >= 4 * len(
        range(int(days[1][-2:]) - int(days[0][-2:]))
    )
    assert _files(remote, "events", "book", "drift", "issues") == expected
    assert not _files(remote, "_work")  # every unit finished and cleaned up


def _validate(root: Path, days: tuple[str, str], out: Path, *extra: str) -> dict[str, bytes]:
    """Validate golden files and vendor tables of ``days``; the report and issue files."""
    golden = root / "golden" / "exchange=BINANCE"
    paths = [str(golden / f"symbol={s}" / f"dt={days[0]}") for s in SYMBOLS.split(",")]
    if days == TWO_DAYS:
        paths = [str(golden)]
    rlx("validate", *paths, "--lake", "--symbols", SYMBOLS, "--start", days[0], "--end", days[1],
        "--out", str(out), "--force", "--data-root", str(root), *extra)  # fmt: skip
    report = json.loads((out / "validation.json").read_text())
    assert report.pop("generated_at")  # the one field that names when it ran
    assert report["issues"]
    assert report["symbols"]
    assert report["lake"]
    found = _files(root, "issues")
    found["validation.json"] = json.dumps(report).encode()
    found["validation.md"] = (out / "validation.md").read_bytes()
    return found


@pytest.mark.parametrize("days", [ONE_DAY, TWO_DAYS], ids=["one_day", "two_days"])
def test_validate_on_cluster_equals_serial(
    days: tuple[str, str], cluster: str, market: Path, tmp_path: Path
) -> None:
    root = _copy(market, tmp_path / "data")
    expected = _validate(root, days, tmp_path / "serial")
    assert _validate(root, days, tmp_path / "remote", "--cluster", cluster) == expected


def _without_run_ids(html: bytes) -> bytes:
    """A report page without what differs between any two renders: Bokeh's random and
    per-process model ids and names, and the minute it was generated."""
    html = re.sub(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", b"id", html)
    html = re.sub(rb'(["\' ])p\d{4,}\b', rb"\1p", html)
    html = re.sub(rb"\b([A-Z][A-Za-z]+)\d{5}\b", rb"\1", html)
    return re.sub(rb"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", b"generated", html)


def _fidelity(root: Path, days: tuple[str, str], *extra: str) -> dict[str, bytes]:
    """Run ``rlx fidelity`` into the same report folder each time; what it wrote."""
    metrics = "depth_agreement_20,message_coverage,trade_match_rate,spread_distribution"
    out = root.parent / "report"
    shutil.rmtree(out, ignore_errors=True)
    rlx("fidelity", "--symbols", SYMBOLS, "--start", days[0], "--end", days[1], "--metrics",
        metrics, "--out", str(out), "--data-root", str(root), *extra)  # fmt: skip
    found = _files(root, "fidelity")
    for name in ("metrics.json", "manifest.json"):
        found[name] = (out / name).read_bytes()
    found["index.html"] = _without_run_ids((out / "index.html").read_bytes())
    return found


@pytest.mark.parametrize("days", [ONE_DAY, TWO_DAYS], ids=["one_day", "two_days"])
def test_fidelity_on_cluster_equals_serial(
    days: tuple[str, str], cluster: str, market: Path, tmp_path: Path
) -> None:
    root = _copy(market, tmp_path / "data")
    _reconstruct(root, days)
    expected = _fidelity(root, days)
    assert len(json.loads(expected["metrics.json"])["metrics"]) == 2 * 4  # both symbols
    assert _fidelity(root, days, "--cluster", cluster) == expected


def _kill_a_busy_worker(address: str, done: threading.Event) -> list[int]:
    """SIGKILL every worker process running a symbol-day (a ``reconstruct_unit`` task) as soon
    as one is; the pids killed."""
    from distributed import Client

    with Client(address, set_as_default=False) as control:
        pids = control.run(os.getpid)
        while not done.is_set():
            busy = [
                worker
                for worker, keys in control.processing().items()
                if any(str(key).startswith("reconstruct_unit") for key in keys)
            ]
            for worker in busy:
                os.kill(pids[worker], signal.SIGKILL)
            if busy:
                return [pids[worker] for worker in busy]
            time.sleep(0.005)
    return []


def test_worker_killed_mid_run_still_writes_identical_output(
    cluster: str, market: Path, tmp_path: Path
) -> None:
    serial, remote = _copy(market, tmp_path / "serial"), _copy(market, tmp_path / "remote")
    every = ("--checkpoint-messages", "5")  # a symbol-day takes a while
    command = ("reconstruct", "--source", "lake", "--symbols", SYMBOLS, "--start", TWO_DAYS[0],
               "--end", TWO_DAYS[1], *every)  # fmt: skip
    rlx(*command, "--data-root", str(serial))
    done, killed = threading.Event(), []
    killer = threading.Thread(target=lambda: killed.extend(_kill_a_busy_worker(cluster, done)))
    killer.start()
    try:
        rlx(*command, "--data-root", str(remote), "--cluster", cluster)
    finally:
        done.set()
        killer.join()
    assert killed, "no worker was running a half-done symbol-day to kill"
    expected = _files(serial, "events", "book", "drift", "issues")
    assert _files(remote, "events", "book", "drift", "issues") == expected
    assert not _files(remote, "_work")
