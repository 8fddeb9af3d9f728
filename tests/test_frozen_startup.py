"""FrozenStartup: what exists when the engine starts leaves the collector's reach, garbage not."""

from __future__ import annotations

import gc
import weakref

from scrapy import signals
from scrapy.utils.test import get_crawler

from newsbot.extensions import FrozenStartup


class Cyclic:
    def __init__(self) -> None:
        self.me = self


def test_the_engine_start_freezes_the_heap_but_not_its_garbage() -> None:
    crawler = get_crawler(settings_dict={"MEMUSAGE_ENABLED": False})
    extension = FrozenStartup.from_crawler(crawler)  # signals hold their receivers weakly
    garbage = Cyclic()
    gone = weakref.ref(garbage)
    del garbage  # unreachable, but only the cyclic collector can free it
    kept = Cyclic()
    try:
        gc.disable()  # so that nothing but the extension collects
        crawler.signals.send_catch_log(signals.engine_started)
        assert gone() is None
        assert gc.get_freeze_count() > 0
        assert not gc.is_finalized(kept) and kept.me is kept
        assert extension is not None
    finally:
        gc.unfreeze()
        gc.enable()
