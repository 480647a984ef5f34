"""The package version, read by setuptools at build time and by every ``--version`` flag."""

__version__ = "0.1.0"
