import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import datetime as dt
    from pathlib import Path

    import marimo as mo

    from rlx_lib.fidelity import evaluate, first_mismatch_levels, get
    from rlx_lib.reconstruction import reconstruct
    from workbench.fidelity_report import coverage_chart, publish_report
    from workbench.notebook import params
    from workbench.sessions import fidelity_session

    return (
        Path,
        coverage_chart,
        dt,
        evaluate,
        fidelity_session,
        first_mismatch_levels,
        get,
        mo,
        params,
        publish_report,
        reconstruct,
    )


@app.cell
def _(mo):
    mo.md(r"""
    # Fidelity: does the book rebuilt from vendor data match what was seen live?

    One library call per cell; parameters come from `RLX_*` environment variables (see
    `workbench.notebook.params`).
    """)
    return


@app.cell
def _(params):
    config = params(
        symbol="BTC-USDT", minutes=1.0, seed=7, drop_rate=0.01, root="", day="2024-08-08", out=""
    )
    config
    return (config,)


@app.cell
def _(config, fidelity_session):
    # A data root: the one given, else a fresh synthetic session whose vendor view drops messages.
    root = fidelity_session(
        config["root"],
        symbol=config["symbol"],
        minutes=config["minutes"],
        seed=config["seed"],
        drop_rate=config["drop_rate"],
    )
    root
    return (root,)


@app.cell
def _(config, dt):
    day = dt.date.fromisoformat(config["day"])
    day
    return (day,)


@app.cell
def _(config, day, dt, reconstruct, root):
    # Rebuild the live view into book/ and events/ through the Binance sync procedure.
    from_golden = reconstruct(
        root, source="golden", symbols=[config["symbol"]], start=day, end=day + dt.timedelta(days=1)
    )
    from_golden
    return (from_golden,)


@app.cell
def _(config, day, dt, reconstruct, root):
    # The same from the vendor view.
    from_lake = reconstruct(
        root, source="lake", symbols=[config["symbol"]], start=day, end=day + dt.timedelta(days=1)
    )
    from_lake
    return (from_lake,)


@app.cell
def _(config, day, dt, evaluate, from_golden, from_lake, root):
    # Align once, compute every registered metric, judge against the 0.999 threshold.
    (from_golden, from_lake)  # after both rebuilds
    report = evaluate(root, symbols=[config["symbol"]], start=day, end=day + dt.timedelta(days=1))
    report.verdict.sentence()
    return (report,)


@app.cell
def _(report):
    # Every metric of the whole run: value, unit and sample size.
    report.metrics_table()
    return


@app.cell
def _(config, report):
    # Resync periods of the live stream (a gap ends one, a snapshot starts the next).
    aligned = report.aligned[config["symbol"]]
    aligned.periods
    return (aligned,)


@app.cell
def _(aligned, coverage_chart):
    # Where live messages are missing at the vendor and where the books disagree, over time.
    coverage_chart(aligned)
    return


@app.cell
def _(aligned, first_mismatch_levels):
    # The first mismatching state, both books side by side (no rows: every state matches).
    first_mismatch_levels(aligned, depth=20)
    return


@app.cell
def _(aligned, get):
    # One metric on its own: the Hawkes fit of aggregate-trade times on both sides.
    get("hawkes_branching_ratio").compute(aligned).detail
    return


@app.cell
def _(Path, config, publish_report, report, root):
    # The offline HTML dashboard (also listed in the reports index beside it).
    publish_report(report, Path(config["out"] or root / "reports" / "fidelity"))
    return


@app.cell
def test_every_metric_computed(config, report):
    metrics = report.metrics_table()
    assert metrics.height > 0
    assert set(report.aligned) == {config["symbol"]}


if __name__ == "__main__":
    app.run()
