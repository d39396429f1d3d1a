"""The portal's pages, declared as data by each feature: the sidebar, Home and "Jump to" read them.

A feature's portal module (`hub/<feature>/portal.py`) exports `PAGES` (Page records) and `ROUTES`
(its controllers), and may export `BANNERS` (Banner records: warnings above every page, such as
an expiring license); its templates live in `hub/<feature>/templates/` and are named
`<feature>/<file>.html`. A feature module that does not exist yet (devices, licenses) is
skipped, so its pages appear the day it lands.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from hub.auth.access import AUTHENTICATED

# Sidebar groups, in order.
GROUPS = ("Home", "Sales", "Catalogue", "Stock", "Reports", "People", "Store", "Records", "Help")

# Feature portal modules, in sidebar order within each group.
FEATURES = (
    "hub.portal.home",
    "hub.sales.portal",
    "hub.shifts.portal",
    "hub.exceptions.portal",
    "hub.endofday.portal",
    "hub.quotations.portal",
    "hub.catalogue.products.portal",
    "hub.catalogue.products.files_portal",
    "hub.catalogue.labels.portal",
    "hub.catalogue.categories.portal",
    "hub.catalogue.units.portal",
    "hub.catalogue.suppliers.portal",
    "hub.catalogue.promotions.portal",
    "hub.catalogue.pricing_tiers.portal",
    "hub.catalogue.currencies.portal",
    "hub.catalogue.taxes.portal",
    "hub.inventory.portal",
    "hub.inventory.adjustments.portal",
    "hub.inventory.purchasing.portal",
    "hub.inventory.receiving.portal",
    "hub.inventory.stocktake.portal",
    "hub.inventory.transfers.portal",
    "hub.inventory.unapplied.portal",
    "hub.reports.portal",
    "hub.customers.portal",
    "hub.users.portal",
    "hub.roles.portal",
    "hub.store.portal",
    "hub.devices.portal",
    "hub.sync.portal",
    "hub.printing.portal",
    "hub.fiscal.portal",
    "hub.bridge.portal",
    "hub.ops.portal",
    "hub.licenses.portal",
    "hub.audit.portal",
    "hub.portal.about",
    "hub.portal.profile",
)


@dataclass(frozen=True, slots=True)
class Page:
    """One page a user can open: where it lives, what it needs, where it is listed."""

    key: str  # unique; also names the sidebar entry marked as current
    title: str
    path: str
    group: str
    rule: str = AUTHENTICATED  # a permission name, or AUTHENTICATED
    sidebar: bool = True  # False: reachable through Jump to and links only ("New user")
    keywords: str = ""  # more words Jump to matches ("staff people cashier")
    summary: str = ""  # one line under its link on the Home page

    def allowed(self, identity: Any) -> bool:
        return identity is not None and (self.rule == AUTHENTICATED or identity.can(self.rule))


@dataclass(frozen=True, slots=True)
class Banner:
    """A warning shown above every page to users allowed `rule`, whenever `read` finds one."""

    key: str
    rule: str  # a permission name, or AUTHENTICATED
    read: Callable[[Any], str | None]  # runs in `db.read` with the connection; None: nothing to say
    link: str = ""  # the page where it can be dealt with
    link_text: str = ""

    def allowed(self, identity: Any) -> bool:
        return identity is not None and (self.rule == AUTHENTICATED or identity.can(self.rule))


def _absent(name: str, err: ModuleNotFoundError) -> bool:
    """True when `name` itself (or its package) is missing, not something it imports."""
    return err.name is not None and (name == err.name or name.startswith(err.name + "."))


@functools.cache
def features() -> tuple[ModuleType, ...]:
    """The feature portal modules that exist, imported once."""
    found = []
    for name in FEATURES:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as err:
            if not _absent(name, err):
                raise
    return tuple(found)


@functools.cache
def all_pages() -> tuple[Page, ...]:
    pages = [page for module in features() for page in getattr(module, "PAGES", ())]
    keys = [p.key for p in pages]
    assert len(keys) == len(set(keys)), f"duplicate portal page keys: {keys}"
    assert all(p.group in GROUPS for p in pages), "a portal page names an unknown group"
    return tuple(sorted(pages, key=lambda p: GROUPS.index(p.group)))  # stable within a group


def page(key: str) -> Page:
    return next(p for p in all_pages() if p.key == key)


def pages_for(identity: Any) -> list[Page]:
    """The pages `identity` may open, in sidebar order."""
    return [p for p in all_pages() if p.allowed(identity)]


def sidebar_for(identity: Any) -> list[tuple[str, list[Page]]]:
    """(group, pages) for each group with at least one page the user may open."""
    allowed = [p for p in pages_for(identity) if p.sidebar]
    return [(g, [p for p in allowed if p.group == g]) for g in GROUPS
            if any(p.group == g for p in allowed)]


def banners_for(identity: Any) -> list[Banner]:
    """The banners `identity` may see (each still decides at render time whether it has news)."""
    return [b for module in features() for b in getattr(module, "BANNERS", ()) if b.allowed(identity)]


def routes() -> list[Any]:
    return [route for module in features() for route in getattr(module, "ROUTES", ())]


def template_dirs() -> dict[str, Path]:
    """Template name prefix -> directory: `users/list.html` is hub/users/templates/list.html."""
    dirs: dict[str, Path] = {}
    for module in features():
        folder = Path(module.__file__ or "").parent
        if (folder / "templates").is_dir():
            dirs[folder.name] = folder / "templates"
    return dirs
