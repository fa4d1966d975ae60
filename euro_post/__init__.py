"""euro-post: open post-training for European language models."""

__version__ = "0.1.0"
