"""secloop: a cloud-native DevSecOps security platform.

The public entry points are the ``secloop`` command (``secloop.cli``) and the
library layers beneath it; see ``docs/adr/`` and ../shared/DESIGN.md.
"""

__version__ = "0.1.0"
