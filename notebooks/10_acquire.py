import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from rlx_lib.acquisition import acquired_units, acquisition_issues
    from workbench import notebook
    from workbench.coverage import calendar_chart, lake_coverage
    from workbench.sessions import acquired_lake

    return (
        acquired_lake,
        acquired_units,
        acquisition_issues,
        calendar_chart,
        lake_coverage,
        mo,
        notebook,
    )


@app.cell
def _(notebook):
    # data_root: your lake (from `rlx acquire`); when it holds none, a synthetic one is made.
    params = notebook.params(data_root="", symbols="BTC-USDT", minutes=0.2, seed=7)
    params
    return (params,)


@app.cell
def _(acquired_lake, params):
    # Your lake if the data root holds one; otherwise a synthetic vendor view is served from a
    # local S3 server in Crypto Lake's layout and acquired through lakeapi, as `rlx acquire` does.
    data_root = acquired_lake(
        params["data_root"],
        symbols=params["symbols"].split(","),
        minutes=params["minutes"],
        seed=params["seed"],
    )
    return (data_root,)


@app.cell
def _(data_root, mo):
    mo.md(f"Data root: `{data_root}`")
    return


@app.cell
def _(data_root, lake_coverage):
    coverage = lake_coverage(data_root)  # rows and bytes from Parquet footers, through DuckDB
    coverage
    return (coverage,)


@app.cell
def _(calendar_chart, coverage):
    calendar_chart(coverage)
    return


@app.cell
def _(acquired_units, data_root):
    # What each acquired unit recorded: rows, time span, sha256, source (never credentials).
    manifests = acquired_units(data_root)
    manifests
    return (manifests,)


@app.cell
def _(acquisition_issues, data_root):
    # Issue rows the acquisition checks wrote (bad data is data, not an exception).
    issues = acquisition_issues(data_root)
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
