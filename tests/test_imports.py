"""The import graph of course_lib and autograder has no cycle.

The graph is read from the source, nothing is imported: a node for every
module under course_lib/ and autograder/, and an edge for every import of
another of those modules that runs when the module is loaded. That is every
import at module level, inside top-level ``if``, ``try`` and ``with`` blocks
and class bodies included, absolute or relative. Imports inside a function
body are not counted: they run when the function is called, not when the
module loads. Importing ``a.b.c`` loads ``a`` and ``a.b`` too, so those are
edges as well, except to the importer's own packages, which are already
loading when it runs.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("course_lib", "autograder")


def modules_of(root, packages):
    """Dotted name -> (path, is_package) for every .py file of ``packages`` under ``root``."""
    modules = {}
    for package in packages:
        for path in sorted((Path(root) / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def imports_at_load(tree):
    """The import statements of a module that run when it is loaded: none inside a function."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _named(node, name, is_package, modules):
    """The dotted names an import statement of module ``name`` asks for."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = (name if is_package else name.rpartition(".")[0]).split(".")
        base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module
    # ``from p import x`` asks for module p.x where there is one, else for a name defined in p.
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]


def import_graph(root, packages):
    """Module -> the set of project modules loading it loads directly."""
    modules = modules_of(root, packages)
    graph = {}
    for name, (path, is_package) in modules.items():
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)} | {name}
        edges = set()
        for node in imports_at_load(ast.parse(path.read_text(encoding="utf-8"))):
            for wanted in _named(node, name, is_package, modules):
                parts = wanted.split(".")
                loaded = {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(modules)
                edges |= {m for m in loaded if m not in own}
                if wanted in modules and wanted != name:   # a name defined in one of its own packages
                    edges.add(wanted)
        graph[name] = edges
    return graph


def find_cycle(graph):
    """A cycle of ``graph`` as [a, b, ..., a], or None; the same one on every run."""
    state = {}   # absent: not seen; 1: on the current path; 2: done

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt, path)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node, [])):
            return cycle
    return None


def test_the_import_graph_has_no_cycle():
    graph = import_graph(ROOT, PACKAGES)
    assert len(graph) > 50 and graph["course_lib.modules"]   # the project was read
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_a_planted_cycle_is_found_and_function_imports_are_not_counted(tmp_path):
    files = {
        "__init__.py": "",
        "a.py": "from .b import f\n",
        "b.py": "import pkg.sub.c\n\ndef f():\n    pass\n",
        "sub/__init__.py": "",
        "sub/c.py": "try:\n    from .. import a\nexcept ImportError:\n    pass\n",
        "late.py": "def g():\n    from . import late_partner\n",
        "late_partner.py": "from .late import g\n",
    }
    for rel, text in files.items():
        (tmp_path / "pkg" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / rel).write_text(text)
    graph = import_graph(tmp_path, ["pkg"])
    assert graph["pkg.b"] == {"pkg.sub", "pkg.sub.c"} and graph["pkg.late"] == set()
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]
    (tmp_path / "pkg" / "a.py").write_text("def f():\n    from .b import f\n")
    assert find_cycle(import_graph(tmp_path, ["pkg"])) is None


HEAVY = ("sklearn", "scipy", "matplotlib", "torch", "keras", "ipywidgets")


def test_the_checks_and_the_exercises_references_load_no_heavy_library():
    """A check, the self-check and a hidden suite import these; scikit-learn alone costs over a second."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import course_lib.data, course_lib.walkthrough, course_lib.checks, course_lib.selfcheck\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"loaded at import: {done.stdout.strip()}"
