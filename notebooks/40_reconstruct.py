import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import tempfile
    from pathlib import Path

    import altair as alt
    import marimo as mo

    from rlx_lib.reconstruction.pipeline import ReconstructConfig
    from rlx_lib.reconstruction.runner import reconstruct
    from rlx_lib.synth import SynthConfig, synthesize
    from workbench.db import connect
    from workbench.notebook import params

    return (
        Path,
        ReconstructConfig,
        SynthConfig,
        alt,
        connect,
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
def _(Path, SynthConfig, config, synthesize, tempfile):
    # A data root: the one given, else a fresh synthetic session (both views).
    if config["root"]:
        root = Path(config["root"])
    else:
        root = Path(tempfile.mkdtemp(prefix="rlx-reconstruct-"))
        synthesize(
            SynthConfig(
                symbols=(config["symbol"],), minutes=config["minutes"], seed=config["seed"]
            ),
            root,
        )
    root
    return (root,)


@app.cell
def _(ReconstructConfig, config, reconstruct, root):
    # Rebuild the book after every message from both views (skipped when already done).
    summaries = {}
    for source in ("lake", "golden"):
        days = sorted(
            p.name[3:] for p in (root / "golden").glob(f"*/symbol={config['symbol']}/dt=*")
        )
        import datetime as _dt

        dates = [_dt.date.fromisoformat(d) for d in days]
        summaries[source] = reconstruct(
            ReconstructConfig(root=root, source=source), [config["symbol"]], dates
        )
    summaries
    return (summaries,)


@app.cell
def _(config, connect, root):
    # Mid price and spread over the window (DuckDB over book/).
    db = connect(root)
    series = db.query("book_series", source=config["source"], symbol=config["symbol"])
    series
    return db, series


@app.cell
def _(alt, series):
    mid_chart = (
        alt.Chart(series.to_pandas())
        .mark_line()
        .encode(x="origin_time:T", y=alt.Y("mid:Q", scale=alt.Scale(zero=False)))
    )
    spread_chart = alt.Chart(series.to_pandas()).mark_line().encode(x="origin_time:T", y="spread:Q")
    mid_chart & spread_chart
    return


@app.cell
def _(mo, series):
    # Pick a moment: the slider walks through the book states.
    moment = mo.ui.slider(
        0, max(series.height - 1, 0), value=series.height // 2, label="book state"
    )
    moment
    return (moment,)


@app.cell
def _(config, db, moment, series):
    # The ladder at that moment: price levels and cumulative size (the depth chart's data).
    at = series["origin_time"][moment.value]
    ladder = db.query("book_ladder", source=config["source"], symbol=config["symbol"], at=at)
    ladder
    return (ladder,)


@app.cell
def _(alt, ladder):
    depth_chart = (
        alt.Chart(ladder.to_pandas())
        .mark_area(interpolate="step-after", opacity=0.6)
        .encode(
            x=alt.X("price:Q", scale=alt.Scale(zero=False)), y="cumulative_size:Q", color="side:N"
        )
    )
    depth_chart
    return


@app.cell
def _(config, db):
    # The unified event stream: what happened, by kind, from DuckDB over events/.
    db.sql(
        "SELECT source, kind, count(*) AS events, min(origin_time) AS first, max(origin_time) AS last "
        f"FROM events WHERE symbol = '{config['symbol']}' GROUP BY ALL ORDER BY ALL"
    )
    return


if __name__ == "__main__":
    app.run()
