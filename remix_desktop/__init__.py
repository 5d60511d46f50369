"""Remix Desktop: offline control over AI remixes of a creator's own videos."""


def __getattr__(name: str):
    """`__version__`, read from the installed package's metadata when first asked for
    (importlib.metadata costs a command's start about 50 ms)."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("remix-desktop")
    except PackageNotFoundError:  # running from a source tree that is not installed
        found = "0.0.0+source"
    globals()["__version__"] = found
    return found
