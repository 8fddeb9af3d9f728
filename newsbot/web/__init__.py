"""`newsbot serve`: a local, read-only web interface to the archive (see docs/web.md)."""
