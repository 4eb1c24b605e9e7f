import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import datetime as dt
    import tempfile
    from pathlib import Path

    import marimo as mo

    from rlx_lib import catalog
    from rlx_lib.reconstruction import reconstruct
    from rlx_lib.synth import synthesize
    from workbench import charts, notebook
    from workbench.db import connect

    return (
        Path,
        catalog,
        charts,
        connect,
        dt,
        mo,
        notebook,
        reconstruct,
        synthesize,
        tempfile,
    )


@app.cell
def _(notebook):
    params = notebook.params(symbol="BTC-USDT", minutes=1.0, seed=7, source="lake", data_root="")
    params
    return (params,)


@app.cell
def _(Path, params, tempfile):
    # A data root: the one given, else a fresh folder for a synthetic session.
    data_root = Path(params["data_root"] or tempfile.mkdtemp(prefix="rlx-reconstruct-"))
    data_root
    return (data_root,)


@app.cell
def _(data_root, params, synthesize):
    # Both views of a synthetic session (skipped when the data root already holds them).
    session = synthesize(
        data_root, symbols=[params["symbol"]], minutes=params["minutes"], seed=params["seed"]
    )
    return (session,)


@app.cell
def _(catalog, dt, params, session):
    days = catalog.days(session.root, "golden", symbol=params["symbol"])
    start, end = days[0], days[-1] + dt.timedelta(days=1)
    days
    return end, start


@app.cell
def _(data_root, end, params, reconstruct, start):
    # The book after every message, rebuilt from the vendor view.
    from_lake = reconstruct(
        data_root, source="lake", symbols=[params["symbol"]], start=start, end=end
    )
    from_lake
    return (from_lake,)


@app.cell
def _(data_root, end, params, reconstruct, start):
    # The same, rebuilt from the live (golden) view through Binance's sync procedure.
    from_golden = reconstruct(
        data_root, source="golden", symbols=[params["symbol"]], start=start, end=end
    )
    from_golden
    return (from_golden,)


@app.cell
def _(connect, data_root, from_golden, from_lake):
    db = connect(data_root)  # after both rebuilds, so the views see their output
    (from_lake, from_golden)
    return (db,)


@app.cell
def _(db, params):
    # Mid price and spread over the window (DuckDB over book/).
    series = db.query("book_series", source=params["source"], symbol=params["symbol"])
    series
    return (series,)


@app.cell
def _(charts, series):
    charts.mid_spread_chart(series)
    return


@app.cell
def _(mo, series):
    # Pick a moment: the slider walks through the book states.
    moment = mo.ui.slider(0, max(series.height - 1, 0), value=series.height // 2, label="state")
    moment
    return (moment,)


@app.cell
def _(db, moment, params, series):
    # The ladder at that moment: price levels and cumulative size.
    ladder = db.query(
        "book_ladder",
        source=params["source"],
        symbol=params["symbol"],
        at=series["origin_time"][moment.value],
    )
    ladder
    return (ladder,)


@app.cell
def _(charts, ladder):
    charts.ladder_chart(ladder) | charts.depth_chart(ladder)
    return


@app.cell
def _(db, params):
    # The unified event stream: what happened, by source and kind (DuckDB over events/).
    db.query("events_summary", symbol=params["symbol"])
    return


@app.cell
def test_both_sources_rebuilt_every_state(db, params):
    counts = {
        source: db.query("book_series", source=source, symbol=params["symbol"]).height
        for source in ("lake", "golden")
    }
    assert counts["lake"] > 0
    assert counts["golden"] > 0


if __name__ == "__main__":
    app.run()
