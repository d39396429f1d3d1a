"""Inventory: the stock ledger (every movement, append-only) and the on-hand projection it keeps.

Features move stock only through `move` / `post`; `rebuild` and `check` prove the projection.
"""

from hub.inventory.ledger import Line, Source, check, move, post, rebuild

__all__ = ["Line", "Source", "check", "move", "post", "rebuild"]
