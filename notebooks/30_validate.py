import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from rlx_lib.validation import (
        compare_regimes,
        quality_table,
        regime_samples,
        samples_frame,
        tail_fits,
        validate_regimes,
    )
    from workbench import charts, notebook
    from workbench.sessions import regime_sessions

    return (
        charts,
        compare_regimes,
        mo,
        notebook,
        quality_table,
        regime_samples,
        regime_sessions,
        samples_frame,
        tail_fits,
        validate_regimes,
    )


@app.cell
def _(mo):
    mo.md(r"""
    # 30 validate: data quality and regime comparison

    Synthesizes a short session per regime (`high`, `low`, `weekend`), validates each capture,
    then compares trade sizes and inter-arrival times with KS, Anderson-Darling and energy
    distance (effect sizes beside p-values) and fits power-law tails.
    """)
    return


@app.cell
def _(notebook):
    params = notebook.params(symbol="BTC-USDT", minutes=0.5, seed=7, resamples=199)
    params
    return (params,)


@app.cell
def _(params, regime_sessions):
    # One short synthetic session per regime, each in its own data root.
    roots = regime_sessions(
        params["symbol"],
        ("high", "low", "weekend"),
        minutes=params["minutes"],
        seed=params["seed"],
    )
    roots
    return (roots,)


@app.cell
def _(roots, validate_regimes):
    # Data quality first: every regime's capture validated (the report renders itself).
    reports = validate_regimes(roots)
    reports["high"]
    return (reports,)


@app.cell
def _(quality_table, reports):
    quality = quality_table(reports)
    quality
    return (quality,)


@app.cell
def _(regime_samples, roots):
    # Trade sizes and inter-arrival times of every regime (floats, for statistics only).
    samples = regime_samples(roots)
    return (samples,)


@app.cell
def _(samples, samples_frame):
    long = samples_frame(samples)
    return (long,)


@app.cell
def _(charts, long):
    # Distributions side by side: trade sizes and inter-arrival times (log scale).
    charts.log_distribution_chart(long)
    return


@app.cell
def _(compare_regimes, params, samples):
    # Two-sample tests between regimes, each with its effect size beside the p-value.
    tests = compare_regimes(samples, resamples=params["resamples"])
    tests
    return (tests,)


@app.cell
def _(samples, tail_fits):
    # Power-law tails of trade sizes (Clauset-Shalizi-Newman): exponent with its interval.
    tails = tail_fits(samples)
    tails
    return (tails,)


@app.cell
def test_every_regime_compared(reports, tests):
    assert set(reports) == {"high", "low", "weekend"}
    assert tests.height == 3 * 2 * 3
    assert tests["p_value"].is_between(0, 1).all()


if __name__ == "__main__":
    app.run()
