"""confluent-kafka's configuration dict -> kafkio's producer properties (Kafka's Java names, parsed and validated by
kafkio::producer_config::parse) plus the settings the Python side honours itself. The one table of librdkafka names
is _LIBRDKAFKA below; docs/python.md lists it for users."""
import logging

from ._errors import _invalid_argument

# librdkafka name -> Java name (kafkio's). A function instead of a name converts the value: (value, conf) -> [(k, v)].
_LIBRDKAFKA = {
    "metadata.broker.list": "bootstrap.servers",
    "queue.buffering.max.ms": "linger.ms",
    "request.required.acks": "acks",
    "compression.codec": "compression.type",
    "message.send.max.retries": "retries",
    "max.in.flight": "max.in.flight.requests.per.connection",
    "sasl.mechanisms": "sasl.mechanism",
    "message.max.bytes": "max.request.size",
    "topic.metadata.refresh.interval.ms": "metadata.max.age.ms",
    "message.timeout.ms": "delivery.timeout.ms",
}

# Names kafkio accepts as they are (Java names, most shared with librdkafka). producer_config::parse checks them.
_JAVA = {
    "bootstrap.servers", "client.id", "acks", "linger.ms", "batch.size", "compression.type", "compression.level",
    "compression.gzip.level", "compression.lz4.level", "compression.zstd.level", "enable.idempotence",
    "max.in.flight.requests.per.connection", "retries", "retry.backoff.ms", "retry.backoff.max.ms",
    "request.timeout.ms", "delivery.timeout.ms", "max.request.size", "metadata.max.age.ms", "max.block.ms",
    "socket.connection.setup.timeout.ms", "reconnect.backoff.ms", "reconnect.backoff.max.ms",
    "receive.message.max.bytes", "security.protocol", "sasl.mechanism", "sasl.username", "sasl.password",
    # TLS: Java's names and librdkafka's (producer_config_tables.hpp resolves the aliases: one table).
    "ssl.truststore.type", "ssl.truststore.location", "ssl.truststore.certificates", "ssl.keystore.type",
    "ssl.keystore.location", "ssl.keystore.certificate.chain", "ssl.keystore.key", "ssl.key.password",
    "ssl.endpoint.identification.algorithm", "ssl.enabled.protocols", "ssl.cipher.suites",
    "ssl.ca.location", "ssl.ca.pem", "ssl.certificate.location", "ssl.certificate.pem", "ssl.key.location",
    "ssl.key.pem", "enable.ssl.certificate.verification",
    "transactional.id", "transaction.timeout.ms",  # transactions: Producer.init_transactions() and the rest
    "metadata.recovery.strategy", "metadata.recovery.rebootstrap.trigger.ms",  # KIP-899 / KIP-1102
    "connections.max.idle.ms", "client.dns.lookup", "metadata.max.idle.ms",
    "statistics.interval.ms",  # with stats_cb: librdkafka's statistics JSON, served by poll()/flush()
    # SASL/OAUTHBEARER (librdkafka's names are Java's): a token from oauth_cb, the unsecured JWT, or OIDC
    "sasl.oauthbearer.method", "enable.sasl.oauthbearer.unsecure.jwt", "sasl.oauthbearer.config",
    "sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.client.id", "sasl.oauthbearer.client.secret",
    "sasl.oauthbearer.scope", "sasl.oauthbearer.extensions",
}

# Accepted and ignored: tuning knobs of librdkafka's internals with no kafkio counterpart (the behaviour they tune
# is kafkio's own), and consumer properties in a shared dict (librdkafka ignores those with a warning too).
_IGNORED = {
    "batch.num.messages": "kafkio batches by batch.size (bytes) and linger.ms",
    "sticky.partitioning.linger.ms": "unkeyed records stick to a partition per batch (KIP-794)",
    "queue.buffering.backpressure.threshold": "kafkio sends when a batch is full or linger.ms passed",
    "socket.keepalive.enable": "kafkio leaves TCP keepalive at the system default",
    "socket.nagle.disable": "kafkio always sets TCP_NODELAY",
    "socket.timeout.ms": "request.timeout.ms bounds each request",
    "api.version.request": "kafkio always negotiates API versions (ApiVersions)",
    "broker.version.fallback": "kafkio always negotiates API versions (ApiVersions)",
    "log.connection.close": "connection losses are logged at INFO",
    "debug": "kafkio's log lines go to 'logger' (DEBUG and up)",
    "log_level": "use the logger's own level",
    "enable.gapless.guarantee": "idempotence (on by default) already keeps order without gaps on retries",
    "group.id": "a consumer property", "auto.offset.reset": "a consumer property",
    "enable.auto.commit": "a consumer property", "session.timeout.ms": "a consumer property",
}

# Set to something confluent-kafka accepts but kafkio cannot do: a clear error rather than a surprise later.
_UNSUPPORTED = {
    "throttle_cb": "kafkio has no throttle callback",
    "partitioner_cb": "use 'partitioner' (consistent_random, consistent, murmur2, murmur2_random, random, ...)",
    "delivery.report.cb": "use 'on_delivery'",
}

_PARTITIONERS = {  # confluent-kafka's names -> (kafkio's partitioner property, librdkafka rule done by the binding)
    "consistent_random": ("default", "consistent_random"),  # confluent-kafka's default
    "consistent": ("default", "consistent"),
    "murmur2": ("default", "murmur2"),
    "murmur2_random": ("murmur2_random", ""),
    "random": ("random", ""),
    "default": ("default", ""), "round_robin": ("round_robin", ""),  # kafkio's own
}

_CALLBACK_KEYS = {"on_delivery", "error_cb", "logger", "stats_cb", "throttle_cb", "oauth_cb", "partitioner_cb"}

DEFAULT_MAX_MESSAGES = 100000          # queue.buffering.max.messages, librdkafka's default
DEFAULT_MAX_BYTES = 32 * 1024 * 1024   # buffer.memory, the Java client's (and kafkio's) default
WAIT_MODES = ("auto", "gevent", "thread")


class Settings:
    """What Producer(conf) resolves to."""

    def __init__(self):
        self.properties = []  # (Java name, value) for producer_config::parse
        self.max_messages = DEFAULT_MAX_MESSAGES
        self.max_bytes = DEFAULT_MAX_BYTES
        self.partitioner = "consistent_random"
        self.on_delivery = None
        self.only_errors = False
        self.error_cb = None
        self.stats_cb = None
        self.oauth_cb = None
        self.logger = None
        self.wait_mode = "auto"
        self.ignored = []  # (key, why)


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kafkio_option(s, key, value):
    if key == "kafkio.wait":
        if value not in WAIT_MODES:
            raise _invalid_argument(f"kafkio.wait={value!r}: expected one of {', '.join(WAIT_MODES)}")
        s.wait_mode = value
    else:
        raise _invalid_argument(f'No such configuration property: "{key}" (kafkio.* has only kafkio.wait)')


def translate(conf, kwargs):
    """Resolves confluent-kafka's Producer(conf, **kwargs); raises KafkaException(_INVALID_ARG) for what is wrong."""
    if conf is None:
        conf = {}
    if not isinstance(conf, dict):
        raise TypeError("expected configuration dict")
    merged = dict(conf)
    for k, v in kwargs.items():  # keyword arguments override the dict; bootstrap_servers= means bootstrap.servers
        merged[k if k in _CALLBACK_KEYS else k.replace("_", ".")] = v

    s = Settings()
    java = {}
    delivery_timeout_from_librdkafka = False
    for key, value in merged.items():
        if not isinstance(key, str):
            raise TypeError("configuration keys must be str")
        if key in _UNSUPPORTED:
            raise _invalid_argument(f'Configuration property "{key}" is not supported by kafkio: {_UNSUPPORTED[key]}')
        if key == "on_delivery":
            if value is not None and not callable(value):
                raise TypeError("on_delivery must be callable")
            s.on_delivery = value
        elif key == "error_cb":
            s.error_cb = value
        elif key == "stats_cb":
            if value is not None and not callable(value):
                raise TypeError("stats_cb must be callable")
            s.stats_cb = value
        elif key == "oauth_cb":
            if value is not None and not callable(value):
                raise TypeError("oauth_cb must be callable")
            s.oauth_cb = value
        elif key == "logger":
            s.logger = value
        elif key == "delivery.report.only.error":
            s.only_errors = _text(value).lower() in ("true", "1")
        elif key == "queue.buffering.max.messages":
            s.max_messages = _positive_int(key, value)
        elif key == "queue.buffering.max.kbytes":
            s.max_bytes = _positive_int(key, value) * 1024
        elif key == "buffer.memory":
            s.max_bytes = _positive_int(key, value)
        elif key == "partitioner":
            if value not in _PARTITIONERS:
                raise _invalid_argument(f"partitioner={value!r}: expected one of {', '.join(_PARTITIONERS)}")
            s.partitioner = value
        elif key.startswith("kafkio."):
            _kafkio_option(s, key, value)
        elif key in _IGNORED:
            s.ignored.append((key, _IGNORED[key]))
        elif key in _LIBRDKAFKA or key in _JAVA:
            name = _LIBRDKAFKA.get(key, key)
            text = _text(value)
            if name == "delivery.timeout.ms":
                delivery_timeout_from_librdkafka = key == "message.timeout.ms"
                if text.strip() == "0":  # librdkafka: 0 means no limit
                    text = str(2**31 - 1)
            if name == "security.protocol":
                text = text.upper()
            java[name] = text
        else:
            raise _invalid_argument(f'No such configuration property: "{key}"')

    if s.oauth_cb is not None and java.get("enable.sasl.oauthbearer.unsecure.jwt", "").lower() == "true":
        raise _invalid_argument("oauth_cb and enable.sasl.oauthbearer.unsecure.jwt=true are mutually exclusive "
                                "(as in librdkafka): the token comes from one source")
    kafkio_partitioner, _ = _PARTITIONERS[s.partitioner]
    java.setdefault("partitioner", kafkio_partitioner)
    # librdkafka's message.timeout.ms bounds everything, including waiting for metadata and for a reachable broker
    # (kafkio's max.block.ms) and each request (librdkafka clamps request.timeout.ms to it).
    if "delivery.timeout.ms" in java:
        timeout = int(java["delivery.timeout.ms"]) if java["delivery.timeout.ms"].strip().isdigit() else None
        if timeout is not None:
            java.setdefault("max.block.ms", str(timeout))
            linger = int(java.get("linger.ms", "5")) if java.get("linger.ms", "5").isdigit() else 5
            if delivery_timeout_from_librdkafka and "request.timeout.ms" not in java and timeout < 30000 + linger:
                java["request.timeout.ms"] = str(max(1, timeout - linger))
    # The C++ producer gets twice the Python limit: the binding's BufferError is the limit users see, and the
    # C++ side then never holds a record back for room (its per-record charge differs slightly).
    java["buffer.memory"] = str(2 * s.max_bytes)
    s.properties = list(java.items())
    return s


def _positive_int(key, value):
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise _invalid_argument(f"{key}={value!r}: expected a positive integer") from None
    if n <= 0:
        raise _invalid_argument(f"{key}={value!r}: expected a positive integer")
    return n


def log_ignored(settings, logger=None):
    log = logger or logging.getLogger("kafkio")
    for key, why in settings.ignored:
        log.debug("kafkio: configuration property %s is ignored: %s", key, why)
