import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from rlx_lib.synth import REGIMES
    from workbench import charts, notebook, regimes

    return REGIMES, charts, mo, notebook, regimes


@app.cell
def _(notebook):
    params = notebook.params(
        symbol="BTC-USDT", regime_a="high", regime_b="low", minutes=1.0, seed=0
    )
    return (params,)


@app.cell
def _(REGIMES, mo, params):
    symbol = mo.ui.dropdown(["BTC-USDT", "ETH-USDT"], value=params["symbol"], label="symbol")
    regime_a = mo.ui.dropdown(sorted(REGIMES), value=params["regime_a"], label="regime A")
    regime_b = mo.ui.dropdown(sorted(REGIMES), value=params["regime_b"], label="regime B")
    seconds = int(params["minutes"] * 60)
    window = mo.ui.range_slider(0, seconds, value=[0, seconds], label="window (s)")
    mo.hstack([symbol, regime_a, regime_b, window])
    return regime_a, regime_b, symbol, window


@app.cell
def _(regimes, window):
    start, end = regimes.window_bounds(window.value)
    return end, start


@app.cell
def _(params, regime_a, regime_b, regimes, symbol):
    # One synthetic session per regime (synthesized once), labelled A and B.
    roots = regimes.labelled_sessions(
        symbol.value,
        (regime_a.value, regime_b.value),
        minutes=params["minutes"],
        seed=params["seed"],
    )
    roots
    return (roots,)


@app.cell
def _(end, regimes, roots, start, symbol):
    facts = regimes.window_facts(roots, symbol=symbol.value, start=start, end=end)
    facts
    return (facts,)


@app.cell
def _(end, regimes, roots, start, symbol):
    trades = regimes.window_trades(roots, symbol=symbol.value, start=start, end=end)
    return (trades,)


@app.cell
def _(charts, trades):
    charts.distribution_chart(trades, column="gap_ms", title="Time between trades (ms)")
    return


@app.cell
def _(charts, trades):
    charts.distribution_chart(trades, column="log10_size", title="Trade size (log10)")
    return


@app.cell
def _(regimes, roots, trades):
    tests = regimes.window_tests(trades, tuple(roots))
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
