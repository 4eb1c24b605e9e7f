# The two commands a user needs: `make demo` and `make test`. Each bootstraps uv first.
UV := python3 -m uv
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup demo test lint bench serve

setup:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv
	$(UV) sync --frozen --compile-bytecode  # cached bytecode: rlx starts in a fraction of a second

demo: setup
	$(UV) run --frozen rlx demo

test: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen pytest

lint: setup
	$(UV) run --frozen ruff check .

bench: setup
	$(UV) run --frozen rlx bench

serve: setup
	$(UV) run --frozen rlx serve
