"""Every room's models, imported so ``Base.metadata`` holds every table (Alembic, tests)."""

from panel.app import ROOMS
from panel.core.db import Base
from panel.core.rooms import import_models, load_rooms

import_models(load_rooms(ROOMS))

__all__ = ["Base"]
