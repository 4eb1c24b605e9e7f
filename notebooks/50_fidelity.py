import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import datetime as dt
    import tempfile
    from pathlib import Path

    import polars as pl

    from rlx_lib.fidelity import evaluate, get
    from rlx_lib.fidelity.metrics.agreement import first_mismatches
    from rlx_lib.reconstruction.pipeline import ReconstructConfig
    from rlx_lib.reconstruction.runner import reconstruct
    from rlx_lib.synth import SynthConfig, VendorFaults, synthesize
    from workbench.fidelity_report import coverage_chart, publish_report
    from workbench.notebook import params

    return (
        Path,
        ReconstructConfig,
        SynthConfig,
        VendorFaults,
        coverage_chart,
        dt,
        evaluate,
        first_mismatches,
        get,
        params,
        pl,
        publish_report,
        reconstruct,
        synthesize,
        tempfile,
    )


@app.cell
def _(params):
    config = params(
        symbol="BTC-USDT", minutes=1.0, seed=7, drop_rate=0.01, root="", day="2024-08-08", out=""
    )
    config
    return (config,)


@app.cell
def _(Path, SynthConfig, VendorFaults, config, dt, synthesize, tempfile):
    # A data root: the one given, else a fresh synthetic session whose vendor view drops messages.
    if config["root"]:
        root = Path(config["root"])
    else:
        root = Path(tempfile.mkdtemp(prefix="rlx-fidelity-"))
        synthesize(
            SynthConfig(
                symbols=(config["symbol"],),
                minutes=config["minutes"],
                seed=config["seed"],
                vendor_faults=VendorFaults(drop_rate=config["drop_rate"]),
            ),
            root,
        )
    day = dt.date.fromisoformat(config["day"])
    root
    return (day, root)


@app.cell
def _(ReconstructConfig, config, day, reconstruct, root):
    # Rebuild both views into book/ and events/ (the live one through the Binance sync procedure).
    rebuilt = {
        source: reconstruct(ReconstructConfig(root=root, source=source), [config["symbol"]], [day])
        for source in ("golden", "lake")
    }
    rebuilt
    return


@app.cell
def _(config, day, dt, evaluate, root):
    # Align once, compute every registered metric, judge against the 0.999 threshold.
    report = evaluate(root, [config["symbol"]], day, day + dt.timedelta(days=1))
    report.verdict.sentence()
    return (report,)


@app.cell
def _(pl, report):
    # Every metric of the whole run: value, unit and sample size.
    pl.DataFrame([r.to_dict() for r in report.whole_run()]).select(
        "name", "value", "unit", "n", "passed"
    )
    return


@app.cell
def _(config, report):
    # Resync periods of the live stream (a gap ends one, a snapshot starts the next).
    aligned = report.aligned[config["symbol"]]
    aligned.periods
    return (aligned,)


@app.cell
def _(aligned, coverage_chart):
    # Where live messages are missing at the vendor and where the books disagree, over time.
    coverage_chart(aligned)
    return


@app.cell
def _(aligned, first_mismatches, pl):
    # The first mismatching state, both books side by side (and the missing message before it).
    mismatches = first_mismatches(aligned, depth=20, limit=1)
    pl.DataFrame(mismatches[0]["levels"]) if mismatches else "every compared state matches"
    return


@app.cell
def _(aligned, get):
    # One metric on its own: the Hawkes fit of aggregate-trade times on both sides.
    get("hawkes_branching_ratio").compute(aligned).detail
    return


@app.cell
def _(Path, config, publish_report, report, root):
    # The offline HTML dashboard (also listed in the reports index beside it).
    out = Path(config["out"]) if config["out"] else root / "reports" / "fidelity"
    publish_report(report, out)
    return


if __name__ == "__main__":
    app.run()
