"""One module per field family of an article page (web-poet style: a field, its rules)."""
