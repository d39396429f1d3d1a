"""Portal pages for promotions: the list (running, scheduled, ended), one promotion in words, a form
for every kind of docs/pricing.md (new and edit), ending one, and "Try a basket"
(hub.catalogue.promotions._basket_portal).

Every change goes through hub.catalogue.promotions.service inside one `db.write`, exactly as the
API's does, so the same rules hold and each change writes one audit entry; the service's
FieldErrors are shown beside the inputs they name.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue import ownership
from hub.catalogue.promotions import _portal_form as promo_form
from hub.catalogue.promotions import service
from hub.catalogue.promotions._basket_portal import BasketPortal
from hub.catalogue.promotions._portal_words import Words, product_labels
from hub.db import promotions as store
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

PAGES = (
    Page("promotions", "Promotions", "/promotions", "Catalogue", "catalogue.view",
         keywords="offers deals discounts specials multi-buy buy get spend",
         summary="Offers the tills apply: percent or amount off, multi-buys, buy X get Y, "
                 "spend over"),
    Page("promotions.new", "New promotion", "/promotions/new", "Catalogue", "promotions.manage",
         sidebar=False, keywords="add create offer deal discount multi-buy"),
    Page("promotions.try", "Try a basket", "/promotions/try", "Catalogue", "catalogue.view",
         sidebar=False, keywords="preview quote price basket discount test promotions tiers"),
)
PromotionId = Annotated[str, Parameter(max_length=64)]
KindParam = Annotated[str, Parameter(
    pattern="^(|percent_off|amount_off|multi_buy|buy_x_get_y|spend_threshold)$")]
PAGE_SIZE = 25
STATUSES = (("", "All"), ("running", "Active now"), ("scheduled", "Scheduled"), ("ended", "Ended"))
STATUS_BADGES = {"running": ("ok", "Active"), "scheduled": ("warn", "Scheduled"),
                 "ended": ("off", "Ended")}


def _sentence(err: HubError) -> str:
    return err.detail[0].upper() + err.detail[1:] + ("" if err.detail.endswith(".") else ".")


def _service_problems(conn: Any, fields: dict[str, Any]) -> dict[str, str]:
    """What the service would also refuse, by input (shown beside the form's own findings)."""
    try:
        service.check(conn, service.normalise(promo_form.present(fields)))
    except FieldErrors as err:
        return promo_form.field_errors(err.errors)
    return {}


class PromotionPortal(PortalController):
    path = "/promotions"

    async def _refs(self, request: Request) -> promo_form.Refs:
        store_info = await shell.store_of(request)
        refs = await request.app.state.db.read(promo_form.load_refs)
        refs.zone = store_info["zone"]
        return refs

    @get(opt=requires("catalogue.view"))
    async def list_promotions(
        self, request: Request, q: Annotated[str, Parameter(max_length=120)] = "",
        status: Annotated[str, Parameter(pattern="^(|running|scheduled|ended)$")] = "",
        kind: KindParam = "", after: Annotated[str, Parameter(max_length=64)] = "",
    ) -> Template:
        refs = await self._refs(request)

        def listing(conn: Any) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
            now = service.now_stamp(conn)
            rows = store.list_promotions(conn, now=now, after=after or None, limit=PAGE_SIZE + 1,
                                         kind=kind or None, status=status or None,
                                         q=q.strip() or None)
            rows = [service.with_status(r, now) for r in rows]
            return rows, product_labels(conn, rows[:PAGE_SIZE])

        rows, labels = await request.app.state.db.read(listing)
        words = Words(refs, labels)
        shown = [{**r, "deal": words.deal(r), "when": words.when(r)} for r in rows[:PAGE_SIZE]]
        filters = {"q": q, "status": status, "kind": kind}
        given = {k: v for k, v in filters.items() if v}
        more = (f"/promotions?{urlencode({**given, 'after': shown[-1]['id']})}"
                if len(rows) > PAGE_SIZE else None)
        query = urlencode(given)
        return await shell.page(request, "promotions/list.html", key="promotions", promotions=shown,
                                filters=filters, statuses=STATUSES, kinds=promo_form.KINDS,
                                badges=STATUS_BADGES, more=more,
                                first=f"/promotions?{query}" if after else None)

    async def _form_page(self, request: Request, *, kind: str, values: dict[str, Any],
                         errors: dict[str, str] | None = None, summary: str | None = None,
                         promotion: dict[str, Any] | None = None, status: int = 200,
                         refs: promo_form.Refs | None = None) -> Template:
        refs = refs or await self._refs(request)
        errors = errors or {}
        listed = [(name, promo_form.label(name), message)
                  for name, message in promo_form.ordered(errors)]
        common = dict(kind=kind, values=values, errors=errors, listed=listed, summary=summary,
                      refs=refs, kinds=promo_form.KINDS, hints=promo_form.KIND_HINTS,
                      fields=promo_form.kind_fields(kind), target_types=promo_form.TARGET_TYPES,
                      weekdays=promo_form.WEEKDAYS, status=status)
        if promotion is None:
            return await shell.page(request, "promotions/form.html", key="promotions.new",
                                    action="/promotions", promotion=None, **common)
        url = f"/promotions/{promotion['id']}"
        return await shell.page(request, "promotions/form.html", key="promotions",
                                title=f"Edit {promotion['name']}",
                                crumbs=[(promotion["name"], url), ("Edit", None)], action=url,
                                promotion=promotion, **common)

    @get("/new", opt=requires("promotions.manage"))
    async def new_promotion(self, request: Request, kind: KindParam = "") -> Template:
        kind = kind or "percent_off"
        return await self._form_page(request, kind=kind, values=promo_form.blank(kind))

    @post(opt=requires("promotions.manage"), status_code=303)
    async def create_promotion(self, request: Request) -> Response:
        return await self._save(request, None)

    async def _promotion(self, request: Request, promotion_id: str) -> tuple[dict[str, Any], bool]:
        """The promotion with its status now, and whether this store may change it."""
        def read(conn: Any) -> tuple[dict[str, Any] | None, str, bool]:
            return (store.get_promotion(conn, promotion_id), service.now_stamp(conn),
                    ownership.is_enrolled(conn))

        row, now, enrolled = await request.app.state.db.read(read)
        if row is None or not row["active"]:
            raise NotFoundError(f"there is no promotion {promotion_id}")
        return service.with_status(row, now), not (enrolled and row["source"] == "hq")

    @get("/{promotion_id:str}/edit", opt=requires("promotions.manage"))
    async def edit_promotion(self, request: Request, promotion_id: PromotionId,
                             kind: KindParam = "") -> Template:
        promotion, _ = await self._promotion(request, promotion_id)
        refs = await self._refs(request)
        labels = await request.app.state.db.read(product_labels, [promotion])
        values = promo_form.values_of(promotion, refs, {i: v["sku"] for i, v in labels.items()})
        values["kind"] = kind or promotion["kind"]
        return await self._form_page(request, kind=values["kind"], values=values,
                                     promotion=promotion, refs=refs)

    @post("/{promotion_id:str}", opt=requires("promotions.manage"), status_code=303)
    async def update_promotion(self, request: Request, promotion_id: PromotionId) -> Response:
        return await self._save(request, promotion_id)

    async def _save(self, request: Request, promotion_id: str | None) -> Response:
        db, identity = request.app.state.db, request.state.identity
        promotion = (await self._promotion(request, promotion_id))[0] if promotion_id else None
        form = Form(await request.form())
        refs = await self._refs(request)
        kind = form.get("kind")
        values = promo_form.typed_values(form, refs)
        if kind not in promo_form.KINDS:
            values["kind"] = "percent_off"
            return await self._form_page(request, kind="percent_off", values=values,
                                         promotion=promotion, refs=refs, status=422,
                                         errors={"kind": "Choose a kind from the list"})
        parsed = await db.read(promo_form.resolve, promo_form.read(form, kind, refs))
        for name, message in promo_form.type_problems(parsed.fields).items():
            parsed.errors.setdefault(name, message)
        if parsed.errors:
            errors = {k: v[:1].upper() + v[1:] for k, v in parsed.errors.items()}
            for name, message in (await db.read(_service_problems, parsed.fields)).items():
                if not any(n == name or n.startswith(name + "_") for n in errors):
                    errors[name] = message
            return await self._form_page(request, kind=kind, values=values, errors=errors,
                                         promotion=promotion, status=422, refs=refs)
        try:
            if promotion_id is None:
                row = await db.write(service.create_promotion, identity.actor,
                                     promo_form.present(parsed.fields))
            else:  # every field given, None for those left empty: PATCH semantics remove them
                row = await db.write(service.update_promotion, identity.actor, promotion_id,
                                     parsed.fields)
        except FieldErrors as err:
            return await self._form_page(request, kind=kind, values=values,
                                         errors=promo_form.field_errors(err.errors),
                                         promotion=promotion, status=err.status, refs=refs)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._form_page(request, kind=kind, values=values, summary=_sentence(err),
                                         promotion=promotion, status=err.status, refs=refs)
        notice = f"Promotion {row['name']} {'created' if promotion_id is None else 'saved'}."
        return shell.redirect(request, f"/promotions/{row['id']}", notice)

    async def _detail(self, request: Request, promotion_id: str, error: str | None = None,
                      status: int = 200) -> Template:
        promotion, changeable = await self._promotion(request, promotion_id)
        refs = await self._refs(request)
        labels = await request.app.state.db.read(product_labels, [promotion])
        words = Words(refs, labels)
        named = dict.fromkeys(i for t in ("target", "buy_target", "get_target")
                              for i in (promotion.get(t) or {}).get("products") or ())
        products = [{"id": i, **labels.get(i, {"name": i, "sku": ""})} for i in named]
        manage = request.state.identity.can("promotions.manage") and changeable
        return await shell.page(request, "promotions/promotion.html", key="promotions",
                                title=promotion["name"], crumbs=[(promotion["name"], None)],
                                promotion=promotion,
                                facts=words.facts(promotion), products=products, error=error,
                                badge=STATUS_BADGES[promotion["status"]], manage=manage,
                                hq_locked=not changeable, status=status)

    @get("/{promotion_id:str}", opt=requires("catalogue.view"))
    async def promotion(self, request: Request, promotion_id: PromotionId) -> Template:
        return await self._detail(request, promotion_id)

    @post("/{promotion_id:str}/end", opt=requires("promotions.manage"), status_code=303)
    async def end_promotion(self, request: Request, promotion_id: PromotionId) -> Response:
        identity = request.state.identity
        try:
            row = await request.app.state.db.write(service.end_promotion, identity.actor,
                                                   promotion_id)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._detail(request, promotion_id, _sentence(err), err.status)
        return shell.redirect(request, f"/promotions/{promotion_id}",
                              f"Promotion {row['name']} ended: the tills stop giving it now.")


ROUTES = [BasketPortal, PromotionPortal]
