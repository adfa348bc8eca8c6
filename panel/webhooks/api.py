"""``/api/v1/webhooks``: register, change and remove webhooks, and read each one's delivery log.

Admins only, as on the settings page: a webhook sends the organisation's answers elsewhere.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from sqlalchemy.orm import selectinload

from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import Forbidden
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, keyset_page
from panel.webhooks import service
from panel.webhooks.models import Webhook, WebhookDelivery
from panel.webhooks.schemas import (
    DeliveryPageSchema,
    WebhookCreatedSchema,
    WebhookInSchema,
    WebhookPageSchema,
    WebhookPatchSchema,
    WebhookSchema,
)

blp = Blueprint(
    "api_webhooks",
    __name__,
    description="Webhooks: other systems that get a signed POST for each event they chose.",
)


@blp.before_request
def _admins_only() -> None:
    user = getattr(g, "api_user", None)
    if user is not None and not user.is_admin:
        raise Forbidden(_l("Only admins manage webhooks."), code="admin_only")


@blp.route("/")
class Webhooks(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, WebhookPageSchema)
    @error_responses(blp, 403, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """The organisation's webhooks, ordered by id."""
        query = sa.select(Webhook)
        return keyset_page(
            db.session(), query, Webhook.id, limit=args["limit"], after=args.get("after")
        )

    @blp.arguments(WebhookInSchema)
    @blp.response(201, WebhookCreatedSchema)
    @error_responses(blp, 403, 409, 413, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a webhook. The answer carries its signing secret, shown only this once.
        422 when the address is not one Stoop may send to (and why); 409 past 20 webhooks."""
        session = db.session()
        webhook, _secret = service.create_webhook(session, g.api_user, **data)
        session.commit()
        return webhook


@blp.route("/<int:webhook_id>")
class OneWebhook(MethodView):
    @blp.response(200, WebhookSchema)
    @error_responses(blp, 403, 404)
    def get(self, webhook_id: int) -> Any:
        """One webhook."""
        return service.get_webhook(db.session(), webhook_id)

    @blp.arguments(WebhookPatchSchema)
    @blp.response(200, WebhookSchema)
    @error_responses(blp, 403, 404, 413, 422)
    def patch(self, data: dict[str, Any], webhook_id: int) -> Any:
        """Change its address, events or description; ``active`` switches it off or back on
        (a fresh start: no failures counted)."""
        session = db.session()
        webhook = service.get_webhook(session, webhook_id)
        service.update_webhook(session, webhook, data)
        session.commit()
        return webhook

    @blp.response(204)
    @error_responses(blp, 403, 404)
    def delete(self, webhook_id: int) -> Any:
        """Delete the webhook and its delivery log."""
        session = db.session()
        service.delete_webhook(session, service.get_webhook(session, webhook_id))
        session.commit()
        return None


@blp.route("/<int:webhook_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    @error_responses(blp, 403, 404, 422)
    def get(self, args: dict[str, Any], webhook_id: int) -> Any:
        """The delivery log, newest first: each event sent, its state and every attempt (time,
        status code, error, duration). Settled deliveries are kept for 30 days."""
        session = db.session()
        webhook = service.get_webhook(session, webhook_id)
        query = (
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook.id)
            .options(selectinload(WebhookDelivery.log))
        )
        return keyset_page(
            session,
            query,
            WebhookDelivery.id,
            limit=args["limit"],
            after=args.get("after"),
            descending=True,
        )
