"""The typed stubs (.pyi) of the compiled modules say what the modules hold.

For every compiled module with a stub next to its source, the stub names exactly the
module's public functions and constants (and only private helpers the module has), each
function's parameters in order with the same defaults, and gives every parameter and return
a type.  An editor and a reader follow a call through the stub; this keeps it true.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUBS = sorted(p for folder in ("sim", "benchmarks") for p in (ROOT / folder).rglob("*.pyi"))


def module_name(stub: Path) -> str:
    return ".".join(stub.relative_to(ROOT).with_suffix("").parts)


def public_names(module) -> tuple[set[str], set[str]]:
    """(functions, constants) of a module that do not start with an underscore (classes are
    neither: a stub declares them as classes)."""
    names = [n for n in dir(module) if not n.startswith("_")]
    values = {n: getattr(module, n) for n in names}
    functions = {n for n, v in values.items() if callable(v) and not inspect.isclass(v)}
    constants = {n for n, v in values.items() if not callable(v) and not inspect.ismodule(v)}
    return functions, constants


def stub_defs(stub: Path) -> tuple[dict[str, ast.FunctionDef], set[str]]:
    """(functions by name, annotated constants) declared at the top of a stub."""
    tree = ast.parse(stub.read_text())
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    constants = {n.target.id for n in tree.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    return functions, constants


def test_the_compiled_modules_python_calls_have_stubs():
    assert {module_name(s) for s in STUBS} >= {
        "sim.core._firm",
        "sim.core._tally",
        "sim.core._book",
        "sim.core._policy",
        "sim.core._bounds",
        "sim.core._threads",
        "benchmarks.refv1._kernels",
    }


@pytest.mark.parametrize("stub", STUBS, ids=module_name)
def test_a_stub_names_exactly_the_public_functions_and_constants(stub):
    module = importlib.import_module(module_name(stub))
    assert Path(module.__file__).suffix in (".so", ".pyd"), "a stub belongs to a compiled module"
    functions, constants = stub_defs(stub)
    public = {n for n in functions if not n.startswith("_")}
    assert (public, constants) == public_names(module)
    # A stub may also type a private helper the tests call, but only one the module has.
    assert [n for n in set(functions) - public if not hasattr(module, n)] == []


@pytest.mark.parametrize("stub", STUBS, ids=module_name)
def test_a_stub_gives_each_functions_parameters_in_order_with_their_defaults(stub):
    module = importlib.import_module(module_name(stub))
    for name, node in stub_defs(stub)[0].items():
        actual = inspect.signature(getattr(module, name)).parameters
        args = node.args
        declared = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        assert declared == list(actual), name
        defaults = dict(zip([a.arg for a in args.args][len(args.args) - len(args.defaults) :], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        assert {k: ast.literal_eval(v) for k, v in defaults.items()} == {
            k: p.default for k, p in actual.items() if p.default is not inspect.Parameter.empty
        }, name


@pytest.mark.parametrize("stub", STUBS, ids=module_name)
def test_a_stub_types_every_parameter_and_return(stub):
    for name, node in stub_defs(stub)[0].items():
        untyped = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs) if not a.annotation]
        assert untyped == [] and node.returns is not None, name
