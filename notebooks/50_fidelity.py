import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    from pathlib import Path

    import marimo as mo

    from rlx_lib.fidelity import evaluate, first_mismatch_levels, get
    from workbench import notebook
    from workbench.fidelity_report import coverage_chart, publish_report
    from workbench.sessions import rebuilt_window

    return (
        Path,
        coverage_chart,
        evaluate,
        first_mismatch_levels,
        get,
        mo,
        notebook,
        publish_report,
        rebuilt_window,
    )


@app.cell
def _(mo):
    mo.md(r"""
    # Fidelity: does the book rebuilt from vendor data match what was seen live?

    One library call per cell; parameters come from `RLX_*` environment variables (see
    `workbench.notebook.params`): `RLX_DATA_ROOT` names a data root holding `golden/` and
    `lake/`, else a fresh synthetic session is used.
    """)
    return


@app.cell
def _(notebook):
    params = notebook.params(
        symbol="BTC-USDT",
        minutes=1.0,
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
    # messages) with the live view (golden) and the vendor view (lake) rebuilt into book/ and
    # events/ through the Binance sync procedure.
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
    # Align once, compute every registered metric, judge against the 0.999 threshold: the
    # verdict, then one row per metric (whole run).
    result = evaluate(window.data_root, symbols=[window.symbol], start=window.start, end=window.end)
    result
    return (result,)


@app.cell
def _(result):
    # The same rows, compact: value, unit, sample size and whether it passed.
    result.metrics_table()
    return


@app.cell
def _(params, result):
    # Resync periods of the live stream (a gap ends one, a snapshot starts the next).
    aligned = result.aligned[params["symbol"]]
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
def _(Path, params, publish_report, result, window):
    # The offline HTML dashboard (also listed in the reports index beside it).
    publish_report(result, Path(params["out"] or window.data_root / "reports" / "fidelity"))
    return


@app.cell
def test_every_metric_computed(params, result):
    metrics = result.metrics_table()
    assert metrics.height == len(result.rows) > 0
    assert set(result.aligned) == {params["symbol"]}


if __name__ == "__main__":
    app.run()
