"""The package's shape (issue 17): no import cycle, no import-time side effect, a wheel that holds only toyvae.

* The import graph of ``toyvae`` (every ``import`` statement, at module level or inside a function,
  read with :mod:`ast`) has no cycle. An edge goes to the most specific module named
  (``from toyvae.cli._args import x`` is an edge to ``toyvae.cli._args``; ``from toyvae import bench``
  to ``toyvae.bench``).
* ``import toyvae`` in a clean environment sets no ``JAX_*`` variable.
* ``pyproject.toml`` lists every folder of ``toyvae/`` that holds modules; a built wheel holds only
  ``toyvae/...`` paths (slow: builds the wheel).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "toyvae"
PROOFS = ROOT / "proofs"


def _modules() -> dict[str, Path]:
    """Module name -> file, for toyvae/ and proofs/ (as toyvae.proofs)."""
    found = {}
    for base, prefix in ((PACKAGE, "toyvae"), (PROOFS, "toyvae.proofs")):
        for path in base.rglob("*.py"):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([prefix, *parts])] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The most specific module of the package that ``name`` names (None outside the package)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                if target.startswith("proofs."):
                    target = "toyvae." + target
                resolved = _resolve(target, modules)
                if resolved is not None and resolved != module:
                    graph[module].add(resolved)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of modules, or None (iterative depth-first search)."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_the_import_graph_has_no_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_cli_args_is_a_leaf():
    assert import_graph()["toyvae.cli._args"] == set()


def test_the_engine_imports_no_experiment_claim_or_command():
    graph = import_graph()
    upper = ("toyvae.experiments", "toyvae.claims", "toyvae.evidence", "toyvae.report", "toyvae.course",
             "toyvae.cli", "toyvae.bench")
    for module, targets in graph.items():
        if module.startswith(("toyvae.engine", "toyvae.models", "toyvae.data", "toyvae.theory")):
            bad = sorted(t for t in targets if t.startswith(upper))
            assert not bad, f"{module} imports {bad}"


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "XLA_", "TOYVAE_"))}


def test_import_toyvae_changes_no_environment_variable():
    """(JAX itself sets a few variables when imported: the snapshot is taken after it.)"""
    code = ("import os, jax; before = dict(os.environ); import toyvae, toyvae.engine, toyvae.claims.registry; "
            "changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)); "
            "print(os.environ.get('JAX_PLATFORMS')); print(changed); print(jax.config.jax_num_cpu_devices, "
            "jax.config.jax_compilation_cache_dir)")
    out = subprocess.run([sys.executable, "-c", code], env=_clean_env(), cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "None"
    assert out[1] == "[]"
    assert out[2] == "-1 None"  # JAX's own defaults


def test_configure_sets_the_platform_devices_and_compile_cache(tmp_path):
    env = {**_clean_env(), "TOYVAE_COMPILE_CACHE_DIR": str(tmp_path / "jax")}
    code = ("from toyvae import runtime; s = runtime.configure(); import jax; "
            "print(s['platform'], s['compile_cache'], jax.config.jax_compilation_cache_dir, jax.default_backend())")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["cpu", str(tmp_path / "jax"), str(tmp_path / "jax"), "cpu"]
    off = subprocess.run([sys.executable, "-c", code], env={**env, "TOYVAE_COMPILE_CACHE": "0"}, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    assert off[1:3] == ["None", "None"]


def test_pyproject_lists_every_package_folder():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("*.py")
               if "__pycache__" not in p.parts}
    assert folders | {"toyvae.proofs"} == listed
    assert config["package-dir"] == {"toyvae.proofs": "proofs"}


@pytest.mark.slow
def test_the_wheel_holds_only_toyvae(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT),
                    "-w", str(tmp_path)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("toyvae-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    packaged = [n for n in names if ".dist-info/" not in n]
    assert packaged and all(n.startswith("toyvae/") for n in packaged), [n for n in packaged if not n.startswith("toyvae/")]
    assert "toyvae/proofs/bs20_t1.py" in names and "toyvae/cli/_args.py" in names
