"""The transactional producer's Python side: the operations' ids (python/src/io_thread_producer.hpp's
transaction_op), the arguments of send_offsets_to_transaction, and which errors are retriable, fatal or require an
abort, in confluent-kafka's (librdkafka's) meaning:
- fatal(): the producer can do no more transactions (fenced by a newer producer with the same transactional.id,
  not authorized, an invalid transaction state at the coordinator, any failure of init_transactions): destroy it;
- txn_requires_abort(): the transaction failed (a record was not delivered, offsets were refused): call
  abort_transaction(), then begin a new one;
- retriable(): the operation timed out (or a retriable broker error): call the same operation again."""
from ._errors import KafkaError

INIT, BEGIN, COMMIT, ABORT, SEND_OFFSETS = range(5)
_NAMES = ("init_transactions", "begin_transaction", "commit_transaction", "abort_transaction",
          "send_offsets_to_transaction")

# Kafka's error codes after which the Java client and librdkafka give up on the producer.
_FATAL_KAFKA = {
    KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH, KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    KafkaError.CLUSTER_AUTHORIZATION_FAILED, KafkaError.INVALID_TXN_STATE, KafkaError.UNSUPPORTED_VERSION,
    KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT, KafkaError.INVALID_PRODUCER_ID_MAPPING,
}
_FENCING = {KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH}


class ConsumerGroupMetadata:
    """The consumer group whose offsets send_offsets_to_transaction commits. kafkio has no consumer: build it from
    your consumer's group (generation_id -1 and member_id "" skip the coordinator's check that the member is
    current). confluent-kafka's own ConsumerGroupMetadata is opaque (its fields cannot be read), so pass this."""

    __slots__ = ("group_id", "generation_id", "member_id", "group_instance_id")

    def __init__(self, group_id, generation_id=-1, member_id="", group_instance_id=None):
        self.group_id = group_id
        self.generation_id = generation_id
        self.member_id = member_id
        self.group_instance_id = group_instance_id

    def __repr__(self):
        return (f"ConsumerGroupMetadata(group_id={self.group_id!r}, generation_id={self.generation_id}, "
                f"member_id={self.member_id!r}, group_instance_id={self.group_instance_id!r})")


class TopicPartition:
    """A partition and the next offset to consume, as confluent_kafka.TopicPartition (whose objects are accepted
    too: any object with topic, partition and offset)."""

    __slots__ = ("topic", "partition", "offset", "metadata", "leader_epoch", "error")

    def __init__(self, topic, partition=-1, offset=-1001, metadata=None, leader_epoch=None):
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.metadata = metadata
        self.leader_epoch = leader_epoch
        self.error = None

    def __repr__(self):
        return f"TopicPartition{{topic={self.topic},partition={self.partition},offset={self.offset}}}"


def offsets_arguments(positions, group_metadata):
    """send_offsets_to_transaction's arguments as the extension takes them."""
    if group_metadata is None:
        raise _invalid("group_metadata is required")
    if isinstance(group_metadata, str):
        group = (group_metadata, -1, "", None)
    elif hasattr(group_metadata, "group_id"):
        g = group_metadata
        group = (str(g.group_id), int(getattr(g, "generation_id", -1)), str(getattr(g, "member_id", "") or ""),
                 getattr(g, "group_instance_id", None))
    else:
        raise TypeError("group_metadata: expected kafkio.ConsumerGroupMetadata (or an object with group_id, or the "
                        f"group id as str), not {type(group_metadata).__name__}; confluent-kafka's "
                        "ConsumerGroupMetadata is opaque")
    offsets = []
    for p in positions:
        if p.offset is None or p.offset < 0:
            raise _invalid(f"{p!r}: offset must be the next offset to consume (>= 0)")
        epoch = getattr(p, "leader_epoch", None)
        offsets.append((p.topic, int(p.partition), int(p.offset), getattr(p, "metadata", None),
                        -1 if epoch is None else int(epoch)))
    if not offsets:
        raise _invalid("send_offsets_to_transaction: no offsets given")
    return offsets, group


def timed_out(op):
    return KafkaError(KafkaError._TIMED_OUT, f"{_NAMES[op]} timed out (it goes on: call it again to wait for it)",
                      retriable=True)


def classify(op, err):
    """The KafkaError an operation raises, with confluent-kafka's fatal / retriable / txn_requires_abort."""
    code = err.code()
    if err.fatal() or code in _FATAL_KAFKA or code == KafkaError._FATAL:
        if code in _FENCING:
            return KafkaError(KafkaError._FENCED, f"{err.str()} (fenced: the producer must be recreated)", fatal=True)
        return KafkaError(code, err.str(), fatal=True)
    if code == KafkaError._TIMED_OUT:
        return KafkaError(code, err.str(), retriable=True)
    if code == KafkaError._STATE:  # called in the wrong state (librdkafka: neither fatal nor abortable)
        return KafkaError(code, err.str())
    if op == INIT:  # kafkio's InitProducerId failures that are not retried are fatal (docs/producer.md)
        return KafkaError(code, err.str(), fatal=True)
    if op in (COMMIT, SEND_OFFSETS, BEGIN):
        return KafkaError(code, err.str(), retriable=err.retriable(), txn_requires_abort=True)
    return KafkaError(code, err.str(), retriable=err.retriable())


def _invalid(message):
    from ._errors import KafkaException
    return KafkaException(KafkaError(KafkaError._INVALID_ARG, message))
