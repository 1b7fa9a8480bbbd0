"""videosync: keep a Vision API video catalog equal to a YAML manifest in git."""

__version__ = "0.1.0"

__all__ = ["__version__"]
