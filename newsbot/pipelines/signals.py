"""Signals the newsbot pipelines send each other through `crawler.signals`.

They keep the pipelines decoupled: the de-duplication store commits when the index commits,
and the index pipeline records alternates that de-duplication finds, without either importing
the other.
"""

# Sent by IndexPipeline after each Whoosh commit; kwargs: commit (newsbot.search.writer.Commit).
index_committed = object()

# Sent by DedupePipeline when an item was dropped as a copy of a stored article;
# kwargs: url (the stored article), alternate (the copy's URL).
alternate_found = object()

# Sent by DedupePipeline when a stored article turns out to be the later of two near-duplicates;
# kwargs: url (the stored article), of (the earlier-published article).
near_duplicate_found = object()
