import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    from pathlib import Path

    import marimo as mo

    from rlx_lib.fidelity import evaluate
    from rlx_lib.rl import export, market_env
    from workbench import notebook
    from workbench.rl_report import heat_chart, policy_table
    from workbench.sessions import rebuilt_window

    return (
        Path,
        evaluate,
        export,
        heat_chart,
        market_env,
        mo,
        notebook,
        policy_table,
        rebuilt_window,
    )


@app.cell
def _(mo):
    mo.md(r"""
    # RL readiness: would an agent act and earn the same on the vendor's book as live?

    Reference policies replayed in hftbacktest on both books (`sim_to_real_gap`), the states
    each side visits (`state_coverage`), a tabular Q-learning agent trained on each side
    (`transfer_gap`), the hftbacktest export and the gymnasium environment. One library call per
    cell; parameters come from `RLX_*` environment variables (see `workbench.notebook.params`).
    """)
    return


@app.cell
def _(notebook):
    params = notebook.params(
        symbol="BTC-USDT",
        minutes=0.5,
        seed=7,
        drop_rate=0.01,
        data_root="",
        day="2024-08-08",
        out="",
    )
    params
    return (params,)


@app.cell
def _(params, rebuilt_window):
    # A data root (the one given, else a fresh synthetic session whose vendor view drops
    # messages) with the live view (golden) and the vendor view (lake) rebuilt.
    window = rebuilt_window(
        params["data_root"],
        symbol=params["symbol"],
        day=params["day"],
        minutes=params["minutes"],
        seed=params["seed"],
        drop_rate=params["drop_rate"],
    )
    window.rebuilt
    return (window,)


@app.cell
def _(evaluate, window):
    # The three RL metrics, through fidelity's plugin registry (entry points).
    report = evaluate(
        window.data_root,
        symbols=[window.symbol],
        start=window.start,
        end=window.end,
        metrics=["sim_to_real_gap", "state_coverage", "transfer_gap"],
    )
    report.metrics_table()
    return (report,)


@app.cell
def _(policy_table, report):
    # Per policy: live against vendor, the gap and its bootstrap interval, PASS/FAIL at 0.05.
    policy_table(report.record("sim_to_real_gap").detail)
    return


@app.cell
def _(heat_chart, report):
    # Where each side's book spends its time: spread bin by L1-imbalance bin.
    heat_chart(report.record("state_coverage").detail["heat"])
    return


@app.cell
def _(Path, export, params, window):
    # The vendor reconstruction as hftbacktest feed files (BacktestAsset().data([...]) loads them).
    exported = export(
        window.data_root,
        symbols=[window.symbol],
        start=window.start,
        end=window.end,
        source="lake",
        out=Path(params["out"] or window.data_root / "exports"),
    )
    exported
    return (exported,)


@app.cell
def _(market_env, window):
    # A gymnasium environment over the live window (hftbacktest underneath).
    env = market_env(window.data_root, symbol=window.symbol, start=window.start, end=window.end)
    env.reset(seed=0)
    return (env,)


@app.cell
def test_rl_metrics_computed(env, exported, report):
    names = set(report.metrics_table()["name"])
    assert {"sim_to_real_gap", "state_coverage", "transfer_gap"} <= names
    assert exported.ok
    assert env.observation_space.contains(env.reset(seed=0)[0])


if __name__ == "__main__":
    app.run()
