"""The package's version, in a module of its own: every module can import it without
importing the package's public surface (``tradetrace/__init__.py``)."""

__version__ = "0.1.0"
