import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import datetime as dt
    from pathlib import Path

    import marimo as mo

    from rlx_lib.fidelity import evaluate
    from workbench import notebook
    from workbench.fidelity_report import publish_report
    from workbench.phenomena_report import (
        copula_charts,
        depth_profile_chart,
        hawkes_chart,
        mmd_chart,
        pattern_chart,
        phenomena_metrics,
        planted_scores,
    )
    from workbench.sessions import phenomena_session

    return (
        Path,
        copula_charts,
        depth_profile_chart,
        dt,
        evaluate,
        hawkes_chart,
        mmd_chart,
        mo,
        notebook,
        pattern_chart,
        phenomena_metrics,
        phenomena_session,
        planted_scores,
        publish_report,
    )


@app.cell
def _(mo):
    mo.md(r"""
    # HFT phenomena: does the vendor view keep what high-frequency strategies live on?

    Event clustering (multivariate Hawkes), the shape of short paths (signature MMD),
    cross-symbol dependence (copula), the deep book and hidden liquidity, and manipulation
    patterns, each computed on the live and the vendor reconstruction and compared. A fresh
    synthetic session has patterns planted, so the detectors are scored against the truth.
    One library call per cell; parameters come from `RLX_*` environment variables (see
    `workbench.notebook.params`).
    """)
    return


@app.cell
def _(notebook):
    params = notebook.params(
        symbols="BTC-USDT,ETH-USDT",
        day="2024-08-08",
        minutes=0.5,
        seed=1,
        plant_every=10.0,
        window_s=5.0,
        data_root="",
        out="",
    )
    params
    return (params,)


@app.cell
def _(dt, params):
    symbols = params["symbols"].split(",")
    day = dt.date.fromisoformat(params["day"])
    (symbols, day)
    return day, symbols


@app.cell
def _(day, params, phenomena_session, symbols):
    # The data root given, else a planted synthetic session; both sides reconstructed.
    root = phenomena_session(
        params["data_root"],
        symbols=symbols,
        day=day,
        minutes=params["minutes"],
        seed=params["seed"],
        plant_every_s=params["plant_every"],
    )
    root
    return (root,)


@app.cell
def _(params, phenomena_metrics):
    # The phenomena metrics (signature MMD on short windows, so a short session has enough).
    metrics = phenomena_metrics(window_s=params["window_s"])
    [metric.name for metric in metrics]
    return (metrics,)


@app.cell
def _(day, dt, evaluate, metrics, root, symbols):
    # Align each symbol once, compute every phenomena metric on both sides, symbol pairs too.
    report = evaluate(
        root, symbols=symbols, start=day, end=day + dt.timedelta(days=1), metrics=metrics
    )
    report.metrics_table()
    return (report,)


@app.cell
def _(hawkes_chart, report, symbols):
    # Four event types (market buys, market sells, limit adds, cancels): entry (i, j) is how
    # many type-i events one type-j event triggers; live and vendor on one colour scale.
    hawkes_chart(report.record("hawkes_branching_matrix", symbol=symbols[0]))
    return


@app.cell
def _(mmd_chart, report, symbols):
    # Signature MMD² of one-window paths (mid, spread, order-flow imbalance) and its null.
    mmd_chart(report.record("signature_mmd", symbol=symbols[0]))
    return


@app.cell
def _(depth_profile_chart, report, symbols):
    # Share of displayed size by distance from the mid, live above and vendor below.
    depth_profile_chart(report.record("depth_profile_distance", symbol=symbols[0]))
    return


@app.cell
def _(pattern_chart, report, symbols):
    # Spoofing, layering and momentum ignition detected on each side, over exchange time.
    pattern_chart(report.aligned[symbols[0]])
    return


@app.cell
def _(planted_scores, report, root):
    # Each side's detections scored against what was planted (_planted.json).
    scores = planted_scores(root, report)
    scores
    return (scores,)


@app.cell
def _(copula_charts, report, symbols):
    # Rank against rank of the two symbols' grid returns and order-flow imbalance (a pair's
    # row sits under its first symbol).
    copula_charts(report, report.record("copula_tail_dependence", symbol=symbols[0]))
    return


@app.cell
def _(Path, params, publish_report, report, root):
    # The offline HTML dashboard, its phenomena sections included.
    publish_report(report, Path(params["out"] or root / "reports" / "phenomena"))
    return


@app.cell
def test_phenomena_hold_on_a_fault_free_session(report, scores, symbols):
    assert report.record("signature_mmd", symbol=symbols[0]).value == 0.0
    assert report.record("depth_agreement_all", symbol=symbols[0]).value == 1.0
    assert scores.filter(kind="spoofing", symbol=symbols[0])["recall"].min() == 1.0


if __name__ == "__main__":
    app.run()
