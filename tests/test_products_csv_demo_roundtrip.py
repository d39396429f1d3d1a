"""The 2,000-product demo catalogue out through the portal's Export and into a fresh store through
its Import page (check, then the Import button): the fresh store's export is the same file, and
checking it again finds nothing to change. Prints how long the check and the import took; no
time is asserted (the machine decides that, not the code)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.catalogue import demo
from hub.catalogue.products import csvfile
from hub.portal.session import CSRF_COOKIE, CSRF_FIELD
from tests.hubtest import Hub, HubServer, make_demo_store, make_settings
from tests.portal.client import CSRF

SLOW_S = 300  # a generous ceiling for one request, so a slow machine reports a time rather than a timeout


def serve(data_dir: Path, *, catalogue: bool) -> tuple[Hub, HubServer]:
    settings = make_settings(data_dir)
    store = make_demo_store(settings, catalogue=catalogue)
    server = HubServer(settings).start()
    return Hub(server, store), server


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[tuple[Hub, Hub]]:
    """(the demo store with its catalogue, a fresh demo store with none)."""
    started = []
    try:
        for name, catalogue in (("demo", True), ("fresh", False)):
            started.append(serve(tmp_path / name, catalogue=catalogue))
        yield started[0][0], started[1][0]
    finally:
        for hub, server in started:
            hub.close()
            server.stop()


def browser(hub: Hub, username: str) -> httpx.Client:
    """A client holding the portal cookies of a signed-in `username`."""
    token = hub.login(username)["access_token"]
    return httpx.Client(base_url=hub.url, timeout=SLOW_S,
                        cookies={"soko_session": token, CSRF_COOKIE: CSRF})


def make_categories(hub: Hub, paths: set[str]) -> None:
    """The demo's category tree in `hub`, through the category API, parents first."""
    admin = hub.as_user("admin")
    made: dict[str, str] = {}
    for path in sorted(paths, key=lambda p: p.count(csvfile.CATEGORY_SEPARATOR)):
        parent, _, name = path.rpartition(csvfile.CATEGORY_SEPARATOR)
        r = admin.post("/api/v1/categories", json={"name": name, "parent_id": made[parent] if parent else None})
        assert r.status_code == 201, r.text
        made[path] = r.json()["id"]


def test_the_demo_catalogue_exported_and_imported_into_a_fresh_store_exports_the_same(hubs, capsys):
    demo_hub, fresh = hubs
    with browser(demo_hub, "manager") as page:
        exported = page.get("/products/export.csv")
    assert exported.status_code == 200
    assert exported.content == demo_hub.as_user("manager").get("/api/v1/products/export").content
    header, rows = csvfile.read(exported.text)
    rows = list(rows)
    assert len(rows) == demo.DEMO_PRODUCTS
    column = header.index("category")
    paths = {cells[column] for _, cells in rows if cells[column]}
    make_categories(fresh, {"/".join(p.split("/")[:n]) for p in paths for n in range(1, p.count("/") + 2)})

    with browser(fresh, "manager") as page:
        started = time.perf_counter()
        checked = page.post("/products/import", data={CSRF_FIELD: CSRF},
                            files={"file": ("demo.csv", exported.content, "text/csv")})
        check_s = time.perf_counter() - started
        assert checked.status_code == 200, checked.text[:2000]
        assert f"{demo.DEMO_PRODUCTS} rows checked {demo.DEMO_PRODUCTS} new 0 updated" in " ".join(
            re.sub(r"<[^>]+>", " ", checked.text).split())
        upload_id = re.search(r'name="upload" value="([^"]+)"', checked.text)[1]
        started = time.perf_counter()
        imported = page.post("/products/import", data={CSRF_FIELD: CSRF, "upload": upload_id})
        import_s = time.perf_counter() - started
        assert imported.status_code == 303, imported.text[:2000]
        again = page.get("/products/export.csv")
        assert again.content == exported.content  # the same products, prices, barcodes and categories
        recheck = page.post("/products/import", data={CSRF_FIELD: CSRF},
                            files={"file": ("demo.csv", exported.content, "text/csv")})
        assert recheck.status_code == 200 and "Nothing to import: every row already matches" in recheck.text
    with capsys.disabled():
        print(f"\nCSV round trip of the {demo.DEMO_PRODUCTS}-product demo catalogue "
              f"({len(exported.content) / 1024:.0f} KiB): check {check_s:.2f} s, import {import_s:.2f} s")
