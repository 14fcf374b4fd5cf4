"""How poll(timeout) and flush() wait for delivery reports without blocking the caller's event loop.

The native I/O thread makes an eventfd readable when reports arrive. A waiting caller:
- under gevent (the calling thread runs a gevent hub and we are not the hub itself): waits on a gevent Event that
  one io watcher per (producer, hub) sets from the hub when the eventfd turns readable, so the hub keeps running
  other greenlets. One watcher for many waiting greenlets: gevent allows one waiter per watcher.
- otherwise (plain threads): waits in poll(2) on the eventfd inside the extension, with the GIL released.
`kafkio.wait` in the configuration overrides the choice: "gevent" or "thread" ("auto" is the default).
"""
import sys


def _gevent_hub_of_this_thread():
    """The running gevent hub of this thread, or None (gevent not imported, no hub here, or we are the hub)."""
    gevent = sys.modules.get("gevent")
    if gevent is None:
        return None
    try:
        from gevent._hub_local import get_hub_if_exists
    except ImportError:  # very old gevent
        return None
    hub = get_hub_if_exists()
    if hub is None:
        return None
    from greenlet import getcurrent
    return None if getcurrent() is hub else hub


class _GeventWaiter:
    """Greenlets of one hub waiting for one producer's reports."""

    def __init__(self, native, hub):
        from gevent.event import Event
        self._Event = Event
        self._native = native
        self.hub = hub
        self._watcher = hub.loop.io(native._fd(), 1)  # 1: READ
        self._event = Event()
        self._waiting = 0

    def wait(self, timeout):
        event = self._event
        if self._waiting == 0:
            self._watcher.start(self._readable)
        self._waiting += 1
        try:
            event.wait(None if timeout < 0 else timeout)
        finally:
            self._waiting -= 1
            if self._waiting == 0:
                self._watcher.stop()

    def _readable(self):  # in the hub: clear the eventfd (level-triggered), wake every waiter
        self._native._clear_wakeup()
        self.notify()

    def notify(self):
        if self._waiting:
            event, self._event = self._event, self._Event()
            event.set()

    @property
    def waiting(self):
        return self._waiting


class _ThreadWaiter:
    """Threads waiting in poll(2) on the eventfd (GIL released)."""

    def __init__(self, native):
        self._native = native
        self._waiting = 0

    def wait(self, timeout):
        self._waiting += 1
        try:
            self._native._wait(timeout)
        finally:
            self._waiting -= 1

    @property
    def waiting(self):
        return self._waiting


class Waiters:
    """Picks the waiter for the calling context; notifies all of them after reports were served."""

    def __init__(self, native, mode):
        self._native = native
        self._mode = mode
        self._thread = _ThreadWaiter(native)
        self._gevent = {}  # hub -> _GeventWaiter

    def for_caller(self):
        if self._mode == "thread":
            return self._thread
        hub = _gevent_hub_of_this_thread()
        if hub is None and self._mode == "gevent":
            import gevent
            hub = gevent.get_hub()
        if hub is None:
            return self._thread
        waiter = self._gevent.get(hub)
        if waiter is None:
            waiter = self._gevent[hub] = _GeventWaiter(self._native, hub)
        return waiter

    def notify_others(self):
        """After serving reports: wake the callers waiting for them (greenlets of this thread's hub directly,
        anyone else through the eventfd, since a gevent Event must be set from its own hub's thread)."""
        poke = self._thread.waiting > 0
        if self._gevent:
            here = _gevent_hub_of_this_thread()
            for hub, waiter in self._gevent.items():
                if hub is here:
                    waiter.notify()
                elif waiter.waiting:
                    poke = True
        if poke:
            self._native._poke()
