import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import tempfile
    from pathlib import Path

    import marimo as mo
    import polars as pl

    from rlx_lib.catalog import read_manifest
    from workbench.commands import acquire, synth
    from workbench.coverage import calendar_chart, lake_coverage
    from workbench.demo import DemoContext
    from workbench.notebook import params

    return (
        DemoContext,
        Path,
        acquire,
        calendar_chart,
        lake_coverage,
        mo,
        params,
        pl,
        read_manifest,
        synth,
        tempfile,
    )


@app.cell
def _(params):
    # data_root: your lake (from `rlx acquire`); when it holds none, a synthetic one is made.
    config = params(data_root="", symbols="BTC-USDT", minutes=0.2, seed=7)
    config
    return (config,)


@app.cell
def _(DemoContext, Path, acquire, config, mo, synth, tempfile):
    # Your lake if the data root holds one; otherwise a synthetic vendor view is served from a
    # local S3 server in Crypto Lake's layout and acquired through lakeapi, as `rlx acquire` does.
    root = Path(config["data_root"]) if config["data_root"] else None
    if root is None or not any((root / "lake").glob("**/*.parquet")):
        scratch = Path(tempfile.mkdtemp(prefix="rlx_acquire_"))
        context = DemoContext(
            root=scratch / "data",
            out=scratch / "out",
            symbols=tuple(config["symbols"].split(",")),
            minutes=config["minutes"],
            seed=config["seed"],
        )
        synth.demo_step(context)
        acquire.demo_step(context)
        root = context.root
    mo.md(f"Data root: `{root}`")
    return (root,)


@app.cell
def _(lake_coverage, root):
    coverage = lake_coverage(root)  # rows and bytes from Parquet footers, through DuckDB
    coverage
    return (coverage,)


@app.cell
def _(calendar_chart, coverage):
    calendar_chart(coverage)
    return


@app.cell
def _(pl, read_manifest, root):
    # What each acquired unit recorded: rows, time span, sha256, source (never credentials).
    manifests = pl.DataFrame(
        [
            {
                "table": entry["table"],
                "symbol": entry["symbol"],
                "dt": entry["dt"],
                "rows": entry["rows"],
                "first": entry["received_time_first"],
                "last": entry["received_time_last"],
                "sha256": entry["sha256"][:16],
                "key": entry["source"]["key"],
            }
            for table in ("trades", "book", "book_delta_v2")
            for entry in read_manifest(root, f"lake/{table}")
            if entry.get("stage") == "acquisition"
        ]
    )
    manifests
    return (manifests,)


@app.cell
def _(pl, root):
    # Issue rows the acquisition checks wrote (bad data is data, not an exception).
    files = sorted((root / "issues").glob("**/part-acquisition-*.parquet"))
    issues = (
        pl.concat([pl.read_parquet(f, hive_partitioning=False) for f in files]) if files else None
    )
    issues.group_by("check", "severity").len().sort("check") if issues is not None else "no issues"
    return (issues,)


if __name__ == "__main__":
    app.run()
