"""The dependency direction of docs/architecture.md, checked on the code's own imports.

``chat, council, workflow → documents → directory → realtime → audit``: an app may import only
the apps below it (lazy imports inside functions count too); chat and council reach workflow
only through its selectors, its typed events and its services; no app imports ``config``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BELOW = {
    "audit": set(),
    "realtime": {"audit"},
    "directory": {"audit", "realtime"},
    "documents": {"audit", "realtime", "directory"},
    "workflow": {"audit", "realtime", "directory", "documents"},
    "chat": {"audit", "realtime", "directory", "documents", "workflow"},
    "council": {"audit", "realtime", "directory", "documents", "workflow"},
}
# What chat and council may take from workflow.
WORKFLOW_SURFACE = {
    "workflow.proposals.selectors",
    "workflow.engine.events",
    "workflow.proposals.services",
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)]
            # "from workflow import selectors" names the module in the alias.
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _violations(app: str) -> list[str]:
    allowed = BELOW[app] | {app}
    bad = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for line, module in _imports(path):
            top = module.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{line} imports {module}"
            outside_surface = (
                app in ("chat", "council")
                and top == "workflow"
                and module != "workflow"
                and not any(module.startswith(s) for s in WORKFLOW_SURFACE)
            )
            if top == "config" or (top in BELOW and top not in allowed) or outside_surface:
                bad.append(where)
    return bad


@pytest.mark.parametrize("app", sorted(BELOW))
def test_an_app_imports_only_the_apps_below_it(app):
    if not (ROOT / app).is_dir():
        pytest.skip(f"{app}/ does not exist in this tree")
    assert _violations(app) == []


def test_the_check_sees_a_lazy_import(tmp_path, monkeypatch):
    # The check itself must be able to fail: a function-level import of workflow in documents.
    fake = tmp_path / "documents"
    fake.mkdir()
    (fake / "hooks.py").write_text("def f():\n    from workflow import selectors\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert _violations("documents") == [
        "documents/hooks.py:2 imports workflow",
        "documents/hooks.py:2 imports workflow.selectors",
    ]


# Inside workflow: each concept imports only the ones below it. The engine core knows no
# concept; the authority table knows only the engine; proposals never reach up to disposal, DX
# or the notifications (they publish events instead). ``flows.py`` (the proposal flow, kept
# where viewflow's stored references point) sits with proposals.
WORKFLOW_BELOW = {
    "engine": set(),
    "authority": {"engine"},
    "proposals": {"engine", "authority", "flows"},
    "flows": {"engine", "proposals"},
    "disposal": {"engine", "authority", "proposals", "flows"},
    "dx": {"engine", "authority"},
    "notifications": {"engine", "proposals", "dx"},
}


def _workflow_violations(root: Path) -> list[str]:
    bad = []
    for concept, allowed in WORKFLOW_BELOW.items():
        paths = [
            root / "workflow" / f"{concept}.py",
            *sorted((root / "workflow" / concept).rglob("*.py")),
        ]
        for path in (p for p in paths if p.is_file()):
            for line, module in _imports(path):
                parts = module.split(".")
                if parts[0] != "workflow" or len(parts) < 2:
                    continue
                target = parts[1]
                if target in WORKFLOW_BELOW and target not in allowed | {concept}:
                    bad.append(f"{path.relative_to(root)}:{line} imports {module}")
    return bad


def test_workflow_concepts_import_only_the_ones_below_them():
    assert _workflow_violations(ROOT) == []


def test_the_workflow_check_can_fail(tmp_path):
    fake = tmp_path / "workflow" / "proposals" / "services"
    fake.mkdir(parents=True)
    (fake / "task_actions.py").write_text("from workflow.notifications import subscriber\n")
    assert _workflow_violations(tmp_path) == [
        "workflow/proposals/services/task_actions.py:1 imports workflow.notifications",
        "workflow/proposals/services/task_actions.py:1 imports workflow.notifications.subscriber",
    ]
