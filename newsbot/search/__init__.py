"""The only package that imports whoosh: schema, writing, searching."""

from newsbot.search import whoosh_fixes

whoosh_fixes.apply()
