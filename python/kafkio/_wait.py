"""How poll(timeout) and flush() wait for delivery reports without blocking the caller's event loop.

The native I/O thread makes an eventfd readable when reports arrive. A waiting caller:
- under gevent (the calling thread runs a gevent hub and we are not the hub itself): parks on a gevent Waiter; one
  io watcher per (producer, hub) on the eventfd resumes the waiting greenlets from the hub, a few per loop
  iteration, so the hub keeps running other greenlets and timers. One watcher for many waiting greenlets: gevent
  allows one waiter per watcher.
- otherwise (plain threads): waits in poll(2) on the eventfd inside the extension, with the GIL released.
`kafkio.wait` in the configuration overrides the choice: "gevent" or "thread" ("auto" is the default).
"""
import collections
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


# How many waiting greenlets (or asyncio tasks) one loop iteration resumes. When a broker response completes the
# records of 100 waiting requests at once, resuming all of them in one go would run 100 request handlers before any
# timer fires; resuming a few per iteration lets the loop's timers and sockets in between (docs/python.md).
WAKE_PER_ITERATION = 8


class _GeventWaiter:
    """Greenlets of one hub waiting for one producer's reports. One io watcher (gevent allows one waiter per
    watcher) wakes them; they are resumed WAKE_PER_ITERATION per loop iteration."""

    def __init__(self, native, hub):
        from gevent.hub import Waiter
        self._Waiter = Waiter
        self._native = native
        self.hub = hub
        self._loop = hub.loop
        self._watcher = hub.loop.io(native._fd(), 1)  # 1: READ
        self._waiting = []  # gevent Waiters, in arrival order
        self._to_wake = collections.deque()  # notified, not resumed yet
        self._resuming = False

    def wait(self, timeout):
        waiter = self._Waiter(self.hub)
        if not self._waiting:
            self._watcher.start(self._readable)
        self._waiting.append(waiter)
        timer = None
        if timeout >= 0:
            timer = self._loop.timer(timeout)
            timer.start(waiter.switch, False)
        try:
            waiter.get()
        finally:
            if timer is not None:
                timer.close()
            try:
                self._waiting.remove(waiter)  # timed out (a woken waiter was taken off already)
            except ValueError:
                pass
            if not self._waiting:
                self._watcher.stop()

    def _readable(self):  # in the hub: clear the eventfd (level-triggered), wake every waiter
        self._native._clear_wakeup()
        self.notify()

    def notify(self):
        """Resumes the greenlets waiting now (not those that start waiting later), a few per iteration."""
        if self._waiting:
            self._to_wake.extend(self._waiting)
            self._waiting = []
            self._watcher.stop()
            if not self._resuming:
                self._resuming = True
                self._resume()

    def _resume(self, timer=None):
        if timer is not None:
            timer.close()
        for _ in range(min(WAKE_PER_ITERATION, len(self._to_wake))):
            self._loop.run_callback(self._to_wake.popleft().switch, True)  # stale (timed out) switches are ignored
        if self._to_wake:  # the rest in the next iteration, after its timers and I/O
            later = self._loop.timer(0)
            later.start(self._resume, later)
        else:
            self._resuming = False

    @property
    def waiting(self):
        return len(self._waiting)


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
        poke = self._thread._waiting > 0
        if self._gevent:
            here = _gevent_hub_of_this_thread()
            for hub, waiter in self._gevent.items():
                if hub is here:
                    waiter.notify()
                elif waiter.waiting:
                    poke = True
        if poke:
            self._native._poke()
