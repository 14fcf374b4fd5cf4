"""kafkio for Python: a Kafka producer that is a drop-in for confluent_kafka.Producer and never blocks the event
loop it runs on (gevent, asyncio via kafkio.aio, or plain threads). See docs/python.md.

    from kafkio import Producer
    p = Producer({"bootstrap.servers": "127.0.0.1:9092"})
    p.produce("events", b"hello", key=b"user-1", on_delivery=lambda err, msg: ...)
    p.flush()   # under gevent: other greenlets keep running while this one waits for Kafka's acknowledgement
"""
import logging
import time
import weakref

from . import _native
from . import _transactions as _txn
from ._config import _PARTITIONERS, log_ignored, translate
from ._errors import KafkaError, KafkaException
from ._transactions import ConsumerGroupMetadata, TopicPartition
from ._wait import Waiters

__all__ = ["Producer", "Message", "KafkaError", "KafkaException", "ConsumerGroupMetadata", "TopicPartition",
           "TIMESTAMP_NOT_AVAILABLE",
           "TIMESTAMP_CREATE_TIME", "TIMESTAMP_LOG_APPEND_TIME", "version", "libversion"]
__version__ = "0.1.0"

TIMESTAMP_NOT_AVAILABLE, TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME = 0, 1, 2
Message = _native.Message
_ALL = 2**62
_LOG_LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)  # kafkio::log_level order


def version():
    return (__version__, 0x000100)


def libversion():
    return ("kafkio " + __version__, 0x000100)


def _log_handler(logger, error_cb):
    """The native producer's log lines, delivered inside poll()/flush(): to `logger`; warnings and errors
    (connection lost, broker errors, retries) also to error_cb, as KafkaError(_TRANSPORT), where librdkafka reports
    its transport errors."""
    def handle(level, text):
        if logger is not None:
            logger.log(_LOG_LEVELS[level], "%s", text)
        if error_cb is not None and level >= 2:
            error_cb(KafkaError(KafkaError._TRANSPORT, text))
    return handle


def _not_supported(what):
    return KafkaException(KafkaError(KafkaError._NOT_IMPLEMENTED, f"{what} is not supported by kafkio"))


class Producer(_native.NativeProducer):
    """confluent_kafka.Producer's API. produce() and len() come from the extension (kafkio._native)."""

    def __init__(self, config=None, /, **kwargs):
        s = translate(config, kwargs)
        handler = _log_handler(s.logger, s.error_cb) if (s.logger is not None or s.error_cb is not None) else None
        super().__init__(s.properties, s.max_messages, s.max_bytes, _PARTITIONERS[s.partitioner][1], s.on_delivery,
                         s.only_errors, handler, s.stats_cb, s.oauth_cb)
        self._waiters = Waiters(weakref.proxy(self), s.wait_mode)  # a proxy: no reference cycle
        self._flushing = 0  # flush() calls waiting now
        log = s.logger or logging.getLogger("kafkio")
        for note in self._notes():
            log.info("kafkio: %s", note)
        log_ignored(s, s.logger)

    # produce(topic, value=None, key=None, partition=-1, callback=None, on_delivery=None, timestamp=0,
    #         headers=None) is the extension's.

    def poll(self, timeout=-1):
        """Serves delivery callbacks; waits up to `timeout` seconds (-1/None: no limit) for at least one.
        Returns the number served."""
        served = self._serve_and_notify()
        if served:
            return served
        return 0 if timeout == 0 else self._poll_wait(timeout)

    def _poll_wait(self, timeout):
        deadline = _deadline(timeout)
        waiter = self._waiters.for_caller()
        while True:
            left = _left(deadline)
            if left == 0:
                return 0
            waiter.wait(left)
            served = self._serve_and_notify()
            if served:
                return served

    def flush(self, timeout=-1):
        """Waits until every record produced before the call was delivered (or failed) and its callback ran.
        Returns how many of those are still undelivered when `timeout` seconds (-1/None: no limit) passed: 0 when
        all were. (confluent-kafka returns len(); the two agree unless other greenlets produce meanwhile.)"""
        # Alone, flush() sends at once (skips linger.ms, as librdkafka's). While other flush() calls wait (a
        # gevent worker's concurrent requests), it lets linger.ms batch this record with theirs instead: forcing
        # every request's record into its own Produce request fills max.in.flight and costs a round trip
        # (docs/python.md, "flush() under concurrency").
        target = self._begin_flush() if self._flushing == 0 else self._produced()
        deadline = _deadline(timeout)
        waiter = None
        self._flushing += 1
        try:
            while True:
                self._serve_and_notify()
                left_records = self._outstanding_before(target)
                if left_records == 0:
                    return 0
                left = _left(deadline)
                if left == 0:
                    return left_records
                if waiter is None:
                    waiter = self._waiters.for_caller()
                waiter.wait(left)
        finally:
            self._flushing -= 1

    def _serve_and_notify(self):
        operations = self._operations_completed()
        served = self._serve(_ALL)
        if served or self._operations_completed() != operations:  # a transactional operation's waiter, too
            self._waiters.notify_others()
        return served

    def produce_batch(self, topic, messages, partition=-1, callback=None, on_delivery=None):
        """As confluent-kafka: produces each dict (value, key, partition, timestamp, headers, callback); a failed
        one gets '_error' set to its KafkaError. Returns the number queued."""
        queued = 0
        default_cb = on_delivery or callback
        for m in messages:
            try:
                self.produce(topic, m.get("value"), m.get("key"), m.get("partition", partition),
                             on_delivery=m.get("callback", default_cb), timestamp=m.get("timestamp", 0),
                             headers=m.get("headers"))
                queued += 1
            except BufferError:
                m["_error"] = KafkaError(KafkaError._QUEUE_FULL)
            except KafkaException as e:
                m["_error"] = e.args[0]
        return queued

    def close(self, timeout=-1):
        """Flushes, closes the connections and stops the I/O thread. Later calls raise KafkaException."""
        if self._closed():
            return True
        self.flush(timeout)
        self._close()
        self._destroy()
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return None

    def __bool__(self):  # a Producer is truthy even when len() is 0, as confluent-kafka's
        return True

    def purge(self, in_queue=True, in_flight=True, blocking=True):
        raise _not_supported("purge()")

    def list_topics(self, topic=None, timeout=-1):
        raise _not_supported("list_topics()")

    def cluster_id(self, timeout=-1):
        raise _not_supported("cluster_id()")

    # Transactions (transactional.id set), as confluent-kafka's. Each runs on the I/O thread after the records
    # produced before the call; the caller waits as flush() does (a gevent greenlet parks, the hub keeps running).
    # Errors: KafkaException(KafkaError) with retriable(), fatal() and txn_requires_abort() set (_transactions.py).
    def init_transactions(self, timeout=-1):
        """Finds the transaction coordinator and fences older producers with the same transactional.id."""
        self._run_transaction_op(_txn.INIT, timeout)

    def begin_transaction(self):
        """Opens a transaction: records produced from now on belong to it."""
        self._run_transaction_op(_txn.BEGIN, -1)

    def commit_transaction(self, timeout=-1):
        """Delivers the transaction's records (their callbacks run before it returns) and commits them."""
        self._run_transaction_op(_txn.COMMIT, timeout)

    def abort_transaction(self, timeout=-1):
        """Aborts the transaction: its records stay invisible to read_committed consumers."""
        self._run_transaction_op(_txn.ABORT, timeout)

    def send_offsets_to_transaction(self, positions, group_metadata, timeout=-1):
        """Commits consumed offsets (TopicPartition-like objects: topic, partition, offset) of the consumer group
        `group_metadata` (kafkio.ConsumerGroupMetadata, any object with group_id, or the group id) with the
        transaction."""
        offsets, group = _txn.offsets_arguments(positions, group_metadata)
        self._run_transaction_op(_txn.SEND_OFFSETS, timeout, offsets, group)

    def _run_transaction_op(self, op, timeout, offsets=None, group=None):
        target = self._produced()
        op_id = self._transaction(op, offsets, group)
        deadline = _deadline(timeout)
        waiter = None
        while True:
            self._serve_and_notify()
            done, err = self._operation_result(op_id)
            if done:
                break
            left = _left(deadline)
            if left == 0:
                self._abandon_operation(op_id)  # it goes on; calling the operation again waits for its result
                raise KafkaException(_txn.timed_out(op))
            if waiter is None:
                waiter = self._waiters.for_caller()
            waiter.wait(left)
        if op in (_txn.COMMIT, _txn.ABORT) and self._outstanding_before(target):
            self.flush(_left(deadline))  # the transaction's delivery callbacks run before commit/abort returns
        if err is not None:
            raise KafkaException(_txn.classify(op, err))

    def set_sasl_credentials(self, username, password):
        raise _not_supported("set_sasl_credentials()")


def _deadline(timeout):
    return None if timeout is None or timeout < 0 else time.monotonic() + timeout


def _left(deadline):
    """Seconds left (-1: no limit, 0: passed)."""
    if deadline is None:
        return -1
    return max(0.0, deadline - time.monotonic())
