"""The category tree as pure functions over rows `{id, name, parent_id, sort_order, ...}`.

Siblings are ordered by sort_order, then name (without case), then id; the flat list is the
tree read top to bottom (each category right after its parent).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

Row = Mapping[str, Any]


def _sibling_order(row: Row) -> tuple[int, str, str]:
    return row.get("sort_order", 0), row["name"].casefold(), row["id"]


def creates_cycle(parents: Mapping[str, str | None], category: str, new_parent: str | None) -> bool:
    """True when putting `category` under `new_parent` would make it its own ancestor."""
    seen: set[str] = set()
    node = new_parent
    while node is not None and node not in seen:
        if node == category:
            return True
        seen.add(node)
        node = parents.get(node)
    return False


def descendants(parents: Mapping[str, str | None], category: str) -> set[str]:
    """Every category below `category` (not itself)."""
    children: dict[str | None, list[str]] = {}
    for node, parent in parents.items():
        children.setdefault(parent, []).append(node)
    found: set[str] = set()
    stack = list(children.get(category, ()))
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack.extend(children.get(node, ()))
    return found


def _children(rows: Iterable[Row]) -> dict[str | None, list[Row]]:
    by_id = {row["id"]: row for row in rows}
    children: dict[str | None, list[Row]] = {}
    for row in by_id.values():
        parent = row["parent_id"] if row["parent_id"] in by_id else None  # an orphan shows as a root
        children.setdefault(parent, []).append(row)
    for siblings in children.values():
        siblings.sort(key=_sibling_order)
    return children


def flatten(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Every row top to bottom with `depth` (0 for a root) and `path` (names from the root).

    Rows caught in a stored cycle (which the API refuses to make) are left out, never looped over.
    """
    children = _children(rows)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    stack: list[tuple[Row, list[str]]] = [(row, []) for row in reversed(children.get(None, []))]
    while stack:
        row, above = stack.pop()
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        path = [*above, row["name"]]
        out.append({**row, "depth": len(above), "path": path})
        stack.extend((child, path) for child in reversed(children.get(row["id"], [])))
    return out


def nest(flat: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The output of `flatten` (or any subset closed under parents) as nested `children` lists."""
    roots: list[dict[str, Any]] = []
    nodes: dict[str, dict[str, Any]] = {}
    for row in flat:
        node = {**row, "children": []}
        nodes[row["id"]] = node
        parent = nodes.get(row["parent_id"]) if row["parent_id"] else None
        (parent["children"] if parent is not None else roots).append(node)
    return roots
