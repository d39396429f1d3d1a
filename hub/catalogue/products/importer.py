"""Importing products from CSV (a dry run, or all rows in one transaction) and exporting them.

A row whose SKU the store has updates that product; any other row creates one. An empty cell
changes nothing (on a new product it takes the default), so a file may carry only the columns
and cells it means to change. A real import checks every row first and writes only when none is
wrong: nothing is ever half-imported. Then each product goes through the same writes as the API
(price history and label queue for prices, one change row per product) and the whole import is
one audit entry. Exporting writes the same format, and importing an export changes nothing.
"""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Iterator

from hub.catalogue import ownership
from hub.catalogue.products import csvfile, service, validation
from hub.db import audit, barcodes, product_refs, products, stock
from hub.db.audit import Actor
from hub.errors import InvalidInputError
from hub.ids import new_id

MAX_ROWS = 20_000
EXPORT_BATCH = 1000
REPORT_LIST_LIMIT = 100  # SKUs named in the import's audit entry; the counts are always whole
AMBIGUOUS = ""
_COLUMN_OF = {"category_id": "category", "unit_id": "unit", "tax_class_id": "tax_class",
              "opening_stock": "opening_stock_quantity"}


def column_of(field_name: str) -> str:
    """The CSV column a validation field is read from."""
    head = field_name.split("[")[0]
    if head.startswith("prices."):
        return csvfile.PRICE_PREFIX + head.split(".", 1)[1]
    if head.startswith("opening_stock."):
        return "opening_stock_" + head.split(".", 1)[1]
    return _COLUMN_OF.get(head.split(".")[0], head.split(".")[0])


def category_paths(categories: dict[str, dict[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    """(id -> "Food/Bakery", casefolded path -> id, or AMBIGUOUS where two categories share it)."""
    by_id: dict[str, str] = {}

    def path(cid: str, seen: frozenset[str] = frozenset()) -> str:
        if cid not in by_id:
            row = categories[cid]
            parent = row["parent_id"]
            prefix = ""
            if parent in categories and parent not in seen:
                prefix = path(parent, seen | {cid}) + csvfile.CATEGORY_SEPARATOR
            by_id[cid] = prefix + row["name"]
        return by_id[cid]

    by_path: dict[str, str] = {}
    for cid in categories:
        key = path(cid).casefold()
        by_path[key] = AMBIGUOUS if key in by_path else cid
    return by_id, by_path


@dataclass
class Context:
    refs: validation.Refs
    paths: dict[str, str]
    decimals: dict[str, int]
    base_places: int
    enrolled: bool
    can_price: bool

    @classmethod
    def load(cls, conn: sqlite3.Connection, permissions: frozenset[str]) -> "Context":
        refs = validation.Refs(product_refs.load_refs(conn))
        base = refs.base_currency()
        return cls(refs=refs, paths=category_paths(refs.categories)[1],
                   decimals={c: r["decimals"] for c, r in refs.currencies.items()},
                   base_places=refs.currencies[base]["decimals"] if base else 2,
                   enrolled=ownership.is_enrolled(conn), can_price=service.PRICE_PERMISSION in permissions)

    def by_code(self, table: dict[str, dict[str, Any]], code: str) -> str | None:
        folded = code.casefold()
        return next((rid for rid, row in table.items() if row["code"].casefold() == folded), None)


@dataclass
class RowPlan:
    row: int
    sku: str
    product_id: str | None  # None: a new product
    before: dict[str, Any] | None
    after: dict[str, Any]
    changed: set[str]
    opening: dict[str, Any] | None = None
    opening_changed: bool = False


@dataclass
class Plan:
    rows: int = 0
    writes: list[RowPlan] = field(default_factory=list)
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append({"row": row, "field": column, "message": message})

    def report(self, dry_run: bool) -> dict[str, Any]:
        return {"dry_run": dry_run, "rows": self.rows, "unchanged": self.unchanged, "errors": self.errors,
                "created": [{"row": w.row, "sku": w.sku} for w in self.writes if w.product_id is None],
                "updated": [{"row": w.row, "sku": w.sku, "fields": _changed_columns(w)}
                            for w in self.writes if w.product_id is not None]}


def _changed_columns(w: RowPlan) -> list[str]:
    names = {column_of(f) for f in w.changed if f != "prices"}
    names |= {csvfile.PRICE_PREFIX + c for c in set(w.before["prices"]) | set(w.after["prices"])
              if w.before and w.before["prices"].get(c) != w.after["prices"].get(c)}
    if w.opening_changed:
        names.add("opening_stock_quantity")
    return sorted(names)


def _check_header(header: list[str], ctx: Context, plan: Plan) -> bool:
    if not header or not any(header):
        plan.error(1, "", "the file has no header row")
        return False
    for name in header:
        currency = csvfile.price_currency(name)
        if name not in csvfile.FIXED_COLUMNS and currency is None:
            plan.error(1, name, "unknown column (docs/catalogue-csv.md lists them)")
        elif currency is not None and currency not in ctx.decimals:
            plan.error(1, name, f"there is no currency {currency}")
    for name in {h for h in header if header.count(h) > 1}:
        plan.error(1, name, "the column appears twice")
    if "sku" not in header:
        plan.error(1, "sku", "the file needs a sku column")
    return not plan.errors


def _cell(column: str, text: str, ctx: Context, changes: dict[str, Any], opening: dict[str, Any]) -> None:
    currency = csvfile.price_currency(column)
    if currency is not None:
        amount = csvfile.parse_decimal(text, ctx.decimals[currency], "an amount")
        changes.setdefault("prices", {})[currency] = amount
    elif column == "category":
        cid = ctx.paths.get(text.casefold())
        if cid is None:
            raise csvfile.CellError(f"there is no category {text} (write the path, such as Food/Bakery)")
        if cid == AMBIGUOUS:
            raise csvfile.CellError(f"two categories have the path {text}")
        changes["category_id"] = cid
    elif column in ("unit", "tax_class"):
        table = ctx.refs.units if column == "unit" else ctx.refs.tax_classes
        rid = ctx.by_code(table, text)
        if rid is None:
            raise csvfile.CellError(f"there is no {column.replace('_', ' ')} with the code {text}")
        changes[f"{column}_id"] = rid
    elif column == "cost_price":
        changes["cost_price"] = csvfile.parse_decimal(text, ctx.base_places, "an amount")
    elif column == "barcodes":
        changes["barcodes"] = csvfile.parse_barcodes(text)
    elif column in ("stock_tracked", "sold_by_weight"):
        changes[column] = csvfile.parse_flag(text)
    elif column == "low_stock_threshold":
        changes[column] = csvfile.parse_quantity(text)
    elif column == "opening_stock_quantity":
        opening["quantity"] = csvfile.parse_quantity(text)
    elif column == "opening_stock_unit_cost":
        opening["unit_cost"] = csvfile.parse_decimal(text, ctx.base_places, "an amount")
    else:  # sku, name, receipt_name, description, hs_code, plu: text as written
        changes[column] = text


def _row(number: int, header: list[str], cells: list[str], ctx: Context, conn: sqlite3.Connection,
         plan: Plan) -> RowPlan | None:
    before = len(plan.errors)
    if len(cells) != len(header):
        plan.error(number, "", f"the row has {len(cells)} cells; the header has {len(header)}")
        return None
    changes: dict[str, Any] = {}
    opening: dict[str, Any] = {}
    for column, cell in zip(header, cells):
        if cell.strip():
            try:
                _cell(column, cell.strip(), ctx, changes, opening)
            except csvfile.CellError as err:
                plan.error(number, column, str(err))
    sku = changes.get("sku", "")
    if not sku:
        plan.error(number, "sku", "every row needs a SKU")
    if "unit_cost" in opening and "quantity" not in opening:
        plan.error(number, "opening_stock_quantity", "give the quantity the unit cost is for")
    if len(plan.errors) > before:
        return None
    existing = products.get_by_sku(conn, sku)
    if existing is not None:
        return _update(number, existing, changes, opening, ctx, plan, stock.movement_count(conn, existing["id"]))
    return _create(number, sku, changes, opening, ctx, plan)


def _problems(number: int, doc: dict[str, Any], ctx: Context, plan: Plan, changed: set[str] | None,
              opening: dict[str, Any] | None) -> None:
    for name, message in validation.problems(doc, ctx.refs, changed=changed, opening_stock=opening):
        plan.error(number, column_of(name), message)
    if opening is not None and not doc["stock_tracked"]:
        plan.error(number, "opening_stock_quantity", "this product does not track stock")


def _create(number: int, sku: str, changes: dict[str, Any], opening: dict[str, Any], ctx: Context,
            plan: Plan) -> RowPlan | None:
    before = len(plan.errors)
    for column in csvfile.REQUIRED_TO_CREATE:
        if f"{column}_id" not in changes and column not in changes:
            plan.error(number, column, f"a new product ({sku}) needs a {column.replace('_', ' ')}")
    if ctx.enrolled:
        plan.error(number, "sku", "HQ owns the catalogue of an enrolled hub: create products at HQ")
    if changes.get("prices") and not ctx.can_price:
        plan.error(number, csvfile.PRICE_PREFIX + min(changes["prices"]),
                   f"setting prices needs the permission {service.PRICE_PERMISSION!r}")
    if len(plan.errors) > before:
        return None
    doc = validation.normalise({**validation.DEFAULTS, **changes})
    full_opening = {"unit_cost": 0, "note": "", **opening} if opening else None
    _problems(number, doc, ctx, plan, None, full_opening)
    if len(plan.errors) > before:
        return None
    return RowPlan(row=number, sku=doc["sku"], product_id=None, before=None, after=doc,
                   changed=set(validation.FIELDS) | set(validation.PARTS), opening=full_opening,
                   opening_changed=full_opening is not None)


def _update(number: int, existing: dict[str, Any], changes: dict[str, Any], opening: dict[str, Any],
            ctx: Context, plan: Plan, movements: int) -> RowPlan | None:
    before = len(plan.errors)
    changes.pop("sku")  # the row's key: the SKU as the store has it stays as it is
    old = service.editable(existing)
    after = service.merged(existing, changes)
    changed = service.changed_fields(old, after)
    posted = existing["opening_stock"]
    full_opening = None
    if opening:
        full_opening = {"unit_cost": 0, "note": (posted or {}).get("note", ""), **opening}
    opening_changed = full_opening is not None and (
        posted is None
        or (posted["quantity"], posted["unit_cost"]) != (full_opening["quantity"], full_opening["unit_cost"]))
    if not changed and not opening_changed:
        plan.unchanged += 1
        return None
    if ctx.enrolled:
        for name in ownership.hq_fields("products", service.ownership_names(changed)):
            plan.error(number, column_of(name), "HQ owns this field of an enrolled hub's products")
    if "prices" in changed and not ctx.can_price:
        moved = min(c for c in set(old["prices"]) | set(after["prices"])
                    if old["prices"].get(c) != after["prices"].get(c))
        plan.error(number, csvfile.PRICE_PREFIX + moved,
                   f"changing prices needs the permission {service.PRICE_PERMISSION!r}")
    _problems(number, after, ctx, plan, changed, full_opening if opening_changed else None)
    if opening_changed and movements:
        plan.error(number, "opening_stock_quantity", "this product's stock is in the stock ledger already; "
                                                     "change it with a stock adjustment")
    if "stock_tracked" in changed and not after["stock_tracked"] and existing["on_hand"] != 0:
        plan.error(number, "stock_tracked", "this product has stock on hand; adjust it to zero first")
    if "unit_id" in changed and (msg := service.on_hand_problem(existing["on_hand"],
                                                                ctx.refs.units.get(after["unit_id"]))):
        plan.error(number, "unit", msg)
    if len(plan.errors) > before:
        return None
    return RowPlan(row=number, sku=existing["sku"], product_id=existing["id"], before=old, after=after,
                   changed=changed, opening=full_opening, opening_changed=opening_changed)


def _check_unique(conn: sqlite3.Connection, plan: Plan) -> None:
    """SKUs, PLUs and barcodes as they will be once every row is written: one product each."""
    skus: dict[str, int] = {}
    for w in plan.writes:
        if w.sku.casefold() in skus:
            plan.error(w.row, "sku", f"{w.sku} is also on row {skus[w.sku.casefold()]}")
        skus.setdefault(w.sku.casefold(), w.row)
    moving = {w.product_id: w for w in plan.writes if w.product_id}
    claims: dict[str, RowPlan] = {}
    for w in plan.writes:
        if "barcodes" not in w.changed:
            continue
        for b in w.after["barcodes"]:
            if b["code"] in claims and claims[b["code"]] is not w:
                plan.error(w.row, "barcodes", f"{b['code']} is also on row {claims[b['code']].row}")
            claims.setdefault(b["code"], w)
    for code, owner in barcodes.owners(conn, claims).items():
        w = claims[code]
        keeper = moving.get(owner["product_id"])
        released = keeper is not None and "barcodes" in keeper.changed and all(
            b["code"] != code for b in keeper.after["barcodes"])
        if owner["product_id"] != w.product_id and not released:
            plan.error(w.row, "barcodes", f"{code} is a barcode of {owner['sku']} ({owner['name']})")
    plus: dict[str, RowPlan] = {}
    for w in plan.writes:
        plu = w.after.get("plu")
        if plu is None or "plu" not in w.changed:
            continue
        if plu in plus:
            plan.error(w.row, "plu", f"PLU {plu} is also on row {plus[plu].row}")
        plus.setdefault(plu, w)
        other = products.holder(conn, "plu", plu)
        keeper = moving.get(other["id"]) if other else None
        released = keeper is not None and "plu" in keeper.changed and keeper.after["plu"] != plu
        if other is not None and other["id"] != w.product_id and not released:
            plan.error(w.row, "plu", f"PLU {plu} belongs to {other['sku']} ({other['name']})")


def plan_import(conn: sqlite3.Connection, text: str, permissions: frozenset[str]) -> Plan:
    """Read and check every row against the database; writes nothing."""
    plan = Plan()
    ctx = Context.load(conn, permissions)
    try:
        header, rows = csvfile.read(text)
        if not _check_header(header, ctx, plan):
            return plan
        for number, cells in rows:
            plan.rows += 1
            if plan.rows > MAX_ROWS:
                plan.error(number, "", f"at most {MAX_ROWS} rows in one import; split the file")
                return plan
            planned = _row(number, header, cells, ctx, conn, plan)
            if planned is not None:
                plan.writes.append(planned)
    except csv.Error as err:
        plan.error(plan.rows + 1, "", f"this is not CSV: {err}")
        return plan
    _check_unique(conn, plan)
    plan.errors.sort(key=lambda e: e["row"])
    return plan


def import_products(conn: sqlite3.Connection, actor: Actor, permissions: frozenset[str],
                    text: str) -> dict[str, Any]:
    """Check every row, then write them all, or raise (422) and write nothing."""
    plan = plan_import(conn, text, permissions)
    if plan.errors:
        report = plan.report(dry_run=False)
        raise InvalidInputError(f"{len(plan.errors)} problem(s) in the file; nothing was imported",
                                code="import_refused", extra={"errors": plan.errors, "report": report})
    who = actor.username
    for w in plan.writes:  # free barcodes and PLUs that move between products first
        if w.product_id and "barcodes" in w.changed and w.before:
            keep = {b["code"] for b in w.after["barcodes"]}
            dropped = [b["code"] for b in w.before["barcodes"] if b["code"] not in keep]
            barcodes.remove(conn, w.product_id, dropped)
    products.clear_plu(conn, [w.product_id for w in plan.writes if w.product_id and "plu" in w.changed])
    for w in plan.writes:
        product_id = w.product_id or new_id()
        if w.product_id is None:
            service.write_new(conn, product_id, w.after, source="import", reason="CSV import", who=who)
        else:
            assert w.before is not None
            service.write_changes(conn, product_id, w.before, w.after, w.changed, source="import",
                                  reason="CSV import", who=who)
        if w.opening_changed:
            assert w.opening is not None
            service.write_opening(conn, product_id, w.opening, actor)
        products.publish(conn, product_id)
    report = plan.report(dry_run=False)
    if plan.writes:
        openings = [{"sku": w.sku, "quantity": w.opening["quantity"], "unit_cost": w.opening["unit_cost"]}
                    for w in plan.writes if w.opening_changed and w.opening is not None]
        audit.append(conn, actor, "product.imported", "product", None, detail={
            "rows": plan.rows, "created": len(report["created"]), "updated": len(report["updated"]),
            "unchanged": plan.unchanged,
            "skus": [w.sku for w in plan.writes][:REPORT_LIST_LIMIT],
            **({"opening_stock": openings[:REPORT_LIST_LIMIT]} if openings else {})})
    return report


def _export_rows(conn: sqlite3.Connection, include_archived: bool) -> tuple[list[str], Iterator[list[str]]]:
    refs = validation.Refs(product_refs.load_refs(conn))
    base = refs.base_currency()
    currencies = sorted(refs.currencies, key=lambda c: (c != base, c))
    decimals = {c: refs.currencies[c]["decimals"] for c in currencies}
    base_places = decimals.get(base, 2) if base else 2
    paths = category_paths(refs.categories)[0]

    def cells(doc: dict[str, Any]) -> list[str]:
        opening = doc["opening_stock"]
        prices = [csvfile.format_decimal(doc["prices"][c], decimals[c]) if c in doc["prices"] else ""
                  for c in currencies]
        return [doc["sku"], doc["name"], doc["receipt_name"], doc["description"],
                paths.get(doc["category_id"], "") if doc["category_id"] else "",
                refs.units[doc["unit_id"]]["code"], refs.tax_classes[doc["tax_class_id"]]["code"],
                doc["hs_code"], csvfile.format_decimal(doc["cost_price"], base_places), *prices,
                csvfile.format_barcodes(doc["barcodes"]), csvfile.format_flag(doc["stock_tracked"]),
                csvfile.format_quantity(doc["low_stock_threshold"]), csvfile.format_flag(doc["sold_by_weight"]),
                doc["plu"] or "",
                csvfile.format_quantity(opening["quantity"]) if opening else "",
                csvfile.format_decimal(opening["unit_cost"], base_places) if opening else ""]

    def rows() -> Iterator[list[str]]:
        after = None
        while batch := products.export_batch(conn, after=after, limit=EXPORT_BATCH,
                                             include_archived=include_archived):
            yield from map(cells, batch)
            after = batch[-1]["sku"]
    return csvfile.columns(currencies), rows()


def export_products(conn: sqlite3.Connection, include_archived: bool = False) -> str:
    """Every product (active ones unless `include_archived`) as CSV, by SKU."""
    header, rows = _export_rows(conn, include_archived)
    return csvfile.write(header, rows)
