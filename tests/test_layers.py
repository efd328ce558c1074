"""The package's floors: a module imports only from floors below its own (or its own package), so there are no
import loops between packages and serving never pulls in training. Lazy imports inside functions count too."""

import ast
from pathlib import Path

import rerec

# Lowest first. Packages on one floor are siblings and import nothing from each other.
FLOORS = [
    {"config", "assets", "machine", "runtime", "presets", "generation"},
    {"data"},
    {"task"},
    {"models", "rewards"},
    {"training"},
    {"eval"},
    {"serve"},
    {"demo"},
    {"commands", "cli"},
]


def package_of(dotted: str) -> str:
    """`rerec.data.prepare` -> `data`; `rerec.assets` -> `assets`."""
    return dotted.split(".")[1]


def imports(path: Path) -> set[str]:
    """The rerec modules one file imports, `from rerec import assets` read as `rerec.assets`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rerec"):
            found |= {f"{node.module}.{a.name}" for a in node.names} if node.module == "rerec" else {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("rerec.")}
    return found


def test_every_import_goes_down_a_floor_or_stays_in_its_package():
    root = Path(rerec.__file__).parent
    floor = {name: level for level, names in enumerate(FLOORS) for name in names}
    upward = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root.parent).with_suffix("")
        if relative.name == "__init__":
            continue
        own = package_of(".".join(relative.parts))
        assert own in floor, f"{path}: add its package to FLOORS"
        for target in imports(path):
            other = package_of(target)
            if other != own and floor[other] >= floor[own]:
                upward.append(f"{relative} imports {target}")
    assert not upward, upward
