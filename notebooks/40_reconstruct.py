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
    from workbench import charts
    from workbench.db import connect
    from workbench.notebook import params

    return (
        Path,
        catalog,
        charts,
        connect,
        dt,
        mo,
        params,
        reconstruct,
        synthesize,
        tempfile,
    )


@app.cell
def _(params):
    config = params(symbol="BTC-USDT", minutes=1.0, seed=7, source="lake", root="")
    config
    return (config,)


@app.cell
def _(Path, config, tempfile):
    # A data root: the one given, else a fresh folder for a synthetic session.
    root = Path(config["root"] or tempfile.mkdtemp(prefix="rlx-reconstruct-"))
    root
    return (root,)


@app.cell
def _(config, root, synthesize):
    # Both views of a synthetic session (skipped when the data root already holds them).
    session = synthesize(
        root, symbols=[config["symbol"]], minutes=config["minutes"], seed=config["seed"]
    )
    return (session,)


@app.cell
def _(catalog, config, dt, session):
    days = catalog.days(session.root, "golden", symbol=config["symbol"])
    start, end = days[0], days[-1] + dt.timedelta(days=1)
    days
    return end, start


@app.cell
def _(config, end, reconstruct, root, start):
    # The book after every message, rebuilt from the vendor view.
    from_lake = reconstruct(root, source="lake", symbols=[config["symbol"]], start=start, end=end)
    from_lake
    return (from_lake,)


@app.cell
def _(config, end, reconstruct, root, start):
    # The same, rebuilt from the live (golden) view through Binance's sync procedure.
    from_golden = reconstruct(
        root, source="golden", symbols=[config["symbol"]], start=start, end=end
    )
    from_golden
    return (from_golden,)


@app.cell
def _(connect, from_golden, from_lake, root):
    db = connect(root)  # after both rebuilds, so the views see their output
    (from_lake, from_golden)
    return (db,)


@app.cell
def _(config, db):
    # Mid price and spread over the window (DuckDB over book/).
    series = db.query("book_series", source=config["source"], symbol=config["symbol"])
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
def _(config, db, moment, series):
    # The ladder at that moment: price levels and cumulative size.
    ladder = db.query(
        "book_ladder",
        source=config["source"],
        symbol=config["symbol"],
        at=series["origin_time"][moment.value],
    )
    ladder
    return (ladder,)


@app.cell
def _(charts, ladder):
    charts.ladder_chart(ladder) | charts.depth_chart(ladder)
    return


@app.cell
def _(config, db):
    # The unified event stream: what happened, by source and kind (DuckDB over events/).
    db.query("events_summary", symbol=config["symbol"])
    return


@app.cell
def test_both_sources_rebuilt_every_state(config, db):
    counts = {
        source: db.query("book_series", source=source, symbol=config["symbol"]).height
        for source in ("lake", "golden")
    }
    assert counts["lake"] > 0
    assert counts["golden"] > 0


if __name__ == "__main__":
    app.run()
