import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import tempfile
    from pathlib import Path

    import marimo as mo

    from workbench import charts, db
    from workbench.demo import DemoContext, run_demo
    from workbench.notebook import params

    return DemoContext, Path, charts, db, mo, params, run_demo, tempfile


@app.cell
def config(DemoContext, Path, params, tempfile):
    cfg = params(minutes=1.0, seed=7, data_root="", out="")
    scratch = Path(tempfile.mkdtemp(prefix="rlx_demo_"))
    context = DemoContext(
        root=Path(cfg["data_root"] or scratch / "data"),
        out=Path(cfg["out"] or scratch / "reports" / "demo"),
        minutes=cfg["minutes"],
        seed=cfg["seed"],
    )
    return (context,)


@app.cell
def _(context, mo, run_demo):
    report = run_demo(context)  # synthesize, then every stage, then the report
    mo.md("\n".join(f"- {line}" for line in context.summary) + f"\n\nReport: `{report}`")
    return (report,)


@app.cell
def _(context, db, report):
    database = db.connect(context.root) if report else None
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
