"""Every command, given bad arguments, says so in one line (exit 1) or as a usage error (exit 2);
no Python traceback reaches the user (issue 14: 16 tracebacks, hangs on ranges, silent 0s)."""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from workbench import cli

DAY = ["--start", "2024-08-08", "--end", "2024-08-09"]
FAR = ["--start", "2024-08-08", "--end", "9999-12-31"]
REBUILD = ["reconstruct", "--source", "lake", "--symbols", "BTC-USDT"]

CASES: list[tuple[list[str], int, str]] = [
    ([*REBUILD, *DAY, "--checkpoint-messages", "0"], 2, "--checkpoint-messages"),
    ([*REBUILD, *DAY, "--checkpoint-messages", "-1"], 2, "--checkpoint-messages"),
    ([*REBUILD, *DAY, "--workers", "0"], 2, "--workers"),
    ([*REBUILD, *DAY, "--workers", "-3"], 2, "--workers"),
    ([*REBUILD, *DAY, "--depth", "0"], 2, "--depth"),
    ([*REBUILD, *FAR], 1, "split the range"),
    (["reconstruct", "--source", "lake", "--symbols", "", *DAY], 1, "--symbols is empty"),
    ([*REBUILD, *DAY, "--cluster", "tcp://127.0.0.1:1"], 1, "cannot reach the Dask scheduler"),
    (["acquire", "--symbols", "BTC-USDT", *FAR], 1, "split the range"),
    (["acquire", "--symbols", "", *DAY], 1, "--symbols is empty"),
    (["acquire", "--symbols", "BTC-USDT", *DAY, "--tables", ""], 1, "--tables is empty"),
    (["acquire", "--symbols", "BTC-USDT", *DAY, "--retries", "-1"], 2, "--retries"),
    (["acquire", "--symbols", "BTC-USDT", *DAY, "--endpoint-url", "notaurl"], 1, "http/https"),
    (["validate", "--lake", "--symbols", "BTC-USDT", *FAR], 1, "split the range"),
    (["validate", "--lake", "--symbols", "../x", *DAY], 1, "symbol must look like"),
    (["fidelity", "--symbols", "", *DAY], 1, "--symbols is empty"),
    (["fidelity", "--symbols", "BTC-USDT", *FAR], 1, "split the range"),
    (["fidelity", "--symbols", "BTC-USDT", *DAY, "--threshold", "2"], 2, "--threshold"),
    (["export", "--symbols", "", *DAY, "--out", "x"], 1, "--symbols is empty"),
    (["export", "--symbols", "BTC-USDT", *FAR, "--out", "x"], 1, "split the range"),
    (["capture-server", "--synthetic", "10", "--port", "99999"], 2, "--port"),
    (["capture-server", "--synthetic", "10", "--fault", "boom"], 1, "--fault kind"),
    (["capture-server", "--synthetic", "10", "--fault", "abort:0"], 1, "EVERY"),
    (["capture-server", "--synthetic", "10", "--fault", "abort:50"], 1, "never fire"),
    (["capture-server", "--synthetic", "10", "--rest-failures", "200"], 1, "400-599"),
    (["capture-server", "--synthetic", "-5"], 2, "--synthetic"),
    (["capture", "--ws-url", "notaurl"], 1, "--ws-url must be a ws/wss"),
    (["capture", "--rest-url", "ftp://host"], 1, "--rest-url must be a http/https"),
    (["capture", "--streams", "bogus@x"], 1, "unknown kinds bogus@x"),
    (["capture", "--symbols", ""], 1, "--symbols is empty"),
    (["capture", "--snapshot-limit", "0"], 2, "--snapshot-limit"),
    (["capture", "--flush-interval", "0"], 2, "--flush-interval"),
    (["import", "--format", "hftbacktest", "/etc/passwd"], 1, "no Binance"),
    (["sql", "--limit", "0", "SELECT 1"], 2, "--limit"),
    (["synth", "--seed", "-1"], 2, "--seed"),
    (["demo", "--seed", "-1"], 2, "--seed"),
    (["serve", "--port", "99999"], 2, "--port"),
]


def _run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["rlx", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    return int(exit_info.value.code or 0)


@pytest.mark.parametrize(
    ("args", "code", "reason"), CASES, ids=[" ".join(args)[:70] for args, _, _ in CASES]
)
def test_bad_arguments_are_one_line_or_usage_errors(
    args: list[str],
    code: int,
    reason: str,
    data_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(data_root.parent)
    root = [] if args[0] == "capture-server" else ["--data-root", str(data_root)]
    assert _run(monkeypatch, *args, *root) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert reason in err
    if code == 1:
        assert err.count("\n") == 1, err
    assert not list(data_root.rglob("*.jsonl.zst"))  # nothing captured, nothing half-written


@pytest.mark.parametrize(
    "command",
    [["sql", "SELECT 1"], ["validate"], [*REBUILD, *DAY], ["report"], ["synth"]],
    ids=["sql", "validate", "reconstruct", "report", "synth"],
)
def test_data_root_that_is_a_file_is_one_line(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    assert _run(monkeypatch, *command, "--data-root", str(path)) == 1
    err = capsys.readouterr().err
    assert err == f"rlx: error: the data root {path} is a file, not a folder " + (
        "(--data-root or RLX_DATA_ROOT)\n"
    )


def _commands() -> list[tuple[str, Any]]:
    from typer.main import get_command

    found = []
    for name, command in sorted(get_command(cli.app).commands.items()):
        children = getattr(command, "commands", None)
        found += [(f"{name} {sub}", c) for sub, c in children.items()] if children else []
        found += [] if children else [(name, command)]
    return found


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_option_is_read_by_its_command(name: str, command: Any) -> None:
    """No option is accepted and ignored: the command's body reads every parameter it takes.

    Options that apply in one mode only are refused in the others (see the synth tests)."""
    function = inspect.unwrap(command.callback)
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    nodes = [node for statement in body for node in ast.walk(statement)]
    read = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    refused = {  # names passed to refuse_given(ctx, [...]): given, they are refused
        item.value
        for n in nodes
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "refuse_given"
        for item in ast.walk(n)
        if isinstance(item, ast.Constant) and isinstance(item.value, str)
    }
    read |= refused
    params = [p.name for p in command.params if p.name and p.name != "ctx"]
    assert [p for p in params if p not in read] == []
