"""Container images as artifacts: sources (docker save archives, OCI layouts,
registries) behind :class:`~secloop.scan.artifact.image.interface.ImageSource`, a
merged read-only file view over the layers, and the openers that tie them together.

Nothing is extracted to disk: layers are streamed, indexed (paths and offsets, never
contents) and read again lazily when a plugin wants a file.
"""

from __future__ import annotations
