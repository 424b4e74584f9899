"""The leaves stay leaves: acd/, bridges/ and assist/ import nothing from gateway/ nor from each other.

Only the gateway composes them (see docs/architecture.md). Every import counts: at module level,
inside functions, under TYPE_CHECKING, relative ones resolved, and importlib.import_module("…").
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEAVES = ("acd", "bridges", "assist")
COMPOSER = "gateway"


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in one file."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the file's package
                base = package[: len(package) - node.level + 1] if node.level <= len(package) else ("<above root>",)
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            else:
                yield node.lineno, node.module or ""
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def violations(leaf: str) -> list[str]:
    forbidden = {COMPOSER, "<above root>", *(other for other in LEAVES if other != leaf)}
    out = []
    for path in sorted((ROOT / leaf).rglob("*.py")):
        for line, module in imported_modules(path):
            if module.split(".")[0] in forbidden:
                out.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    return out


def test_the_leaves_import_neither_the_gateway_nor_each_other():
    present = [leaf for leaf in LEAVES if (ROOT / leaf).is_dir()]
    assert {"acd", "bridges", "assist"} <= set(present)  # the walk must not pass by finding nothing
    problems = [line for leaf in present for line in violations(leaf)]
    assert problems == [], "\n".join(problems)


def test_the_walk_sees_every_kind_of_import(tmp_path, monkeypatch):
    # the checker itself: a leaf importing the gateway in each way is caught, each time
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "acd" / "sub").mkdir(parents=True)
    (tmp_path / "acd" / "sub" / "m.py").write_text(
        "import gateway.keys\n"
        "from bridges import base\n"
        "def f():\n    from gateway.config import schema\n"
        "from ... import gateway\n"
        "import importlib\nimportlib.import_module('assist.x')\n"
        "from .. import model\n"  # inside the leaf: fine
    )
    assert sorted(v.split(": ", 1)[0] for v in violations("acd")) == [f"acd/sub/m.py:{n}" for n in (1, 2, 4, 5, 7)]
