"""Remix Desktop: offline control over AI remixes of a creator's own videos."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("remix-desktop")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
