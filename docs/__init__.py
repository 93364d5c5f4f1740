"""The pictures README.md shows, and :mod:`docs.make_pictures`, which draws them (``make docs``)."""
