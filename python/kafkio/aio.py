"""kafkio.aio.AIOProducer: confluent_kafka.aio.AIOProducer's API on asyncio, without a thread pool.

The loop watches the producer's eventfd (loop.add_reader); when it turns readable the loop thread serves the
delivery reports, which resolve the futures that produce() returned. Nothing here blocks the loop: produce() only
hands the record to the native I/O thread, and flush() awaits a future that the reader resolves.

    producer = AIOProducer({"bootstrap.servers": "127.0.0.1:9092"})
    delivered = await producer.produce("events", b"hello")   # an asyncio.Future
    msg = await delivered                                    # the delivered Message (or KafkaException)
    await producer.flush()
    await producer.close()
"""
import asyncio
import collections

from . import KafkaException, Producer
from . import _transactions as _txn
from ._wait import WAKE_PER_ITERATION

__all__ = ["AIOProducer"]


class AIOProducer:
    def __init__(self, producer_conf, max_workers=None, executor=None, batch_size=None, buffer_timeout=None,
                 **kwargs):
        # max_workers, executor, batch_size and buffer_timeout are confluent-kafka's thread-pool and batching knobs:
        # accepted for compatibility, not needed (no thread pool; records go to the I/O thread at once).
        self._loop = asyncio.get_running_loop()
        conf = dict(producer_conf)
        conf["kafkio.wait"] = "thread"  # never used to wait: the loop's reader does
        self._producer = Producer(conf, **kwargs)
        self._waiting = []  # futures of flush()/produce() callers waiting for progress
        self._to_wake = collections.deque()  # notified, not resumed yet
        self._serving = self._waking = False
        self._closed = False
        self._loop.add_reader(self._producer._fd(), self._on_readable)

    # Reports are served WAKE_PER_ITERATION per loop iteration, and waiters resumed as many per iteration, so that
    # one broker response completing 100 requests' records does not run 100 tasks before the loop's next timer.
    def _on_readable(self):
        if not self._serving:
            self._serving = True
            self._serve_some()

    def _serve_some(self):
        operations = self._producer._operations_completed()
        try:
            served = self._producer._serve(WAKE_PER_ITERATION)
        except BaseException:
            # A callback raised (delivery, stats_cb, oauth_cb): the loop's exception handler gets it; the reports
            # behind it are served next iteration, and waiters look again (progress may have been made). A closed
            # producer serves nothing more.
            if self._waiting:
                self._to_wake.extend(self._waiting)
                self._waiting = []
                if not self._waking:
                    self._waking = True
                    self._loop.call_soon(self._wake)
            if self._closed or self._producer._closed():
                self._serving = False
            else:
                self._loop.call_soon(self._serve_some)
            raise
        progressed = served or self._producer._operations_completed() != operations  # a transactional operation
        if progressed and self._waiting:
            self._to_wake.extend(self._waiting)
            self._waiting = []
            if not self._waking:
                self._waking = True
                self._wake()
        if served == WAKE_PER_ITERATION:
            self._loop.call_soon(self._serve_some)
        else:
            self._serving = False

    def _wake(self):
        for _ in range(min(WAKE_PER_ITERATION, len(self._to_wake))):
            future = self._to_wake.popleft()
            if not future.done():  # not timed out
                future.set_result(None)
        if self._to_wake:
            self._loop.call_soon(self._wake)
        else:
            self._waking = False

    async def _wait_progress(self, timeout=None):
        future = self._loop.create_future()
        self._waiting.append(future)
        try:
            await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            pass

    async def produce(self, topic, value=None, key=None, partition=-1, timestamp=0, headers=None,
                      on_delivery=None, callback=None):
        """Queues a record; returns a future that resolves to its delivered Message or raises KafkaException.
        If the buffer is full, waits (without blocking the loop) for room instead of raising BufferError."""
        self._check_open()
        future = self._loop.create_future()
        user_cb = on_delivery or callback

        def delivered(err, msg):
            if user_cb is not None:
                user_cb(err, msg)
            if future.done():  # cancelled by the caller
                return
            if err is not None:
                future.set_exception(KafkaException(err))
            else:
                future.set_result(msg)

        while True:
            try:
                self._producer.produce(topic, value, key, partition, on_delivery=delivered, timestamp=timestamp,
                                       headers=headers)
                return future
            except BufferError:
                await self._wait_progress()

    async def poll(self, timeout=0):
        served = self._producer._serve(2**62)
        if served or timeout == 0:
            return served
        await self._wait_progress(None if timeout is None or timeout < 0 else timeout)
        return 0

    async def flush(self, timeout=None):
        """Waits until the records produced before the call were delivered; returns how many are left (0)."""
        self._check_open()
        target = self._producer._begin_flush()
        deadline = None if timeout is None or timeout < 0 else self._loop.time() + timeout
        while True:
            left = self._producer._outstanding_before(target)
            if left == 0:
                return 0
            remaining = None if deadline is None else deadline - self._loop.time()
            if remaining is not None and remaining <= 0:
                return left
            await self._wait_progress(remaining)

    # Transactions, as confluent_kafka.aio.AIOProducer's: awaited without blocking the loop (the loop's reader
    # serves the operation's report, as it serves delivery reports). Errors as kafkio.Producer's.
    async def init_transactions(self, timeout=None):
        await self._transaction_op(_txn.INIT, timeout)

    async def begin_transaction(self):
        await self._transaction_op(_txn.BEGIN, None)

    async def commit_transaction(self, timeout=None):
        await self._transaction_op(_txn.COMMIT, timeout)

    async def abort_transaction(self, timeout=None):
        await self._transaction_op(_txn.ABORT, timeout)

    async def send_offsets_to_transaction(self, positions, group_metadata, timeout=None):
        offsets, group = _txn.offsets_arguments(positions, group_metadata)
        await self._transaction_op(_txn.SEND_OFFSETS, timeout, offsets, group)

    async def _transaction_op(self, op, timeout, offsets=None, group=None):
        self._check_open()
        target = self._producer._produced()
        op_id = self._producer._transaction(op, offsets, group)
        deadline = None if timeout is None or timeout < 0 else self._loop.time() + timeout
        while True:
            done, err = self._producer._operation_result(op_id)
            if done:
                break
            remaining = None if deadline is None else deadline - self._loop.time()
            if remaining is not None and remaining <= 0:
                self._producer._abandon_operation(op_id)
                raise KafkaException(_txn.timed_out(op))
            await self._wait_progress(remaining)
        if op in (_txn.COMMIT, _txn.ABORT) and self._producer._outstanding_before(target):
            await self.flush(None if deadline is None else max(0.0, deadline - self._loop.time()))
        if err is not None:
            raise KafkaException(_txn.classify(op, err))

    async def close(self):
        """Flushes every record, then closes the connections and stops the I/O thread."""
        if self._closed:
            return
        await self.flush()
        self._closed = True
        self._loop.remove_reader(self._producer._fd())
        self._producer._close()
        await self._loop.run_in_executor(None, self._producer._destroy)  # joins the I/O thread: off the loop

    def _check_open(self):
        if self._closed:
            raise RuntimeError("AIOProducer is closed")

    def __len__(self):
        return len(self._producer)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()
