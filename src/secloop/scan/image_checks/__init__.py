"""Image checks that no single file answers: the image configuration and history
(SL-IMG rules) and secrets in files that later layers deleted."""

from __future__ import annotations

from secloop.scan.image_checks.scanner import DeletedLayerSecretsScanner, ImageConfigScanner

__all__ = ["DeletedLayerSecretsScanner", "ImageConfigScanner"]
