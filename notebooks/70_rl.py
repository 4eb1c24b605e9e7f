import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import datetime as dt
    from pathlib import Path

    import marimo as mo

    from rlx_lib.fidelity import evaluate
    from rlx_lib.reconstruction import reconstruct
    from rlx_lib.rl import export, market_env
    from workbench import notebook
    from workbench.rl_report import heat_chart, policy_table
    from workbench.sessions import fidelity_session

    return (
        Path,
        dt,
        evaluate,
        export,
        fidelity_session,
        heat_chart,
        market_env,
        mo,
        notebook,
        policy_table,
        reconstruct,
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
def _(fidelity_session, params):
    # A data root: the one given, else a fresh synthetic session whose vendor view drops messages.
    data_root = fidelity_session(
        params["data_root"],
        symbol=params["symbol"],
        minutes=params["minutes"],
        seed=params["seed"],
        drop_rate=params["drop_rate"],
    )
    data_root
    return (data_root,)


@app.cell
def _(dt, params):
    day = dt.date.fromisoformat(params["day"])
    day
    return (day,)


@app.cell
def _(data_root, day, dt, params, reconstruct):
    # Rebuild the live view (golden) and the vendor view (lake) into book/ and events/.
    rebuilt = [
        reconstruct(
            data_root,
            source=source,
            symbols=[params["symbol"]],
            start=day,
            end=day + dt.timedelta(days=1),
        )
        for source in ("golden", "lake")
    ]
    rebuilt
    return (rebuilt,)


@app.cell
def _(data_root, day, dt, evaluate, params, rebuilt):
    # The three RL metrics, through fidelity's plugin registry (entry points).
    rebuilt  # after both rebuilds
    report = evaluate(
        data_root,
        symbols=[params["symbol"]],
        start=day,
        end=day + dt.timedelta(days=1),
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
def _(Path, data_root, day, dt, export, params, rebuilt):
    # The vendor reconstruction as hftbacktest feed files (BacktestAsset().data([...]) loads them).
    rebuilt  # after both rebuilds
    exported = export(
        data_root,
        symbols=[params["symbol"]],
        start=day,
        end=day + dt.timedelta(days=1),
        source="lake",
        out=Path(params["out"] or data_root / "exports"),
    )
    exported
    return (exported,)


@app.cell
def _(data_root, day, dt, market_env, params, rebuilt):
    # A gymnasium environment over the live window (hftbacktest underneath).
    rebuilt  # after both rebuilds
    env = market_env(data_root, symbol=params["symbol"], start=day, end=day + dt.timedelta(days=1))
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
