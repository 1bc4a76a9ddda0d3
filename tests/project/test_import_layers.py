"""The package's shape: layers that only import downward, no import cycles, no lazy imports, facades only,
and an engine reading set a learner can finish in one sitting."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tinygrad_sm"

# Lowest first. A module may import its own package and any package on a lower floor, never one above.
FLOORS = {"autograd": 0, "nn": 1, "optim": 1, "viz": 1, "data": 2, "checkpoint": 2, "torch_bridge": 2, "onnx": 2,
          "__init__": 3}
READING_SET = ["autograd/ops.py", "autograd/tensor.py", "autograd/backward.py"]
READING_LIMIT = 650


def module_name(path):
    """'tinygrad_sm.autograd.ops' for tinygrad_sm/autograd/ops.py, 'tinygrad_sm.nn' for nn/__init__.py."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(path):
    return path.name == "__init__.py"


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def top(module):
    """The first-level unit a module belongs to: 'autograd', 'nn', ..., or '__init__' for tinygrad_sm itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def resolve(module, node):
    """The tinygrad_sm modules an import statement in ``module`` names (absolute), each once."""
    here = module if is_package(MODULES[module]) else module.rsplit(".", 1)[0]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "tinygrad_sm"]
    if node.level:
        base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
        target = f"{base}.{node.module}" if node.module else base
    else:
        target = node.module or ""
    if target.split(".")[0] != "tinygrad_sm":
        return []
    names = [f"{target}.{alias.name}" for alias in node.names]
    submodules = [name for name in names if name in MODULES]  # `from . import ops` names a module
    return submodules if len(submodules) == len(names) else [target] + submodules


def imports(module, top_level_only):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    body = tree.body if top_level_only else list(ast.walk(tree))
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [(node.lineno, target) for target in resolve(module, node)]
    return found


def exported(package):
    """The names in a package's ``__all__`` (its facade), read without importing it."""
    for node in ast.parse(MODULES[package].read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def test_every_module_is_on_a_floor():
    assert {top(m) for m in MODULES} <= set(FLOORS), sorted({top(m) for m in MODULES} - set(FLOORS))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_climbs_to_a_higher_floor_or_reaches_past_a_facade(module):
    for line, target in imports(module, top_level_only=False):
        mine, theirs = top(module), top(target)
        assert FLOORS[theirs] <= FLOORS[mine], f"{module}:{line} imports {target}, a higher floor"
        if theirs != mine and mine != "__init__":  # another package: through its facade only
            facade = f"tinygrad_sm.{theirs}"
            through_facade = target == facade or (target.rsplit(".", 1) == [facade, target.rsplit(".", 1)[1]]
                                                  and target.rsplit(".", 1)[1] in exported(facade))
            assert through_facade, f"{module}:{line} imports {target}; import it from the package {facade}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_lazy_imports(module):
    every, top_level = set(imports(module, False)), set(imports(module, True))
    assert every == top_level, f"{module} imports inside a function: {sorted(every - top_level)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not is_package(MODULES[m])))
def test_a_sibling_never_imports_its_own_package_facade(module):
    package = module.rsplit(".", 1)[0]
    for line, target in imports(module, True):
        assert target != package, f"{module}:{line} imports its own package's __init__ ({package})"


def test_no_import_cycles():
    graph = {m: {t for _, t in imports(m, True) if t in MODULES and t != m} for m in MODULES}
    state = {}

    def visit(start):
        stack = [(start, iter(sorted(graph[start])))]
        state[start] = "open"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
            elif state.get(child) == "open":
                cycle = [n for n, _ in stack][[n for n, _ in stack].index(child):] + [child]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(sorted(graph[child]))))

    for m in sorted(graph):
        if m not in state:
            visit(m)


def outside_roots(module):
    """The top-level names of the packages outside tinygrad_sm that ``module`` imports."""
    roots = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            roots.add(node.module.split(".")[0])
    return roots - {"tinygrad_sm"}


STDLIB = {"contextvars", "functools", "inspect", "itertools", "math", "numbers", "operator", "re", "threading", "weakref"}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if top(m) == "autograd"))
def test_the_engine_imports_numpy_and_itself_only(module):
    assert outside_roots(module) <= STDLIB | {"numpy"}


def test_only_the_dot_module_imports_graphviz():
    assert {m for m in MODULES if "graphviz" in outside_roots(m)} == {"tinygrad_sm.viz.dot"}


def test_the_engine_reading_set_fits_one_sitting():
    sizes = {name: len((PACKAGE / name).read_text(encoding="utf-8").splitlines()) for name in READING_SET}
    assert sum(sizes.values()) <= READING_LIMIT, sizes


def test_the_readme_gives_the_reading_set_and_its_true_sizes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in READING_SET:
        lines = len((PACKAGE / name).read_text(encoding="utf-8").splitlines())
        assert f"{Path(name).name} ({lines} lines)" in readme, f"README must say {Path(name).name} ({lines} lines)"


def test_models_use_public_names_only():
    for path in sorted((ROOT / "models").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module.startswith("tinygrad_sm"):
                assert node.module in {"tinygrad_sm", "tinygrad_sm.nn", "tinygrad_sm.optim", "tinygrad_sm.data"}, \
                    f"{path.name}:{node.lineno} imports {node.module}"
                assert not any(a.name.startswith("_") for a in node.names), f"{path.name}:{node.lineno}"
            if isinstance(node, ast.Attribute) and node.attr in ENGINE_PRIVATE:
                pytest.fail(f"{path.name}:{node.lineno} uses the engine's private {node.attr}")


ENGINE_PRIVATE = {"_bump_version", "_op", "_seq", "_version", "_apply", "_wrap", "_lift", "_accumulate",
                  "_retains_grad"}
