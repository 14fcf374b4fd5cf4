"""KafkaError and KafkaException as confluent-kafka has them: broker errors with Kafka's codes, client errors with
librdkafka's negative codes, the same names and descriptions (_error_codes.py), and the mapping from kafkio's own
error codes (protocol/include/kafkio/error.hpp) to those."""
from ._error_codes import CODES
from . import _native


class KafkaError:
    """An error: code() (int), name() (e.g. '_MSG_TIMED_OUT'), str() (a description), retriable(), fatal()."""

    __slots__ = ("_code", "_reason", "_fatal", "_retriable", "_txn_requires_abort")

    def __init__(self, code, reason=None, fatal=False, retriable=False, txn_requires_abort=False):
        self._code = int(code)
        self._reason = reason if reason is not None else CODES.get(self._code, (None, f"Err-{self._code}?"))[1]
        self._fatal = bool(fatal)
        self._retriable = bool(retriable)
        self._txn_requires_abort = bool(txn_requires_abort)

    def code(self):
        return self._code

    def name(self):
        return CODES.get(self._code, (f"ERR_{self._code}?",))[0]

    def str(self):
        return self._reason

    def fatal(self):
        return self._fatal

    def retriable(self):
        return self._retriable

    def txn_requires_abort(self):
        return self._txn_requires_abort

    def __str__(self):  # confluent-kafka's format
        return f'KafkaError{{code={self.name()},val={self._code},str="{self._reason}"}}'

    __repr__ = __str__

    def __bool__(self):
        return self._code != 0

    def __hash__(self):
        return hash(self._code)

    def _other(self, other):
        return other._code if isinstance(other, KafkaError) else other

    def __eq__(self, other):
        return self._code == self._other(other)

    def __ne__(self, other):
        return self._code != self._other(other)

    def __lt__(self, other):
        return self._code < self._other(other)

    def __le__(self, other):
        return self._code <= self._other(other)

    def __gt__(self, other):
        return self._code > self._other(other)

    def __ge__(self, other):
        return self._code >= self._other(other)


for _code, (_name, _text) in CODES.items():
    setattr(KafkaError, _name, _code)


class KafkaException(Exception):
    """Raised with a KafkaError as args[0], as confluent-kafka does."""


# kafkio's client_errc (protocol/include/kafkio/error.hpp) -> (librdkafka code, keep kafkio's message, fatal).
# Decoding errors (1..15) are _BAD_MSG except compression_failed.
_CLIENT = {
    13: (KafkaError._BAD_COMPRESSION, True, False),   # compression_failed
    16: (KafkaError._INVALID_ARG, True, False),       # invalid_config
    17: (KafkaError.MSG_SIZE_TOO_LARGE, False, False),  # record_too_large
    18: (KafkaError._QUEUE_FULL, False, False),       # queue_full
    19: (KafkaError._MSG_TIMED_OUT, False, False),     # delivery_timeout
    20: (KafkaError._MSG_TIMED_OUT, True, False),      # request_timeout
    21: (KafkaError._DESTROY, True, False),            # producer_closed
    22: (KafkaError.UNKNOWN_TOPIC_OR_PART, False, False),  # unknown_topic
    23: (KafkaError._UNKNOWN_PARTITION, False, False),  # unknown_partition
    24: (KafkaError._MSG_TIMED_OUT, True, False),      # broker_connection_failed (librdkafka: the record times out)
    25: (KafkaError._AUTHENTICATION, True, False),     # authentication_failed
    26: (KafkaError._FATAL, True, True),               # fatal_producer_state
    27: (KafkaError.TOPIC_EXCEPTION, False, False),    # invalid_topic_name (librdkafka reports the broker's code)
    28: (KafkaError._STATE, True, False),              # transaction_state
    29: (KafkaError._PURGE_QUEUE, True, False),        # transaction_aborted (librdkafka purges them on abort)
    30: (KafkaError._TIMED_OUT, True, False),          # transaction_timeout
}
_ECANCELED = 125  # boost::asio::error::operation_aborted: the producer was destroyed before delivery


def _from_native(category, value, message):
    """The KafkaError for an error_code reported by the native producer."""
    if category == _native.CATEGORY_KAFKA:
        return KafkaError(value, retriable=_kafka_retriable(value))
    if category == _native.CATEGORY_RDKAFKA:
        return KafkaError(value, message)
    if category == _native.CATEGORY_CLIENT:
        code, keep_message, fatal = _CLIENT.get(value, (KafkaError._BAD_MSG, True, False))
        text = CODES[code][1]
        return KafkaError(code, f"{text} (kafkio: {message})" if keep_message else text, fatal=fatal)
    if value == _ECANCELED:
        return KafkaError(KafkaError._DESTROY)
    return KafkaError(KafkaError._TRANSPORT, f"{CODES[KafkaError._TRANSPORT][1]} (kafkio: {message})")


# Kafka's own table (protocol/include/kafkio/detail/kafka_error_table.hpp): RetriableException subclasses.
_kafka_retriable = _native.kafka_error_retriable


def _invalid_argument(message):
    return KafkaException(KafkaError(KafkaError._INVALID_ARG, message))


_native._set_error_types(KafkaException, _from_native)
