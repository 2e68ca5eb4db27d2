"""The package's shape: the answer strategies stay small enough to read in one sitting, and
no module imports one that imports it back (directly or through others)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
MODULE_LINES = 400
CLASS_LINES = 200


def test_every_answer_module_and_class_reads_in_one_sitting():
    for path in sorted((PACKAGE / "answer").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert len(source.splitlines()) <= MODULE_LINES, path.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno - node.lineno + 1 <= CLASS_LINES, f"{path.name}: {node.name}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The package modules `path` imports, at its top level or inside a function."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package.split(".")[:len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        found |= {m for m in (target, *(f"{target}.{a.name}" for a in node.names)) if m in modules and m != name}
    return found


def test_no_module_of_the_package_imports_itself_back():
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: _imports(path, set(paths)) for name, path in paths.items()}

    def reaches(start: str, goal: str) -> list[str] | None:
        seen, todo = set(), [(start, [start])]
        while todo:
            node, trail = todo.pop()
            for nxt in graph[node]:
                if nxt == goal:
                    return trail + [nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append((nxt, trail + [nxt]))
        return None

    cycles = [trail for name in graph if (trail := reaches(name, name))]
    assert not cycles, cycles[0]
