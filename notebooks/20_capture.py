import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import tempfile
    from pathlib import Path

    import marimo as mo

    from rlx_lib.capture import (
        capture_gaps,
        capture_latency,
        latency_summary,
        load_capture,
        message_rates,
        session_events,
    )
    from rlx_lib.local.binance import capture_local, synthetic_feed
    from workbench import charts, notebook

    return (
        Path,
        capture_gaps,
        capture_latency,
        capture_local,
        charts,
        latency_summary,
        load_capture,
        message_rates,
        mo,
        notebook,
        session_events,
        synthetic_feed,
        tempfile,
    )


@app.cell
def parameters(notebook):
    # golden: a golden folder to inspect; empty = capture a local synthetic server first
    params = notebook.params(golden="", messages=4000, rate=2000.0, seed=7)
    params
    return (params,)


@app.cell
def _(Path, capture_local, mo, params, synthetic_feed, tempfile):
    # Without a folder: a real capture session against the local Binance-protocol server,
    # with an abrupt disconnect half way, so gaps, a resync and a reconnect show below.
    if params["golden"]:
        folder, summary = Path(params["golden"]), None
    else:
        folder = Path(tempfile.mkdtemp(prefix="rlx_capture_")) / "data"
        feed = synthetic_feed(
            ["btcusdt", "ethusdt"], messages=params["messages"], seed=params["seed"]
        )
        summary = capture_local(
            folder,
            records=feed,
            symbols=("btcusdt", "ethusdt"),
            rate=params["rate"],
            faults=[("abort", params["messages"] // 2)],
        )
    mo.md(f"Golden folder: `{folder}`")
    return folder, summary


@app.cell
def _(summary):
    summary
    return


@app.cell
def _(folder, load_capture):
    frame = load_capture([folder])
    frame.head()
    return (frame,)


@app.cell
def _(frame, message_rates):
    rates = message_rates(frame, every="1s")
    return (rates,)


@app.cell
def _(charts, rates):
    charts.capture_rate_chart(rates)
    return


@app.cell
def _(capture_latency, frame):
    latency = capture_latency(frame)
    return (latency,)


@app.cell
def _(charts, latency):
    charts.capture_latency_chart(latency)
    return


@app.cell
def _(frame, latency_summary):
    latency_summary(frame)
    return


@app.cell
def _(capture_gaps, frame):
    gaps = capture_gaps(frame)
    gaps
    return (gaps,)


@app.cell
def _(frame, session_events):
    events = session_events(frame)
    events
    return (events,)


@app.cell
def _(charts, events, gaps):
    charts.capture_events_chart(events, gaps)
    return


@app.cell
def test_capture_has_every_stream(frame, rates):
    assert frame.height > 0
    assert rates["per_second"].sum() > 0


@app.cell
def test_every_gap_has_a_resync(events, gaps, summary):
    resyncs = events.filter(events["event"] == "resync").height
    depth_gaps = gaps.filter(gaps["kind"].str.starts_with("depth")).height
    assert resyncs >= depth_gaps
    if summary is not None:
        assert summary.reconnects >= 1


if __name__ == "__main__":
    app.run()
