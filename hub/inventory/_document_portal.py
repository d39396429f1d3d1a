"""What the goods receipt and purchase order pages share: the list with its supplier and status
filters and cursor paging, a draft's form and its save (each refusal beside its input or row,
what was typed kept), a document's page read in one database hop, and an action on a document
whose refusal re-renders that page with the error's status.

A controller mixes in `DocumentPages`, names its `Kind` and says how its form is read
(`_fields`), filled in (`_form_data`, `_start`); its routes stay its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.response import Template

from hub.catalogue._refdata_portal import Refusal, refusal
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.db import stock_lists, suppliers
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.inventory import _format
from hub.inventory.purchasing import _portal_lines as lines_form
from hub.portal import shell
from hub.portal.forms import Form

PAGE_SIZE = 50


def base_currency(conn: Any) -> dict[str, Any]:
    return stock_lists.base_currency(conn) or {"code": None, "decimals": 2}


def supplier_list(conn: Any, active: bool | None = True) -> list[dict[str, Any]]:
    return suppliers.list_suppliers(conn, q=None, active=active, after=None, limit=500)


@dataclass(frozen=True)
class Kind:
    """One kind of stock document as its pages show it."""

    path: str  # its list, e.g. /stock/receipts
    key: str  # the page key of its list and of each document's page
    new_key: str  # the page key of a new one's form
    noun: str  # "Goods receipt"
    folder: str  # its templates: <folder>/list.html, form.html, <page>.html, print.html
    page: str  # a document's page template in the folder, e.g. "receipt"
    labels: dict[str, str]
    document: Callable[[Any, str], dict[str, Any]]  # the service's document(conn, id)
    create: Callable[..., dict[str, Any]]  # create(conn, actor, fields)
    update: Callable[..., dict[str, Any]]  # update(conn, actor, id, fields)
    not_draft: str  # why a document that is not a draft has no form
    names: dict[str, Any] = field(default_factory=dict)  # more names for its templates

    def helpers(self, base: dict[str, Any]) -> dict[str, Any]:
        return {"quantity": _format.quantity,
                "money": lambda minor: _format.money(minor, base["decimals"], base["code"])} | self.names


class DocumentPages:
    """The shared halves of a document kind's portal controller (mixed into a PortalController)."""

    kind: ClassVar[Kind]

    # ---- what each kind says ----------------------------------------------------------------

    def _form_data(self, conn: Any, doc_id: str | None, **context: Any) -> dict[str, Any]:
        """{doc, base, suppliers, ...} for the form (a draft's, or a new one's)."""
        raise NotImplementedError

    def _start(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
        """The form's fields and line rows before anything is typed."""
        raise NotImplementedError

    def _fields(self, form: Form, decimals: int) -> tuple[dict[str, Any], list[int], dict[str, str]]:
        """(the service's fields, the form row of each line, what is wrong with the form itself)."""
        raise NotImplementedError

    def _context(self, fields: dict[str, Any]) -> dict[str, Any]:
        """What `_form_data` needs again to show a refused form."""
        return {}

    # ---- the pages ---------------------------------------------------------------------------

    async def _list(self, request: Request, reader: Callable[..., dict[str, Any]], supplier: str, status: str,
                    after: str, **context: Any) -> Template:
        """The list page: `reader(conn, supplier_id=, status=, after=)` gives {rows, suppliers, base}."""
        kind = self.kind
        try:
            cursor = decode_cursor(after or None, 2)
        except FieldErrors:
            cursor, after = None, ""
        data = await request.app.state.db.read(reader, supplier_id=supplier or None, status=status or None,
                                               after=cursor)
        rows = data["rows"][:PAGE_SIZE]
        kept = {k: v for k, v in {"supplier": supplier, "status": status}.items() if v}
        following = (f"{kind.path}?{urlencode({**kept, 'after': encode_cursor(rows[-1]['created_at'], rows[-1]['id'])})}"
                     if len(data["rows"]) > PAGE_SIZE and rows else None)
        return await shell.page(request, f"{kind.folder}/list.html", key=kind.key, documents=rows,
                                suppliers=data["suppliers"], filters={"supplier": supplier, "status": status},
                                filtered=bool(kept), following=following,
                                first=f"{kind.path}?{urlencode(kept)}" if after else None,
                                **context, **kind.helpers(data["base"]))

    async def _form(self, request: Request, doc_id: str | None = None, *, values: dict[str, Any] | None = None,
                    rows: list[dict[str, str]] | None = None, refused: Refusal | None = None,
                    **context: Any) -> Template:
        kind = self.kind
        data = await request.app.state.db.read(self._form_data, doc_id, **context)
        doc = data["doc"]
        if doc and doc["status"] != "draft":
            raise NotFoundError(kind.not_draft)
        start_values, start_rows = self._start(data)
        refused = refused or Refusal()
        extra = {k: v for k, v in data.items() if k not in ("doc", "base")}
        return await shell.page(
            request, f"{kind.folder}/form.html", key=kind.key if doc else kind.new_key,
            title=f"Edit {doc['number']}" if doc else None,
            crumbs=[(doc["number"], f"{kind.path}/{doc['id']}"), ("Edit", None)] if doc else (),
            status=refused.status, refused=refused, labels=kind.labels, doc=doc,
            values=values if values is not None else start_values,
            rows=lines_form.padded(rows if rows is not None else start_rows), **extra, **kind.helpers(data["base"]))

    async def _save(self, request: Request, doc_id: str | None) -> Response:
        """Create (doc_id None) or update a draft from the posted form."""
        kind = self.kind
        form = Form(await request.form())
        base = await request.app.state.db.read(base_currency)
        fields, rows, errors = self._fields(form, base["decimals"])
        actor = request.state.identity.actor
        lead = f"The {kind.noun.lower()} was not saved"
        try:
            if errors:
                raise FieldErrors(list(errors.items()))
            if doc_id is None:
                doc = await request.app.state.db.write(kind.create, actor, fields)
            else:
                doc = await request.app.state.db.write(kind.update, actor, doc_id, fields)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = lines_form.row_refusal(err, rows, lead) if not errors else Refusal(422, f"{lead}.", errors)
            return await self._form(request, doc_id, values=form.values(), rows=lines_form.typed_rows(form),
                                    refused=refused, **self._context(fields))
        return shell.redirect(request, f"{kind.path}/{doc['id']}", f"{kind.noun} {doc['number']} saved as a draft.")

    async def _page(self, request: Request, doc_id: str, refused: Refusal | None = None,
                    template: str | None = None) -> Template:
        """A document's page (or its printable view): the document and the base currency in one read."""
        kind = self.kind

        def read(conn: Any) -> tuple[dict[str, Any], dict[str, Any]]:
            return kind.document(conn, doc_id), base_currency(conn)

        doc, base = await request.app.state.db.read(read)
        refused = refused or Refusal()
        return await shell.page(request, template or f"{kind.folder}/{kind.page}.html", key=kind.key,
                                title=f"{kind.noun} {doc['number']}", crumbs=[(doc["number"], None)],
                                status=refused.status, refused=refused, doc=doc, labels=kind.labels,
                                **kind.helpers(base))

    async def _act(self, request: Request, doc_id: str, act: Any, lead: str, done: str | Callable[[dict], str],
                   args: Callable[[Form], tuple[Any, ...]] = lambda form: (), *, to_result: bool = False) -> Response:
        """Run `act(conn, actor, doc_id, *args(form))`; a refusal re-renders the page with its status,
        else a redirect to the document (or, `to_result`, to the document `act` returned)."""
        kind = self.kind
        form = Form(await request.form())
        try:
            doc = await request.app.state.db.write(act, request.state.identity.actor, doc_id, *args(form))
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, doc_id, refusal(err, lead))
        said = done(doc) if callable(done) else f"{kind.noun} {doc['number']} {done}."
        return shell.redirect(request, f"{kind.path}/{doc['id'] if to_result else doc_id}", said)
