import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import tempfile
    from pathlib import Path

    import marimo as mo

    from workbench import charts, db, notebook
    from workbench.demo import Demo, run_demo

    return Demo, Path, charts, db, mo, notebook, run_demo, tempfile


@app.cell
def parameters(Demo, Path, notebook, tempfile):
    params = notebook.params(minutes=1.0, seed=7, data_root="", out="")
    scratch = Path(tempfile.mkdtemp(prefix="rlx_demo_"))
    demo = Demo(
        root=Path(params["data_root"] or scratch / "data"),
        out=Path(params["out"] or scratch / "reports" / "demo"),
        minutes=params["minutes"],
        seed=params["seed"],
    )
    return (demo,)


@app.cell
def _(demo, mo, run_demo):
    steps = []
    report = run_demo(demo, say=steps.append)  # synthesize, then every stage, then the report
    mo.md("\n".join(f"- {line}" for line in steps) + f"\n\nReport: `{report}`")
    return (report,)


@app.cell
def _(db, demo, report):
    database = db.connect(demo.root) if report else None
    database.coverage()
    return (database,)


@app.cell
def _(database):
    books = database.query("book_symbols")
    books
    return (books,)


@app.cell
def _(books, database):
    series = database.query("book_series", source=books["source"][0], symbol=books["symbol"][0])
    return (series,)


@app.cell
def _(charts, series):
    charts.mid_spread_chart(series)
    return


@app.cell
def test_demo_book_is_never_crossed(series):
    assert series.height > 0
    assert (series["spread"] > 0).all()


@app.cell
def test_demo_report_exists(report):
    assert report.name == "index.html"
    assert report.stat().st_size > 0


if __name__ == "__main__":
    app.run()
