"""The dependency rule, checked: pure code imports no infrastructure, core imports no entry point.

Pure modules may use sqlmodel/sqlalchemy *type declarations* (a canonical record is the pydantic base
its table class inherits from) but nothing that connects, queries or talks to a network.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PURE = [
    "core/domain",
    "core/text.py",
    "core/ledger/merkle.py",
    "core/ledger/tree.py",
    "core/ledger/chain.py",
    "core/ledger/checkpoint.py",
    "core/ledger/receipt.py",
    # the rules kernel: engine, model, facts, state, catalog (core/rules/service is its shell)
    "core/rules/*.py",
    "core/rules/families",
    "core/cases/domain",
    "core/adapters/square/parser.py",
    "core/adapters/counterpoint/parser.py",
    "core/simulate",
    "core/bubble/*.py",  # the model (core/bubble/service is its shell: store, consumer, queries)
]
INFRASTRUCTURE = (
    "redis",
    "psycopg",
    "httpx",
    "starlette",
    "uvicorn",
    "mcp",
    "fastmcp",
    "pydantic_ai",
    "sqlmodel.Session",
    "sqlalchemy.orm",
    "sqlalchemy.engine",
    "core.db.uow",
    "core.db.engine",
    "core.bus",
    "core.pipeline",
    "core.web",
    "core.cli",
    "servers",
    "agents",
)
ENTRY_POINTS = ("servers", "agents")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _files(spec: str) -> list[Path]:
    if "*" in spec:
        return sorted(ROOT.glob(spec))
    target = ROOT / spec
    if target.is_file():
        return [target]
    return sorted(target.rglob("*.py")) if target.exists() else []


def _violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{f.relative_to(ROOT) if f.is_relative_to(ROOT) else f.name} imports {name}"
        for f in files
        for name in _imports(f)
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    ]


@pytest.mark.parametrize("spec", PURE)
def test_pure_code_imports_no_infrastructure(spec: str) -> None:
    assert _violations(_files(spec), INFRASTRUCTURE) == []


# The places that start MCP servers (the ingress app mounts them, `canary mcp` runs one, the identity
# benchmark measures one) are entry points themselves; they may reach the servers through the
# registry and servers.common only.
SERVER_HOSTS = {
    "core/web/app.py": ("servers.registry", "servers.common"),
    "core/cli/mcp.py": ("servers.registry", "servers.common"),
    "core/bench/identity_mcp.py": ("servers.registry", "servers.common"),
    # `canary owl|fox` run the agents, which are built on the servers.
    "core/cli/agents.py": ("agents",),
    # `canary bench agents` measures the agents' answers.
    "core/bench/agents.py": ("agents",),
}


def test_core_never_imports_the_entry_points_built_on_it() -> None:
    found = _violations(_files("core"), ENTRY_POINTS)
    allowed = {
        f"{host} imports {name}"
        for host, modules in SERVER_HOSTS.items()
        for name in _imports(ROOT / host)
        if any(name == m or name.startswith(m + ".") for m in modules)
    }
    assert [v for v in found if v not in allowed] == []


def test_the_layer_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import redis\nfrom core.db.uow import Database\n")
    assert len(_violations([bad], INFRASTRUCTURE)) == 3  # redis, core.db.uow and core.db.uow.Database


def test_the_rules_kernel_never_reaches_into_its_shell_or_the_tables() -> None:
    """The kernel evaluates; storing, consuming and serving live in core/rules/service."""
    kernel = _files("core/rules/*.py") + _files("core/rules/families")
    assert kernel
    assert _violations(kernel, ("core.rules.service", "core.db", "sqlmodel", "sqlalchemy")) == []


def test_the_bubble_model_never_reaches_into_its_shell_or_the_tables() -> None:
    """The model scores; storing, consuming and serving live in core/bubble/service."""
    model = _files("core/bubble/*.py")
    assert model
    assert _violations(model, ("core.bubble.service", "core.db", "sqlmodel", "sqlalchemy")) == []


# Below the entry points nothing receives the whole container: each MCP server and each HTTP route
# group declares the deps it uses (servers/<name>/deps.py, core/web/deps.py) and the workers get the
# pipeline (core/pipeline/workers.py). Only these build servers and route groups from a container.
CONTAINER_HOLDERS = {"servers/common/server.py", "servers/common/http.py", "core/web/app.py"}


def test_servers_routes_and_workers_receive_deps_not_the_container() -> None:
    files = _files("servers") + _files("core/web") + _files("core/pipeline") + _files("core/workers")
    assert files
    found = _violations(files, ("core.bootstrap",))
    assert [v for v in found if v.split(" imports ")[0] not in CONTAINER_HOLDERS] == []


def test_the_container_checker_catches_a_handler_importing_it(tmp_path: Path) -> None:
    bad = tmp_path / "tools.py"
    bad.write_text("from core.bootstrap import Container\n")
    assert _violations([bad], ("core.bootstrap",)) == [
        "tools.py imports core.bootstrap",
        "tools.py imports core.bootstrap.Container",
    ]


def test_every_server_and_route_group_declares_a_small_frozen_deps_object() -> None:
    from core.bootstrap import Container
    from core.web import deps as web_deps
    from servers.registry import available

    container = {f.name for f in dataclasses.fields(Container)}
    declared = {name: spec.deps for name, spec in available().items()}
    declared |= {cls.__name__: cls for cls in (web_deps.IngressDeps, web_deps.OpsDeps, web_deps.ConsoleDeps)}
    assert len(declared) >= 8
    for name, kind in declared.items():
        assert dataclasses.is_dataclass(kind), name
        assert kind.__dataclass_params__.frozen, name  # type: ignore[attr-defined]
        wanted = {f.name for f in dataclasses.fields(kind)}
        assert wanted, f"{name} declares no deps"
        assert wanted <= container, f"{name} asks for {sorted(wanted - container)}, not in the container"
        assert len(wanted) <= 6, f"{name} takes {len(wanted)} of the container's fields: not small"


def test_the_domain_never_reaches_into_the_storage_layer() -> None:
    """Canonical records declare their columns with core/domain/columns.py; core/db builds on them."""
    domain = _files("core/domain")
    assert domain
    assert _violations(domain, ("core.db",)) == []
