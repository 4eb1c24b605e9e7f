import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import datetime as dt
    import tempfile
    from pathlib import Path

    import marimo as mo

    from rlx_lib.synth import DEFAULT_START, synthesize
    from workbench import charts, db, notebook

    return DEFAULT_START, Path, charts, db, dt, mo, notebook, synthesize, tempfile


@app.cell
def _(Path, notebook, tempfile):
    params = notebook.params(symbol="BTC-USDT", regime="high", minutes=1.0, seed=0, data_root="")
    data_root = Path(params["data_root"] or tempfile.mkdtemp(prefix="rlx_synth_"))
    return data_root, params


@app.cell
def _(data_root, params, synthesize):
    # The live view (golden/) and the vendor view (lake/) of one simulated session.
    result = synthesize(
        data_root,
        symbols=[params["symbol"]],
        regime=params["regime"],
        minutes=params["minutes"],
        seed=params["seed"],
    )
    result
    return (result,)


@app.cell
def _(result):
    result.injected  # faults injected into each view (none by default)
    return


@app.cell
def _(data_root, db):
    database = db.connect(data_root)
    database.coverage()
    return (database,)


@app.cell
def _(database, params):
    live = database.query("capture_summary", symbol=params["symbol"])  # the live view's streams
    live
    return (live,)


@app.cell
def _(database, params):
    series = database.query("book_series", source="lake_snapshot", symbol=params["symbol"])
    return (series,)


@app.cell
def _(charts, series):
    charts.mid_spread_chart(series, title="Lake's book snapshots: mid and spread")
    return


@app.cell
def _(DEFAULT_START, database, dt, params):
    facts = database.query(
        "window_facts",
        symbol=params["symbol"],
        start=DEFAULT_START,
        end=DEFAULT_START + dt.timedelta(minutes=params["minutes"]),
    )
    facts
    return (facts,)


@app.cell
def test_vendor_book_is_never_crossed(series):
    assert series.height > 0
    assert (series["spread"] > 0).all()


@app.cell
def test_live_view_has_depth_and_trades(live):
    streams = set(live["stream"])
    assert {"depth@100ms", "trade"} <= streams


@app.cell
def test_every_symbol_written(result):
    assert result.ok
    assert result.to_frame()["level_changes"].min() > 0


if __name__ == "__main__":
    app.run()
