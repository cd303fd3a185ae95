"""Generate docs/plugin-api-reference.md from the docstrings of the plugin API.

    python docs/tools/plugin_reference.py          # rewrite the reference
    python docs/tools/plugin_reference.py --check  # exit 1 if the committed one is stale

The dataclasses and constants of :mod:`visionlens_jlab.plugins.api` are read from its
source (``ast``: field docstrings are not kept at run time); the helpers it re-exports from
elsewhere are described with ``inspect``. tests/test_plugins_reference.py runs ``--check``.
"""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "docs" / "plugin-api-reference.md"


def _field_docs(node: ast.ClassDef) -> list[tuple[str, str, str, str]]:
    """``(name, annotation, default, docstring)`` of a class body's annotated fields."""
    out = []
    body = node.body
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            default = ast.unparse(stmt.value) if stmt.value is not None else ""
            doc = ""
            nxt = body[i + 1] if i + 1 < len(body) else None
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
                doc = " ".join(str(nxt.value.value).split())
            out.append((stmt.target.id, ast.unparse(stmt.annotation), default, doc))
    return out


def _constants(tree: ast.Module, names: set[str]) -> list[str]:
    lines = []
    body = tree.body
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            targets = target.elts if isinstance(target, ast.Tuple) else [target]
            values = (
                stmt.value.elts
                if isinstance(stmt.value, ast.Tuple) and len(targets) > 1
                else [stmt.value]
            )
            for t, v in zip(targets, values, strict=False):
                if isinstance(t, ast.Name) and t.id in names:
                    nxt = body[i + 1] if i + 1 < len(body) else None
                    doc = ""
                    if (
                        len(targets) == 1
                        and isinstance(nxt, ast.Expr)
                        and isinstance(nxt.value, ast.Constant)
                    ):
                        doc = " — " + " ".join(str(nxt.value.value).split())
                    lines.append(f"- `{t.id} = {ast.unparse(v)}`{doc}")
    return lines


def _escape(text: str) -> str:
    """A pipe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__ or "").strip()


def _class_from_source(node: ast.ClassDef) -> list[str]:
    lines = [f"### `{node.name}`", "", inspect.cleandoc(ast.get_docstring(node) or ""), ""]
    fields = _field_docs(node)
    if fields:
        lines += ["| field | type | default | meaning |", "|---|---|---|---|"]
        for name, annotation, default, doc in fields:
            cell = _escape(default) if default else "required"
            lines.append(f"| `{name}` | `{_escape(annotation)}` | `{cell}` | {doc} |")
        lines.append("")
    return lines


def _class_from_object(name: str, obj: Any) -> list[str]:
    lines = [f"### `{name}`", "", f"From `{obj.__module__}`.", "", _doc(obj), ""]
    for attr, member in sorted(vars(obj).items()):
        if attr.startswith("_") and attr != "__init__":
            continue
        if inspect.isfunction(member):
            try:
                signature = str(inspect.signature(member))
            except (TypeError, ValueError):
                signature = "(...)"
            lines.append(
                f"- `{attr}{signature}`"
                + (f": {' '.join(_doc(member).split())}" if member.__doc__ else "")
            )
    lines.append("")
    return lines


def render() -> str:
    """The reference as Markdown."""
    from visionlens_jlab.plugins import api, discovery

    source = Path(api.__file__).read_text()
    tree = ast.parse(source)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    exported = list(api.__all__)
    lines = [
        "# Plugin API reference (generated)",
        "",
        "Generated from the docstrings of `visionlens_jlab/plugins/api.py` by",
        "`python docs/tools/plugin_reference.py`; do not edit by hand. The guide is",
        "[plugins.md](plugins.md).",
        "",
        "## Module `visionlens_jlab.plugins.api`",
        "",
        inspect.cleandoc(api.__doc__ or ""),
        "",
        "## Constants",
        "",
        *_constants(tree, set(exported)),
        f"- entry-point group: `{discovery.ENTRY_POINT_GROUP}`",
        "",
        "## Hook result and context types",
        "",
    ]
    for name in classes:  # in source order: the guide's order
        if name in exported:
            lines += _class_from_source(classes[name])
    lines += ["## Helpers re-exported for plugin authors", ""]
    for name in exported:
        obj = getattr(api, name)
        if name in classes or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if inspect.isclass(obj):
            lines += _class_from_object(name, obj)
        else:
            lines += [
                f"### `{name}{inspect.signature(obj)}`",
                "",
                f"From `{obj.__module__}`.",
                "",
                _doc(obj),
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run python docs/tools/plugin_reference.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
