# The two commands a user needs: `make demo` and `make test`. Each bootstraps uv first.
UV := python3 -m uv
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup demo test lint bench serve screenshots

setup:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv
	$(UV) sync --frozen --compile-bytecode  # cached bytecode: rlx starts in a fraction of a second

demo: setup
	$(UV) run --frozen rlx demo

test: setup
	@test -x /usr/bin/chromium || command -v chromium >/dev/null 2>&1 || echo "make test: no Chromium here, so the browser tests will be skipped; get Debian's with: sudo apt-get install chromium"
	$(UV) run --frozen ruff check .
	$(UV) run --frozen pytest

lint: setup
	$(UV) run --frozen ruff check .

bench: setup
	$(UV) run --frozen rlx bench

serve: setup
	$(UV) run --frozen rlx serve

screenshots: setup  # PNGs of the demo's reports and every app page, in reports/screenshots/
	test -f reports/demo/index.html || $(UV) run --frozen rlx demo
	$(UV) run --frozen python -m workbench.screenshots
