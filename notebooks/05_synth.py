import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import datetime as dt
    import tempfile
    from pathlib import Path

    import marimo as mo

    from rlx_lib.synth import SynthConfig, synthesize
    from workbench import charts, db
    from workbench.notebook import params

    return Path, SynthConfig, charts, db, dt, mo, params, synthesize, tempfile


@app.cell
def config(Path, SynthConfig, params, tempfile):
    cfg = params(symbol="BTC-USDT", regime="high", minutes=1.0, seed=0, data_root="")
    root = Path(cfg["data_root"] or tempfile.mkdtemp(prefix="rlx_synth_"))
    synth_config = SynthConfig(
        symbols=(cfg["symbol"],), regime=cfg["regime"], minutes=cfg["minutes"], seed=cfg["seed"]
    )
    return cfg, root, synth_config


@app.cell
def _(mo, root, synth_config, synthesize):
    summary = synthesize(synth_config, root)  # live view (golden/) and vendor view (lake/)
    mo.md("\n".join(f"- {line}" for line in summary.lines()))
    return (summary,)


@app.cell
def _(summary):
    summary.injected  # faults injected into each view (none by default)
    return


@app.cell
def _(db, summary):
    database = db.connect(summary.root)
    database.coverage()
    return (database,)


@app.cell
def _(cfg, database):
    live = database.query("capture_summary", symbol=cfg["symbol"])  # the live view's streams
    live
    return (live,)


@app.cell
def _(cfg, database):
    series = database.query("book_series", source="lake_snapshot", symbol=cfg["symbol"])
    return (series,)


@app.cell
def _(charts, series):
    charts.mid_spread_chart(series, title="Vendor book snapshots: mid and spread")
    return


@app.cell
def _(cfg, database, dt, synth_config):
    facts = database.query(
        "window_facts",
        symbol=cfg["symbol"],
        start=synth_config.start,
        end=synth_config.start + dt.timedelta(minutes=synth_config.minutes),
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


if __name__ == "__main__":
    app.run()
