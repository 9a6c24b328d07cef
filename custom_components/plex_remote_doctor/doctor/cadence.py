"""When to ask the shared services (the public-IP service, plex.tv) again.

The Plex server and the router are the home's own: they are read on every check. The
public-IP service and plex.tv serve everyone: each is asked at most every
``SHARED_INTERVAL``, and at once when the home's own evidence changed (a new WAN IP,
Plex's public address or port, mapping state or error, the remote-access settings) or
the user asked. Between two asks a check uses the latest reading and says how old it is.

Times are seconds on one clock the caller chooses (Home Assistant's, so tests that move
the clock move this too).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from .evidence import Missing

SHARED_INTERVAL = 300.0
# Plex re-publishes its addresses to plex.tv shortly after a change; a view read sooner
# may still show the old ones, so one more read follows this long after a change.
PUBLISH_GRACE = 120.0
# A routine re-read that fails keeps the last reading this long (the local evidence has
# not changed since, so it still describes this home); never after a local change.
STALE_LIMIT = 900.0


class LocalChanges:
    """Remembers the home's own evidence and when it last changed.

    Each field keeps its last known value: a probe that fails for one check (None) is
    no change, or a flaky router would make every other check ask the shared services.
    """

    def __init__(self) -> None:
        """Nothing known yet: the first values seen are no change."""
        self._known: dict[str, Hashable] = {}
        self.changed_at: float | None = None

    def observe(self, values: Mapping[str, Hashable | None], now: float) -> bool:
        """Take one check's values; return whether a known value changed."""
        changed = False
        for name, value in values.items():
            if value is None:
                continue
            if name in self._known and self._known[name] != value:
                changed = True
            self._known[name] = value
        if changed:
            self.changed_at = now
        return changed


@dataclass(slots=True)
class SharedReading[T]:
    """One shared service's latest answer and when it was asked."""

    interval: float = SHARED_INTERVAL
    value: T | None = None
    missing: Missing | None = None  # the last failure that left no value
    read_at: float | None = None  # when ``value`` was read
    asked_at: float | None = None

    def due(
        self, now: float, changed_at: float | None, *, forced: bool = False, follow_up: bool = False
    ) -> bool:
        """Whether to ask now: never asked, asked too long ago, local news, or the user asks.

        ``follow_up``: ask once more ``PUBLISH_GRACE`` after a change (plex.tv's view).
        """
        asked = self.asked_at
        if forced or asked is None or now < asked:  # a clock that went back: ask
            return True
        if changed_at is not None and changed_at > asked:
            return True
        if follow_up and changed_at is not None and asked < changed_at + PUBLISH_GRACE <= now:
            return True
        return now - asked >= self.interval

    def record(self, reading: T | Missing, now: float, changed_at: float | None) -> None:
        """Keep an answer; a failure keeps the last one only while it still fits the home."""
        self.asked_at = now
        if not isinstance(reading, Missing):
            self.value, self.missing, self.read_at = reading, None, now
            return
        read_at = self.read_at
        still_fits = (
            read_at is not None
            and (changed_at is None or changed_at <= read_at)
            and now - read_at <= STALE_LIMIT
        )
        if not still_fits:
            self.value, self.read_at, self.missing = None, None, reading

    @property
    def failure(self) -> Missing | None:
        """Why there is no value (the last ask failed and nothing earlier still fits)."""
        return self.missing if self.value is None else None

    def age(self, now: float) -> float | None:
        """Seconds since the value was read; None without one."""
        return None if self.read_at is None or self.value is None else max(0.0, now - self.read_at)

    def settled(self, changed_at: float | None) -> bool:
        """Whether the value was read ``PUBLISH_GRACE`` or more after the last local change."""
        if self.read_at is None:
            return False
        return changed_at is None or self.read_at >= changed_at + PUBLISH_GRACE
