import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import datetime as dt
    import tempfile
    from pathlib import Path

    import marimo as mo
    import polars as pl

    from rlx_lib.synth import SynthConfig, synthesize
    from rlx_lib.synth.regimes import REGIMES
    from workbench import charts, db
    from workbench.notebook import params
    from workbench.pages.regimes import compare_windows

    return (
        Path,
        REGIMES,
        SynthConfig,
        charts,
        compare_windows,
        db,
        dt,
        mo,
        params,
        pl,
        synthesize,
        tempfile,
    )


@app.cell
def config(params):
    cfg = params(symbol="BTC-USDT", regime_a="high", regime_b="low", minutes=1.0, seed=0)
    return (cfg,)


@app.cell
def _(REGIMES, cfg, mo):
    symbol = mo.ui.dropdown(["BTC-USDT", "ETH-USDT"], value=cfg["symbol"], label="symbol")
    regime_a = mo.ui.dropdown(sorted(REGIMES), value=cfg["regime_a"], label="regime A")
    regime_b = mo.ui.dropdown(sorted(REGIMES), value=cfg["regime_b"], label="regime B")
    seconds = int(cfg["minutes"] * 60)
    window = mo.ui.range_slider(0, seconds, value=[0, seconds], label="window (s)")
    mo.hstack([symbol, regime_a, regime_b, window])
    return regime_a, regime_b, symbol, window


@app.cell
def _(Path, SynthConfig, cfg, mo, synthesize, tempfile):
    @mo.cache
    def session(symbol: str, regime: str) -> Path:
        """One synthetic session per symbol and regime, synthesized once."""
        config = SynthConfig(
            symbols=(symbol,), regime=regime, minutes=cfg["minutes"], seed=cfg["seed"]
        )
        return synthesize(
            config, Path(tempfile.mkdtemp(prefix=f"rlx_{regime}_")), views=("lake",)
        ).root

    return (session,)


@app.cell
def _(SynthConfig, dt, window):
    start = SynthConfig().start + dt.timedelta(seconds=window.value[0])
    end = SynthConfig().start + dt.timedelta(seconds=window.value[1])
    return end, start


@app.cell
def _(db, end, pl, regime_a, regime_b, session, start, symbol):
    windows = {
        f"{label}: {regime.value}": db.connect(session(symbol.value, regime.value))
        for label, regime in (("A", regime_a), ("B", regime_b))
    }
    trades = {
        name: database.query("trades_window", symbol=symbol.value, start=start, end=end)
        for name, database in windows.items()
    }
    facts = pl.concat(
        database.query("window_facts", symbol=symbol.value, start=start, end=end).with_columns(
            window=pl.lit(name)
        )
        for name, database in windows.items()
    )
    facts
    return facts, trades


@app.cell
def _(charts, pl, trades):
    both = pl.concat(
        frame.with_columns(window=pl.lit(name), gap_ms=pl.col("gap_ns") / 1e6)
        for name, frame in trades.items()
    )
    charts.distribution_chart(both, column="gap_ms", title="Time between trades (ms)")
    return (both,)


@app.cell
def _(both, charts, pl):
    charts.distribution_chart(
        both.with_columns(log10_size=pl.col("quantity").log10()),
        column="log10_size",
        title="Trade size (log10)",
    )
    return


@app.cell
def _(compare_windows, pl, trades):
    first, second = (frame.with_columns(gap_ms=pl.col("gap_ns") / 1e6) for frame in trades.values())
    tests = compare_windows(first, second)
    tests
    return (tests,)


@app.cell
def test_regimes_are_compared(facts, tests):
    assert facts.height == 2
    assert (facts["trades"] > 0).all()
    assert tests["n_a"].min() > 0
    assert tests["n_b"].min() > 0


if __name__ == "__main__":
    app.run()
