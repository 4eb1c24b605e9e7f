import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import tempfile
    from pathlib import Path

    import altair as alt
    import marimo as mo
    import polars as pl

    from rlx_lib.synth import SynthConfig, synthesize
    from rlx_lib.validation.loader import trade_samples
    from rlx_lib.validation.resume import validate_golden
    from rlx_lib.validation.stats import compare, power_law
    from workbench.notebook import params

    return (
        Path,
        SynthConfig,
        alt,
        compare,
        mo,
        params,
        pl,
        power_law,
        synthesize,
        tempfile,
        trade_samples,
        validate_golden,
    )


@app.cell
def _(params):
    config = params(symbol="BTC-USDT", minutes=0.5, seed=7, resamples=199)
    config
    return (config,)


@app.cell
def _(Path, SynthConfig, config, synthesize, tempfile):
    # One short synthetic session per regime, each in its own data root.
    workdir = Path(tempfile.mkdtemp(prefix="rlx-validate-"))
    regimes = ("high", "low", "weekend")
    roots = {}
    for regime in regimes:
        roots[regime] = workdir / regime
        synthesize(
            SynthConfig(
                symbols=(config["symbol"],),
                regime=regime,
                minutes=config["minutes"],
                seed=config["seed"],
            ),
            roots[regime],
            views=("golden",),
        )
    return regimes, roots


@app.cell
def _(regimes, roots, validate_golden):
    # Data quality first: every regime's capture validated (the report renders itself).
    reports = {regime: validate_golden([roots[regime] / "golden"]) for regime in regimes}
    reports["high"]
    return (reports,)


@app.cell
def _(pl, regimes, reports):
    quality = pl.DataFrame(
        [
            {
                "regime": regime,
                "symbol": name,
                **{k: v for k, v in s.items() if not isinstance(v, dict | list)},
            }
            for regime in regimes
            for name, s in reports[regime].symbols.items()
        ]
    )
    quality
    return (quality,)


@app.cell
def _(pl, regimes, roots, trade_samples):
    samples = {
        regime: trade_samples(sorted((roots[regime] / "golden").rglob("*.jsonl.zst")))
        for regime in regimes
    }
    long = pl.concat(
        [
            pl.DataFrame({"regime": regime, "measure": measure, "value": values})
            for regime in regimes
            for measure, values in samples[regime].items()
            if measure != "price" and values
        ]
    )
    return long, samples


@app.cell
def _(alt, long, pl):
    # Distributions side by side: trade sizes and inter-arrival times (log scale).
    chart = (
        alt.Chart(long.filter(pl.col("value") > 0))
        .transform_calculate(log10="log(datum.value) / LN10")
        .mark_bar(opacity=0.6)
        .encode(
            x=alt.X("log10:Q", bin=alt.Bin(maxbins=40), title="log10(value)"),
            y=alt.Y("count():Q", stack=None),
            color="regime:N",
            column="measure:N",
        )
        .properties(width=280, height=200)
    )
    chart
    return


@app.cell
def _(compare, config, pl, samples):
    # Two-sample tests between regimes, each with its effect size beside the p-value.
    rows = []
    for left, right in (("high", "low"), ("high", "weekend"), ("low", "weekend")):
        for measure in ("size", "inter_arrival_ms"):
            for result in compare(
                samples[left][measure], samples[right][measure], resamples=config["resamples"]
            ):
                rows.append({"pair": f"{left} vs {right}", "measure": measure, **result.to_dict()})
    tests = pl.DataFrame(rows)
    tests
    return (tests,)


@app.cell
def _(pl, power_law, regimes, samples):
    # Power-law tails of trade sizes (Clauset-Shalizi-Newman): exponent with its interval.
    tails = pl.DataFrame(
        [{"regime": regime, **power_law(samples[regime]["size"]).to_dict()} for regime in regimes]
    )
    tails
    return (tails,)


if __name__ == "__main__":
    app.run()
