"""`_` is gettext in every module that imports it so; a function that also uses
`_` as a throwaway name (`_, rows = ...`, `pk, _, rest = ...`) turns each of its
messages into a TypeError or an UnboundLocalError: a 500 where the reader should
have read why (the service CSV's bad range and a deleted subscriber's manage link
both did)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from outagewatch.tests.sources import modules


def shadowing_functions(path: Path) -> Iterator[str]:
    for function in ast.walk(ast.parse(path.read_text())):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        nodes = list(ast.walk(function))
        binds = any(isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store) for n in nodes)
        calls = any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_" for n in nodes
        )
        if binds and calls:
            yield f"{path.name}:{function.lineno} {function.name}() binds _ and calls _()"


def test_no_function_hides_gettext_behind_a_throwaway_name():
    found = [problem for path in modules(tests=False) for problem in shadowing_functions(path)]

    assert found == []
