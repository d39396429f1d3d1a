"""Portal pages of the unapplied documents (group "Stock"): the queue of counts and adjustments from
tills that could not be applied, with filters and each one's reason; a document's page with its
lines (the failing ones marked) and the resolve forms: map an unknown code to a product found by
SKU, barcode or name (optionally adding it as the product's barcode), apply again (or under one's
own authority), discard with a reason. A banner tells whoever may view stock that some wait.

Every form goes through hub.inventory.unapplied.service in one `db.write`, as the API does.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.catalogue.products._paging import like_pattern
from hub.db import device_documents as store
from hub.db import products
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.inventory import _format
from hub.inventory.unapplied import ingest, service
from hub.inventory.unapplied.schemas import MAX_NOTE
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Banner, Page

VIEW, APPROVE = "inventory.view", "inventory.approve"
PAGES = (
    Page("unapplied", "Unapplied documents", "/stock/unapplied", "Stock", VIEW,
         keywords="unapplied queue device till scanner offline document unknown barcode sku permission resolve map",
         summary="Counts and adjustments from tills that could not be applied, waiting for a decision"),
)
PAGE_SIZE = 50
SEARCH_SIZE = 20
DocId = Annotated[str, Parameter(max_length=64)]
Before = Annotated[int | None, Parameter(ge=1, le=2**62)]
STATUSES = (("queued", "Waiting"), ("", "Any status"), ("applied", "Applied"), ("discarded", "Discarded"))
STATUS_NAMES = {"queued": "Waiting", "applied": "Applied", "discarded": "Discarded"}
KIND_NAMES = {"count": "Stock-take count", "adjustment": "Adjustment"}
REASON_NAMES = {**ingest.REASONS}
LABELS = {"code": "Code", "product": "Product", "product_id": "Product", "add_barcode": "Add as barcode",
          "reason": "Why it is discarded", "decision": "Apply"}


def queued_banner(conn: sqlite3.Connection) -> str | None:
    """How many device documents wait in the queue, when any do."""
    waiting = store.queued_count(conn)
    if not waiting:
        return None
    return (f"{waiting} inventory document{'s' if waiting != 1 else ''} from tills could not be applied "
            f"and wait{'s' if waiting == 1 else ''} for a decision.")


BANNERS = (
    Banner("unapplied", VIEW, queued_banner, link="/stock/unapplied", link_text="Open Unapplied documents"),
)


def _helpers() -> dict[str, Any]:
    return {"status_names": STATUS_NAMES, "kind_names": KIND_NAMES, "quantity": _format.quantity,
            "reason_name": lambda code: REASON_NAMES.get(code, code or "—")}


def _names(conn: sqlite3.Connection, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """id (or a line's code, as the catalogue reads it now) -> product, for every product a
    document's lines name, are mapped to, or whose code now finds."""
    wanted = [l["product_id"] for l in doc["lines"] if l["product_id"]] + list(doc["mappings"].values())
    names: dict[str, dict[str, Any]] = {p["id"]: p for p in products.get_products(conn, wanted)} if wanted else {}
    for line in doc["lines"]:
        if line["code"] and line["code"] not in names:
            try:
                hit = products.lookup(conn, line["code"])
            except products.MisreadBarcodeError:
                hit = None
            if hit is not None:
                names[line["code"]] = hit["product"]
    return names


def _unknown_codes(doc: dict[str, Any]) -> list[str]:
    """The codes of lines that failed and are not mapped yet (the map form's choices)."""
    codes = []
    for line in doc["lines"]:
        code = (line["code"] or "").strip()
        if line["problem"] and code and code not in doc["mappings"] and code not in codes:
            codes.append(code)
    return codes


def _detail(conn: sqlite3.Connection, doc_id: str, q: str) -> dict[str, Any]:
    doc = service.get_document(conn, doc_id)
    found = products.list_products(conn, q=q, q_like=like_pattern(q), active=True, limit=SEARCH_SIZE) if q else []
    return {"doc": doc, "names": _names(conn, doc), "found": found}


def _product_of(conn: sqlite3.Connection, form: Form) -> str:
    """The chosen product: a search result's id, else a typed SKU or barcode."""
    chosen = form.get("product_id").strip()[:64]
    if chosen:
        return chosen
    typed = form.get("product").strip()[:64]
    if not typed:
        raise FieldErrors([("product", "choose a product: search by name, or type its SKU or barcode")])
    try:
        hit = products.lookup(conn, typed)
    except products.MisreadBarcodeError:
        hit = None
    if hit is None:
        raise FieldErrors([("product", f"no product has the SKU or barcode {typed}")])
    return hit["product"]["id"]


def _map(conn: sqlite3.Connection, actor: Any, permissions: frozenset[str], doc_id: str,
         form: Form) -> dict[str, Any]:
    code = form.get("code").strip()[:64]
    product_id = _product_of(conn, form)
    return service.map_code(conn, actor, permissions, doc_id, code, product_id, form.get("add_barcode") == "on")


def _done(doc: dict[str, Any], lead: str) -> tuple[str, str]:
    """The notice after a resolve: applied, or still waiting with the new reason."""
    if doc["status"] == "applied":
        return f"{lead}: applied, stock moved.", "ok"
    return f"{lead}, but it still cannot be applied: {doc['detail']}", "error"


class UnappliedPortal(PortalController):
    path = "/stock/unapplied"

    @get(opt=requires(VIEW))
    async def list_unapplied(
        self, request: Request,
        status: Annotated[str, Parameter(pattern=r"^(queued|applied|discarded|)$")] = "queued",
        reason: Annotated[str, Parameter(max_length=32)] = "",
        device: Annotated[str, Parameter(max_length=64)] = "", before: Before = None,
    ) -> Template:
        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            return {**service.list_queue(conn, status=status or None, reason=reason or None,
                                         device_id=device or None, before=before, limit=PAGE_SIZE + 1),
                    "reasons": store.reasons(conn), "devices": store.devices(conn)}

        data = await request.app.state.db.read(read)
        rows = data["rows"][:PAGE_SIZE]
        kept = {"status": status, "reason": reason, "device": device}
        older = (f"/stock/unapplied?{urlencode({**kept, 'before': rows[-1]['seq']})}"
                 if len(data["rows"]) > PAGE_SIZE and rows else None)
        filtered = status != "queued" or bool(reason or device)
        return await shell.page(
            request, "unapplied/list.html", key="unapplied",
            title=f"Unapplied documents ({data['queued']})" if data["queued"] else None,
            docs=rows, queued=data["queued"], filters=kept, filtered=filtered, statuses=STATUSES,
            reasons=data["reasons"], devices=data["devices"], older=older,
            newest=f"/stock/unapplied?{urlencode(kept)}" if before else None, **_helpers())

    async def _page(self, request: Request, doc_id: str, q: str = "", refused: Refusal | None = None,
                    values: dict[str, str] | None = None) -> Template:
        data = await request.app.state.db.read(_detail, doc_id, q)
        doc, identity = data["doc"], request.state.identity
        refused = refused or Refusal()
        title = f"{KIND_NAMES[doc['kind']]} from {doc['device_name']}"
        return await shell.page(
            request, "unapplied/document.html", key="unapplied", title=title, crumbs=[(title, None)],
            status=refused.status, doc=doc, names=data["names"], found=data["found"], q=q,
            unknown=_unknown_codes(doc), refused=refused, labels=LABELS, values=values or {},
            can_resolve=identity.can(APPROVE) and doc["status"] == "queued",
            may_authorise=identity.can(ingest.NEEDED[doc["kind"]]), needed=ingest.NEEDED[doc["kind"]],
            **_helpers())

    @get("/{doc_id:str}", opt=requires(VIEW))
    async def document(self, request: Request, doc_id: DocId,
                       q: Annotated[str, Parameter(max_length=64)] = "",
                       code: Annotated[str, Parameter(max_length=64)] = "") -> Template:
        return await self._page(request, doc_id, q.strip(), values={"q": q, "code": code})

    async def _act(self, request: Request, doc_id: str, write: Any, lead: str, refused_lead: str) -> Response:
        form = Form(await request.form())
        try:
            doc = await request.app.state.db.write(write, form)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = refusal(err, refused_lead)
            if not refused.errors:
                refused = Refusal(refused.status, refused.summary, {"decision": refused.summary})
            values = form.values()
            return await self._page(request, doc_id, values.get("q", "").strip()[:64], refused, values)
        notice, kind = _done(doc, lead) if doc["status"] != "discarded" else (
            "Discarded: it stays on record and moves no stock.", "ok")
        return shell.redirect(request, f"/stock/unapplied/{doc_id}", notice, kind=kind)

    @post("/{doc_id:str}/map", opt=requires(APPROVE), status_code=303)
    async def map_code(self, request: Request, doc_id: DocId) -> Response:
        identity = request.state.identity
        actor = identity.actor  # here, where the request id is known (not in the writer thread)
        return await self._act(request, doc_id,
                               lambda conn, form: _map(conn, actor, identity.permissions, doc_id, form),
                               "The code was mapped", "The code was not mapped")

    @post("/{doc_id:str}/apply", opt=requires(APPROVE), status_code=303)
    async def apply(self, request: Request, doc_id: DocId) -> Response:
        identity = request.state.identity
        actor = identity.actor
        return await self._act(request, doc_id, lambda conn, form: service.apply_document(
            conn, actor, identity.permissions, doc_id, form.get("authority") == "mine"),
            "Tried again", "It was not tried again")

    @post("/{doc_id:str}/discard", opt=requires(APPROVE), status_code=303)
    async def discard(self, request: Request, doc_id: DocId) -> Response:
        actor = request.state.identity.actor

        def write(conn: sqlite3.Connection, form: Form) -> dict[str, Any]:
            reason = form.get("reason").strip()
            if len(reason) > MAX_NOTE:
                raise FieldErrors([("reason", f"must be at most {MAX_NOTE} characters")])
            return service.discard(conn, actor, doc_id, reason)

        return await self._act(request, doc_id, write, "Discarded", "It was not discarded")


ROUTES = [UnappliedPortal]
