import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from rlx_lib.acquisition.inventory import acquired_units, acquisition_issues
    from workbench.coverage import calendar_chart, lake_coverage
    from workbench.notebook import params
    from workbench.sessions import acquired_lake

    return (
        acquired_lake,
        acquired_units,
        acquisition_issues,
        calendar_chart,
        lake_coverage,
        mo,
        params,
    )


@app.cell
def _(params):
    # data_root: your lake (from `rlx acquire`); when it holds none, a synthetic one is made.
    config = params(data_root="", symbols="BTC-USDT", minutes=0.2, seed=7)
    config
    return (config,)


@app.cell
def _(acquired_lake, config):
    # Your lake if the data root holds one; otherwise a synthetic vendor view is served from a
    # local S3 server in Crypto Lake's layout and acquired through lakeapi, as `rlx acquire` does.
    root = acquired_lake(
        config["data_root"],
        symbols=config["symbols"].split(","),
        minutes=config["minutes"],
        seed=config["seed"],
    )
    return (root,)


@app.cell
def _(mo, root):
    mo.md(f"Data root: `{root}`")
    return


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
def _(acquired_units, root):
    # What each acquired unit recorded: rows, time span, sha256, source (never credentials).
    manifests = acquired_units(root)
    manifests
    return (manifests,)


@app.cell
def _(acquisition_issues, root):
    # Issue rows the acquisition checks wrote (bad data is data, not an exception).
    issues = acquisition_issues(root)
    return (issues,)


@app.cell
def _(issues):
    issues.group_by("check", "severity").len().sort("check")
    return


@app.cell
def test_lake_acquired_and_listed(coverage, manifests):
    assert coverage.height > 0
    assert manifests.height == coverage.height


if __name__ == "__main__":
    app.run()
