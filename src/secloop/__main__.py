"""``python -m secloop``: the same entry point as the ``secloop`` script."""

from secloop.cli import main

if __name__ == "__main__":
    main()
