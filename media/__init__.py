"""Files of sound and picture: storage (local, S3), uploads, probing, transcoding, captions.

Knows nothing of questions or tenants: it takes bytes and keys and gives back media records
and URLs. Of ``panel`` it uses only the ground floor, ``panel.core``.
"""

from panel.core.rooms import Periodic, Room

room = Room(
    "media",
    models=("media.models",),
    blueprints=("media.views:bp",),
    tasks=("media.tasks",),
    periodic=(
        # Often: a clip whose worker died is taken over within a lease plus one sweep.
        Periodic("reclaim-stalled-media", "media.tasks.reclaim_stalled", 20.0),
        Periodic("expire-media-uploads", "media.tasks.expire_uploads", 600.0),
        Periodic("transcribe-missed-media", "media.tasks.transcribe_missed", 300.0),
    ),
)
