"""The API's view of an erasure request."""

from __future__ import annotations

from marshmallow import Schema, fields


class ErasureRequestSchema(Schema):
    id = fields.Integer(metadata={"description": "The erasure request's id"})
    contact_id = fields.Integer(metadata={"description": "The contact erased (gone when done)"})
    state = fields.String(
        metadata={"description": "requested, confirmed, running, done or declined"}
    )
    source = fields.String(metadata={"description": "Who asked: me, staff or api"})
    requested_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    steps_done = fields.List(
        fields.String(), metadata={"description": "The steps finished, in order"}
    )
    counts = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "What each removed"}
    )
