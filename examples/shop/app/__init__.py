"""shop-api: the catalogue and orders service behind shop.example.com."""

__version__ = "1.4.2"
