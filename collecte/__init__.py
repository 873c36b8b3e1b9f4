"""collecte: the logistics tracker of La Grande Collecte Numérique."""

import os

__version__ = "0.1.0"

# Piccolo finds its engine and apps through this module; set it once for every entry point.
os.environ.setdefault("PICCOLO_CONF", "collecte.db.piccolo_conf")
