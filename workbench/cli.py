"""The ``rlx`` command line: one command per stage, each a few lines over ``rlx_lib``.

Exit codes: 0 on success, 1 on an :class:`~rlx_lib.errors.RlxError` (one clear line; the
traceback only with ``--debug``), 2 on a usage error. Commands live in ``workbench.commands``,
one module per stage, each with a ``register(app)`` function.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import typer

from rlx_lib.errors import RlxError

__all__ = ["COMMAND_MODULES", "app", "main"]


def _flags_skip_pydantic() -> None:
    """Pass boolean flags through instead of building a pydantic adapter for them.

    Typer builds a pydantic adapter for each parameter it processes, even for a ``--help`` flag
    that was not given (its value None), and importing pydantic costs more than all the rest of
    ``rlx --help``. A flag's value is already a bool or None, which a pass-through keeps as is.
    """
    from typer import _coercion, core

    build = _coercion.build_runtime_param

    def build_runtime_param(descriptor: _coercion.TypeDescriptor) -> _coercion.RuntimeParam:
        if descriptor.annotation is bool and descriptor.file_annotation is None:
            info = descriptor.parameter_info
            return _coercion.PassThroughRuntimeParam(annotation=bool, parameter_info=info)
        return build(descriptor)

    core.build_runtime_param = build_runtime_param


_flags_skip_pydantic()

app = typer.Typer(
    name="rlx",
    help="rlx: a research workbench for crypto market microstructure data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rich's help renderer alone costs more than the 0.5 s goal
)

COMMAND_MODULES = (
    "workbench.commands.bench",
    "workbench.commands.sql",
    "workbench.commands.acquire",
    "workbench.commands.demo",
    "workbench.commands.synth",
    "workbench.commands.capture",
    "workbench.commands.report",
    "workbench.commands.validate",
    "workbench.commands.reconstruct",
    "workbench.commands.fidelity",
    "workbench.commands.compare",
    "workbench.commands.rl",
    "workbench.commands.serve",
    "workbench.commands.notebooks",
)
"""Stage command modules, in the order their commands are listed in ``rlx --help``."""


@app.callback()
def _root() -> None:
    """rlx: a research workbench for crypto market microstructure data."""


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Console entry point: run the app and turn an RlxError into exit code 1."""
    debug = "--debug" in sys.argv or bool(os.environ.get("RLX_DEBUG"))
    if "--debug" in sys.argv:
        sys.argv.remove("--debug")
    try:
        app()
    except RlxError as error:
        if debug:
            traceback.print_exc()
        print(f"rlx: error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
