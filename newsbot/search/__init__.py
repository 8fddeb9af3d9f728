"""The only package that imports whoosh: schema, writing, searching."""
