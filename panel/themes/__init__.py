"""Themes in open answers: multilingual sentence embeddings and clustering, offline; themes that
communicators rename, merge and split; codes they tag answers with; sentiment per answer."""

from panel.core.rooms import Periodic, Room

room = Room(
    "themes",
    models=("panel.themes.models",),
    blueprints=("panel.themes.views:bp",),
    tasks=("panel.themes.tasks",),
    # A clip's new or corrected transcript is read again as its answer's words.
    setup=("panel.themes.hooks:init_app",),
    periodic=(Periodic("themes-analyse-missed", "panel.themes.tasks.analyse_missed", 900.0),),
)
