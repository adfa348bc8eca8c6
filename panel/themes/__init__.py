"""Themes in open answers: multilingual sentence embeddings and clustering, offline; themes that
communicators rename, merge and split; codes they tag answers with; sentiment per answer."""

from panel.core.rooms import Room

room = Room(
    "themes",
    models=("panel.themes.models",),
)
