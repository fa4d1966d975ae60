"""Data: rows from the world, files or the hub, their validation, the 24 languages, and the embedded world."""
