"""Portal pages of transfers between the chain's stores: the list (in transit first to the eye,
with its age), an out transfer's form with lines typed or scanned, a transfer's page (post,
discard, download its file, print; for an in transfer the quantities received, unmatched lines
mapped or marked not received, and posting), "Receive a transfer" (a transfer file uploaded or
pasted) and the import of a receipt confirmation at the sender.

Every change goes through hub.inventory.transfers.service in one `db.write`, as the API's does,
so each post writes one audit entry and moves stock only through the ledger."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.clock import parse_ts, utc_now
from hub.db import stock_lists
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.inventory import _format
from hub.inventory.purchasing import _portal_lines as lines_form
from hub.inventory.transfers import files, service
from hub.inventory.transfers.api import download, file_name
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

VIEW = "inventory.view"
TRANSFER = "inventory.transfer"
PAGES = (
    Page("transfers", "Transfers", "/stock/transfers", "Stock", VIEW,
         keywords="transfer send receive branch store chain in transit stock move",
         summary="Stock sent to and received from the chain's other stores"),
    Page("transfers.new", "New transfer", "/stock/transfers/new", "Stock", TRANSFER, sidebar=False,
         keywords="send stock to another store branch transfer out"),
    Page("transfers.receive", "Receive a transfer", "/stock/transfers/receive", "Stock", TRANSFER, sidebar=False,
         keywords="import transfer file receive stock from another store branch"),
    Page("transfers.confirm", "Import a receipt confirmation", "/stock/transfers/confirm", "Stock", TRANSFER,
         sidebar=False, keywords="transfer received confirmation import"),
)
PAGE_SIZE = 50
MAX_FILE = files.MAX_BYTES
TransferId = Annotated[str, Parameter(max_length=64)]
LABELS = {"other_store_code": "Destination store code", "other_store_name": "Destination store name",
          "note": "Note", "lines": "Lines", "file": "File", "text": "File"}
STATUS_WORDS = {"draft": "Draft", "in_transit": "In transit", "received": "Received", "discarded": "Discarded"}
_LINE = re.compile(r"lines\[(\d+)\]\.(\w+)")


def _base(conn: Any) -> dict[str, Any]:
    return stock_lists.base_currency(conn) or {"code": None, "decimals": 2}


def _formatters(base: dict[str, Any]) -> dict[str, Any]:
    return {"quantity": _format.quantity, "money": lambda minor: _format.money(minor, base["decimals"], base["code"]),
            "status_words": STATUS_WORDS}


def age(since: str | None) -> str:
    """How long ago, in words a manager reads at a glance: "3 days", "5 hours", "under an hour"."""
    if not since:
        return ""
    seconds = max(0, int((utc_now() - parse_ts(since)).total_seconds()))
    days, hours = seconds // 86400, seconds // 3600
    if days:
        return f"{days} day{'s' if days != 1 else ''}"
    if hours:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "under an hour"


def _listing(conn: Any, **filters: Any) -> dict[str, Any]:
    return {"rows": service.list_transfers(conn, **filters), "here": service.own_store(conn)}


async def _document_text(form: Form) -> str:
    """The uploaded file's text, else the pasted text; FieldErrors naming `file`."""
    upload = form.data.get("file") if hasattr(form.data, "get") else None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_FILE + 1)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise FieldErrors([("file", f"{upload.filename} is not a text file")]) from err
    else:
        text = form.get("text")
    if not text.strip():
        raise FieldErrors([("file", "choose the file, or paste its text")])
    if len(text) > MAX_FILE:
        raise FieldErrors([("file", f"is larger than {MAX_FILE // 1000} kB")])
    return text


def _file_refusal(err: HubError, lead: str) -> Refusal:
    """Whatever the file's parser named (`lines[0].quantity`, `to.store_code`) is said beside the
    file input, since the file is what was given."""
    refused = refusal(err, lead)
    if not refused.errors:
        return refused
    said = [m if k == "file" else f"{k}: {m}" for k, m in refused.errors.items()]
    return Refusal(refused.status, refused.summary, {"file": "; ".join(said)})


def _receiving_lines(form: Form, doc: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The receiving form's rows (named by the line's number) as service changes, in the document's order."""
    given, errors = [], {}
    for row in doc["lines"]:
        n = row["line"]
        change: dict[str, Any] = {"line": n, "not_received": form.checked(f"lines[{n}].not_received")}
        code = form.get(f"lines[{n}].code").strip()[:64]
        if code:
            change["code"] = code
        typed = form.get(f"lines[{n}].received").strip()
        if typed:
            amount = lines_form.thousandths(typed) if typed not in ("0", "0.0") else 0
            if amount is None:
                errors[f"lines[{n}].received"] = "must be a quantity such as 2 or 1.5 (3 decimals at most)"
            else:
                change["received"] = amount
        given.append(change)
    return given, errors


def _renamed(refused: Refusal, doc: dict[str, Any]) -> Refusal:
    """The service's `lines[k]` (k-th change) as the form's `lines[line number]`."""
    numbers = [r["line"] for r in doc["lines"]]

    def rename(name: str) -> str:
        m = _LINE.fullmatch(name)
        if m and int(m[1]) < len(numbers):
            return f"lines[{numbers[int(m[1])]}].{'code' if m[2] == 'product_id' else m[2]}"
        return name

    return Refusal(refused.status, refused.summary, {rename(k): v for k, v in refused.errors.items()})


class TransferPortal(PortalController):
    path = "/stock/transfers"

    @get(opt=requires(VIEW))
    async def list_transfers(self, request: Request,
                             direction: Annotated[str, Parameter(pattern="^(out|in|)$")] = "",
                             status: Annotated[str, Parameter(pattern="^(draft|in_transit|received|discarded|)$")] = "",
                             store: Annotated[str, Parameter(max_length=8)] = "",
                             after: Annotated[str, Parameter(max_length=400)] = "") -> Template:
        try:
            cursor = decode_cursor(after or None, 2)
        except FieldErrors:
            cursor, after = None, ""
        store = store.strip().upper()
        data = await request.app.state.db.read(_listing, direction=direction or None, status=status or None,
                                               store=store or None, after=cursor, limit=PAGE_SIZE + 1)
        base = await request.app.state.db.read(_base)
        rows = data["rows"][:PAGE_SIZE]
        for row in rows:
            row["age"] = age(row["posted_at"] or row["created_at"]) if row["status"] == "in_transit" else ""
        kept = {k: v for k, v in {"direction": direction, "status": status, "store": store}.items() if v}
        following = (f"/stock/transfers?{urlencode({**kept, 'after': encode_cursor(rows[-1]['created_at'], rows[-1]['id'])})}"
                     if len(data["rows"]) > PAGE_SIZE and rows else None)
        return await shell.page(request, "transfers/list.html", key="transfers", transfers=rows, here=data["here"],
                                filters={"direction": direction, "status": status, "store": store},
                                filtered=bool(kept), following=following,
                                first=f"/stock/transfers?{urlencode(kept)}" if after else None,
                                can_transfer=request.state.identity.can(TRANSFER), **_formatters(base))

    # ---- out transfers: the draft's form ----------------------------------------------------

    async def _form(self, request: Request, *, transfer_id: str | None = None, values: dict[str, Any] | None = None,
                    rows: list[dict[str, str]] | None = None, refused: Refusal | None = None) -> Template:
        doc = await request.app.state.db.read(service.document, transfer_id) if transfer_id else None
        if doc and (doc["direction"] != "out" or doc["status"] != "draft"):
            raise NotFoundError("only a draft out transfer is edited")
        here = await request.app.state.db.read(service.own_store)
        if values is None:
            values = {k: doc[k] for k in ("other_store_code", "other_store_name", "note")} if doc else {}
        if rows is None:
            rows = [{"code": r["sku"], "quantity": lines_form.quantity_text(r["quantity"])}
                    for r in doc["lines"]] if doc else []
        refused = refused or Refusal()
        return await shell.page(
            request, "transfers/form.html", key="transfers" if doc else "transfers.new",
            title=f"Edit {doc['number']}" if doc else None,
            crumbs=[(doc["number"], f"/stock/transfers/{doc['id']}"), ("Edit", None)] if doc else (),
            status=refused.status, refused=refused, labels=LABELS, doc=doc, here=here, values=values,
            rows=lines_form.padded(rows))

    @get("/new", opt=requires(TRANSFER))
    async def new_transfer(self, request: Request) -> Template:
        return await self._form(request)

    async def _save(self, request: Request, transfer_id: str | None) -> Response:
        form = Form(await request.form())
        lines, rows, errors = lines_form.read_lines(form, 2, packs=False)
        fields = {"other_store_code": form.get("other_store_code").strip().upper()[:16],
                  "other_store_name": form.get("other_store_name").strip()[:120],
                  "note": form.get("note").strip()[:500], "lines": lines}
        actor = request.state.identity.actor
        try:
            if errors:
                raise FieldErrors(list(errors.items()))
            if transfer_id is None:
                doc = await request.app.state.db.write(service.create_out, actor, fields)
            else:
                doc = await request.app.state.db.write(service.update_out, actor, transfer_id, fields)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            if isinstance(err, service.NotDraftError) and transfer_id:
                return await self._page(request, transfer_id, refusal(err, "The transfer was not saved"))
            refused = (Refusal(422, "The transfer was not saved.", errors) if errors
                       else lines_form.row_refusal(err, rows, "The transfer was not saved"))
            return await self._form(request, transfer_id=transfer_id, values=form.values(),
                                    rows=[{k: r[k] for k in ("code", "quantity")} for r in lines_form.typed_rows(form)],
                                    refused=refused)
        return shell.redirect(request, f"/stock/transfers/{doc['id']}",
                              f"Transfer {doc['number']} to {doc['other_store_code']} saved as a draft.")

    @post(opt=requires(TRANSFER), status_code=303)
    async def create_transfer(self, request: Request) -> Response:
        return await self._save(request, None)

    @get("/{transfer_id:str}/edit", opt=requires(TRANSFER))
    async def edit_transfer(self, request: Request, transfer_id: TransferId) -> Template:
        return await self._form(request, transfer_id=transfer_id)

    @post("/{transfer_id:str}", opt=requires(TRANSFER), status_code=303)
    async def update_transfer(self, request: Request, transfer_id: TransferId) -> Response:
        return await self._save(request, transfer_id)

    # ---- a transfer's page -------------------------------------------------------------------

    async def _page(self, request: Request, transfer_id: str, refused: Refusal | None = None,
                    typed: dict[str, str] | None = None, template: str = "transfers/transfer.html") -> Template:
        doc = await request.app.state.db.read(service.document, transfer_id)
        base = await request.app.state.db.read(_base)
        here = await request.app.state.db.read(service.own_store)
        refused = refused or Refusal()
        in_transit_age = age(doc["posted_at"] or doc["created_at"]) if doc["status"] == "in_transit" else ""
        return await shell.page(request, template, key="transfers", title=f"Transfer {doc['number']}",
                                crumbs=[(doc["number"], None)], status=refused.status, refused=refused, doc=doc,
                                here=here, typed=typed, labels=LABELS, in_transit_age=in_transit_age,
                                can_transfer=request.state.identity.can(TRANSFER), **_formatters(base))

    @get("/{transfer_id:str}", opt=requires(VIEW))
    async def transfer(self, request: Request, transfer_id: TransferId) -> Template:
        return await self._page(request, transfer_id)

    @get("/{transfer_id:str}/print", opt=requires(VIEW))
    async def print_transfer(self, request: Request, transfer_id: TransferId) -> Template:
        return await self._page(request, transfer_id, template="transfers/print.html")

    async def _act(self, request: Request, transfer_id: str, action: Any, lead: str, notice: str) -> Response:
        try:
            doc = await request.app.state.db.write(action, request.state.identity.actor, transfer_id)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, transfer_id, refusal(err, lead))
        return shell.redirect(request, f"/stock/transfers/{transfer_id}", notice.format(**doc))

    @post("/{transfer_id:str}/post", opt=requires(TRANSFER), status_code=303)
    async def post_transfer(self, request: Request, transfer_id: TransferId) -> Response:
        return await self._act(request, transfer_id, service.post_out, "The transfer was not posted",
                               "Transfer {number} posted: its stock left and is in transit to {other_store_code}. "
                               "Download its file for the receiving store.")

    @post("/{transfer_id:str}/discard", opt=requires(TRANSFER), status_code=303)
    async def discard_transfer(self, request: Request, transfer_id: TransferId) -> Response:
        return await self._act(request, transfer_id, service.discard_out, "The transfer was not discarded",
                               "Transfer {number} discarded: nothing moved.")

    @get("/{transfer_id:str}/file", opt=requires(VIEW))
    async def transfer_file(self, request: Request, transfer_id: TransferId) -> Response:
        doc = await request.app.state.db.read(service.transfer_file, transfer_id)
        return download(doc, file_name(doc, "transfer"))

    @get("/{transfer_id:str}/confirmation", opt=requires(VIEW))
    async def confirmation_file(self, request: Request, transfer_id: TransferId) -> Response:
        doc = await request.app.state.db.read(service.confirmation, transfer_id)
        return download(doc, f"receipt-{doc['receipt_number']}-{doc['from']['store_code']}-to-"
                             f"{doc['to']['store_code']}.json")

    # ---- in transfers: receiving -------------------------------------------------------------

    async def _receive(self, request: Request, transfer_id: str, action: Any, lead: str, notice: str) -> Response:
        form = Form(await request.form())
        doc = await request.app.state.db.read(service.document, transfer_id)
        given, errors = _receiving_lines(form, doc)
        try:
            if errors:
                raise FieldErrors(list(errors.items()))
            done = await request.app.state.db.write(action, request.state.identity.actor, transfer_id, given)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = Refusal(422, f"{lead}.", errors) if errors else _renamed(refusal(err, lead), doc)
            return await self._page(request, transfer_id, refused, typed=form.values())
        return shell.redirect(request, f"/stock/transfers/{transfer_id}", notice.format(**done))

    @post("/{transfer_id:str}/receiving", opt=requires(TRANSFER), status_code=303)
    async def save_receiving(self, request: Request, transfer_id: TransferId) -> Response:
        return await self._receive(request, transfer_id, service.receive_lines, "The quantities were not saved",
                                   "Received quantities of {number} saved; nothing moved yet.")

    @post("/{transfer_id:str}/receive", opt=requires(TRANSFER), status_code=303)
    async def receive_transfer(self, request: Request, transfer_id: TransferId) -> Response:
        return await self._receive(request, transfer_id, service.post_in, "The transfer was not received",
                                   "Transfer {number} received: what arrived is in stock. Download the receipt "
                                   "confirmation for {other_store_code}.")

    # ---- documents from another store ------------------------------------------------------

    async def _upload_page(self, request: Request, key: str, refused: Refusal | None = None, text: str = "") -> Template:
        refused = refused or Refusal()
        here = await request.app.state.db.read(service.own_store)
        return await shell.page(request, "transfers/upload.html", key=key, status=refused.status, refused=refused,
                                labels=LABELS, text=text, here=here,
                                action="/stock/transfers/receive" if key == "transfers.receive" else "/stock/transfers/confirm")

    @get("/receive", opt=requires(TRANSFER))
    async def receive_form(self, request: Request) -> Template:
        return await self._upload_page(request, "transfers.receive")

    @get("/confirm", opt=requires(TRANSFER))
    async def confirm_form(self, request: Request) -> Template:
        return await self._upload_page(request, "transfers.confirm")

    async def _import(self, request: Request, key: str, action: Any, lead: str, notice: str) -> Response:
        form = Form(await request.form())
        try:
            text = await _document_text(form)
            doc = await request.app.state.db.write(action, request.state.identity.actor, text)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = _file_refusal(err, lead)
            if err.code == "transfer_imported" and err.extra.get("transfer_id"):
                refused = Refusal(err.status, f"{lead}: {err.detail}.", {"file": "was imported before"})
            return await self._upload_page(request, key, refused, text=form.get("text")[:MAX_FILE])
        return shell.redirect(request, f"/stock/transfers/{doc['id']}", notice.format(**doc))

    @post("/receive", opt=requires(TRANSFER), status_code=303)
    async def import_transfer(self, request: Request) -> Response:
        return await self._import(request, "transfers.receive", service.import_file, "The transfer was not imported",
                                  "Transfer {source_number} from {other_store_code} imported as {number}: "
                                  "enter what arrived, then post it.")

    @post("/confirm", opt=requires(TRANSFER), status_code=303)
    async def import_confirmation(self, request: Request) -> Response:
        return await self._import(request, "transfers.confirm", service.import_confirmation,
                                  "The confirmation was not imported",
                                  "Transfer {number} confirmed received by {other_store_code}.")


ROUTES = [TransferPortal]
