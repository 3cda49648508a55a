"""Imports run downward only (docs/architecture.md). import-linter checks the layers
(.importlinter, run by .ci/run: `.venv/bin/lint-imports`); these tests catch what
it cannot: an import of our own code tucked inside a function, which hides an
import loop instead of moving the shared piece down a layer, and a test module
importing another test module instead of a support module or conftest."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from outagewatch.tests.sources import ROOT, modules, our_packages


def imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement names (`from a import b` names a and a.b)."""
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return ["(relative)"]
        return [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
    return [alias.name for alias in node.names]


def function_level_imports(path: Path, packages: set[str]) -> Iterator[str]:
    """Imports of our packages inside a function body, except in an AppConfig's
    ready() (Django's place for code that needs the models loaded)."""

    def visit(node: ast.AST, function: str | None) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from visit(child, child.name)
            elif isinstance(child, ast.Import | ast.ImportFrom):
                ours = [m for m in imported(child) if m.split(".")[0] in packages]
                if function and ours and not (path.name == "apps.py" and function == "ready"):
                    yield f"{path.name}:{child.lineno} imports {ours[0]} inside {function}()"
            else:
                yield from visit(child, function)

    yield from visit(ast.parse(path.read_text()), None)


def test_no_module_imports_our_own_code_inside_a_function():
    packages = set(our_packages())

    found = [
        f"{path.parent.relative_to(ROOT)}/{line}"
        for path in modules(tests=False)
        for line in function_level_imports(path, packages)
    ]

    assert found == [], "move the shared piece down a layer, or use a signal or a registry:\n" + "\n".join(
        found
    )


def test_no_test_module_imports_another_test_module():
    found = []
    for path in modules(tests=True):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [
                    f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"
                    for name in imported(node)
                    if name.rpartition(".")[2].startswith("test_")
                ]

    assert found == [], "put shared helpers in conftest or a tests support module:\n" + "\n".join(found)


def test_the_check_sees_an_import_in_a_function_but_not_in_an_apps_ready(tmp_path):
    views = tmp_path / "views.py"
    views.write_text("from spikes import models\n\ndef view():\n    from spikes.tasks import refresh\n")
    apps = tmp_path / "apps.py"
    apps.write_text("class Config:\n    def ready(self):\n        from spikes import monitoring\n")

    assert list(function_level_imports(views, {"spikes"})) == [
        "views.py:4 imports spikes.tasks inside view()"
    ]
    assert list(function_level_imports(apps, {"spikes"})) == []
