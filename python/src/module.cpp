// kafkio._native: the Python side of io_thread_producer. Everything that touches a Python object runs with the
// GIL held on the caller's thread; the I/O thread only sees bytes and slot numbers (io_thread_producer.hpp).
//
// A slot holds what a delivery callback needs (callback, topic, key, value, headers, produce time) from produce()
// until the record's report is served by poll()/flush(). Sequence numbers let flush() wait for the records
// produced before it only, so that greenlets that keep producing cannot starve another greenlet's flush().
#include "io_thread_producer.hpp"

#include <kafkio/protocol/murmur2.hpp>

#include <nanobind/nanobind.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <zlib.h>

#include <atomic>
#include <cmath>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <pthread.h>
#include <unistd.h>

namespace nb = nanobind;
using namespace nb::literals;

namespace kafkio::python {
namespace {

// Bumped in every child after fork(): a producer made in another generation belongs to the parent process.
std::atomic<unsigned> fork_generation{0};
void on_fork_child() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Set by kafkio/_errors.py: KafkaException, and a function (category, value, message) -> KafkaError. Handles with
// a reference that is never dropped: a static nb::object would be released after the interpreter finalized.
nb::handle kafka_exception_type;
nb::handle make_kafka_error;

// category_rdkafka: the value already is a confluent-kafka (librdkafka) code.
constexpr int category_kafka = 0, category_client = 1, category_other = 2, category_rdkafka = 3;

nb::object error_object(const std::error_code& ec) {
  int category = ec.category() == kafka_category() ? category_kafka
                 : ec.category() == client_category() ? category_client
                                                       : category_other;
  return make_kafka_error(category, ec.value(), ec.message());
}

[[noreturn]] void raise_kafka_exception(int category, int value, const std::string& message) {
  nb::object error = make_kafka_error(category, value, message);
  PyErr_SetObject(kafka_exception_type.ptr(), error.ptr());
  throw nb::python_error();
}

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// librdkafka's partitioners that kafkio's config has no name for (confluent-kafka's default is consistent_random),
// so that keys land where confluent-kafka put them: CRC-32 (zlib's) or murmur2 of the key, modulo partitions.
partition_rule librdkafka_partitioner(const std::string& name) {
  auto crc = [](std::string_view key, std::int32_t n) {
    auto h = ::crc32(0L, reinterpret_cast<const Bytef*>(key.data()), static_cast<uInt>(key.size()));
    return static_cast<std::int32_t>(h % static_cast<std::uint32_t>(n));
  };
  auto murmur = [](std::string_view key, std::int32_t n) {
    return protocol::partition_for_key(
        protocol::bytes_view(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()), n);
  };
  if (name == "consistent_random")  // null key: the producer's own (sticky) choice
    return [crc](std::string_view, std::optional<std::string_view> key, std::int32_t n) {
      return key ? crc(*key, n) : -1;
    };
  if (name == "consistent")  // null key hashes as empty
    return [crc](std::string_view, std::optional<std::string_view> key, std::int32_t n) {
      return crc(key.value_or(std::string_view{}), n);
    };
  if (name == "murmur2")
    return [murmur](std::string_view, std::optional<std::string_view> key, std::int32_t n) {
      return murmur(key.value_or(std::string_view{}), n);
    };
  return {};
}

// Bytes of a produce() argument: bytes, str (UTF-8) or any buffer. Copied by submit(), so views are enough.
class bytes_arg {
 public:
  bytes_arg(nb::handle h, const char* what) {
    if (h.is_none()) return;
    PyObject* o = h.ptr();
    if (PyBytes_Check(o)) {
      view_ = std::string_view(PyBytes_AS_STRING(o), static_cast<std::size_t>(PyBytes_GET_SIZE(o)));
    } else if (PyUnicode_Check(o)) {
      Py_ssize_t n;
      const char* p = PyUnicode_AsUTF8AndSize(o, &n);
      if (!p) throw nb::python_error();
      view_ = std::string_view(p, static_cast<std::size_t>(n));
    } else if (PyObject_GetBuffer(o, &buffer_, PyBUF_SIMPLE) == 0) {
      held_ = true;
      view_ = std::string_view(static_cast<const char*>(buffer_.buf), static_cast<std::size_t>(buffer_.len));
    } else {
      PyErr_Clear();
      throw nb::type_error((std::string(what) + " must be bytes, str or a buffer, not " +
                            Py_TYPE(o)->tp_name).c_str());
    }
  }
  ~bytes_arg() {
    if (held_) PyBuffer_Release(&buffer_);
  }
  bytes_arg(const bytes_arg&) = delete;
  bytes_arg& operator=(const bytes_arg&) = delete;
  const std::optional<std::string_view>& view() const { return view_; }
  std::size_t size() const { return view_ ? view_->size() : 0; }

 private:
  std::optional<std::string_view> view_;
  Py_buffer buffer_{};
  bool held_ = false;
};

// The same object as bytes (what confluent-kafka's Message.key()/value() return).
nb::object as_bytes(PyObject* o) {
  if (!o) return nb::none();
  if (PyBytes_Check(o)) return nb::borrow(o);
  if (PyUnicode_Check(o)) return nb::steal(PyUnicode_AsUTF8String(o));
  return nb::steal(PyBytes_FromObject(o));
}

struct message {
  nb::object topic, key, value, headers, error;
  std::int32_t partition = -1;
  std::int64_t offset = -1001;  // librdkafka's RD_KAFKA_OFFSET_INVALID
  int timestamp_type = 0;       // 0 none, 1 CreateTime, 2 LogAppendTime
  std::int64_t timestamp = -1;
  double latency = -1;
};

class native_producer {
 public:
  native_producer(const std::vector<std::pair<std::string, std::string>>& properties, std::size_t max_messages,
                  std::size_t max_bytes, const std::string& partitioner, nb::object default_callback,
                  bool only_errors, nb::object log_handler, nb::object stats_handler, nb::object oauth_handler)
      : max_messages_(max_messages),
        max_bytes_(max_bytes),
        default_callback_(std::move(default_callback)),
        log_handler_(std::move(log_handler)),
        stats_handler_(std::move(stats_handler)),
        oauth_handler_(std::move(oauth_handler)),
        only_errors_(only_errors),
        generation_(fork_generation.load(std::memory_order_relaxed)),
        pid_(::getpid()) {
    auto parsed = producer_config::parse(property_list(properties.begin(), properties.end()));
    if (!parsed) raise_kafka_exception(category_client, static_cast<int>(client_errc::invalid_config), parsed.message);
    max_request_size_ = static_cast<std::size_t>(parsed.config.max_request_size);
    notes_ = parsed.notes;
    try {  // TLS certificates and keys are read here: unreadable ones are a configuration error too
      std::optional<statistics_limits> statistics;
      if (!stats_handler_.is_none())
        statistics = statistics_limits{static_cast<std::int64_t>(max_messages), static_cast<std::int64_t>(max_bytes)};
      core_ = std::make_shared<io_thread_producer>(parsed.config, librdkafka_partitioner(partitioner),
                                                   !log_handler_.is_none(), statistics, !oauth_handler_.is_none());
    } catch (const std::system_error& e) {
      if (e.code() != client_errc::invalid_config) throw;
      raise_kafka_exception(category_client, static_cast<int>(client_errc::invalid_config), e.what());
    }
    // The first token before the first connection, as confluent-kafka's Producer() waits for it; later ones are
    // asked for at 80 % of a token's lifetime and served by poll()/flush(). What oauth_cb raises, Producer() raises.
    if (!oauth_handler_.is_none() && parsed.config.sasl_mechanism == sasl_mechanism_type::oauthbearer) {
      token_request_ = parsed.config.sasl_oauthbearer_config;
      answer_token_request();
    }
  }

  ~native_producer() {
    if (forked()) {
      // The I/O thread exists only in the parent; this process has a copy of its memory (maybe with locks held).
      // Never touch it: leak it, and close only our copy of the eventfd.
      if (core_) ::close(core_->wakeup_fd());
      new std::shared_ptr<io_thread_producer>(std::move(core_));  // leaked on purpose
    }
    core_.reset();  // joins the I/O thread; records not served yet get no callback (as confluent-kafka's)
    for (auto& s : slots_) release(s);
  }

  void produce(nb::handle topic, nb::handle value, nb::handle key, std::int32_t partition, nb::handle callback,
               nb::handle on_delivery, std::int64_t timestamp, nb::handle headers) {
    check_usable();
    if (!PyUnicode_Check(topic.ptr())) throw nb::type_error("topic must be a str");
    Py_ssize_t topic_size;
    const char* topic_data = PyUnicode_AsUTF8AndSize(topic.ptr(), &topic_size);
    if (!topic_data) throw nb::python_error();
    bytes_arg value_bytes(value, "value"), key_bytes(key, "key");

    record_input in;
    in.topic = std::string_view(topic_data, static_cast<std::size_t>(topic_size));
    in.value = value_bytes.view();
    in.key = key_bytes.view();
    std::size_t size = value_bytes.size() + key_bytes.size();
    std::deque<bytes_arg> header_bytes;  // stable addresses while `in` views them
    nb::object headers_kept;
    if (!headers.is_none()) headers_kept = collect_headers(headers, in, header_bytes, size);
    if (partition >= 0) in.partition = partition;
    else if (partition != -1) raise_kafka_exception(category_rdkafka, -190, "Local: Unknown partition");
    if (timestamp != 0) in.timestamp_ms = timestamp;

    if (size > max_request_size_)  // what librdkafka's produce() raises at once for > message.max.bytes
      raise_kafka_exception(category_kafka, static_cast<int>(kafka_errc::message_too_large),
                            "Broker: Message size too large");
    const std::size_t charge = size + record_overhead;
    if (live_ + 1 > max_messages_ || bytes_ + charge > max_bytes_) throw nb::buffer_error("Local: Queue full");

    nb::handle cb = !on_delivery.is_none() ? on_delivery : !callback.is_none() ? callback : default_callback_;
    std::uint32_t index = allocate();
    slot& s = slots_[index];
    s.callback = cb.is_none() ? nullptr : cb.inc_ref().ptr();
    s.topic = topic.inc_ref().ptr();
    s.key = key.is_none() ? nullptr : key.inc_ref().ptr();
    s.value = value.is_none() ? nullptr : value.inc_ref().ptr();
    s.headers = headers_kept.is_valid() ? headers_kept.release().ptr() : nullptr;
    s.seq = next_seq_++;
    s.produced_ns = steady_now_ns();
    s.charge = charge;
    done_.push_back(false);
    ++live_;
    bytes_ += charge;
    core_->submit(in, index);
  }

  // Runs the callbacks of up to `max` delivered records; returns how many were served.
  std::size_t serve(std::size_t max) {
    check_usable();
    taken_reports taken;  // local: a callback may call poll() again
    core_->take(backlog_, taken);
    // Token requests first, kept in a member until answered: the core asks once and waits for the answer, so a
    // request dropped by a callback raising below would leave every connection without a token for good.
    for (auto& config : taken.token_requests) token_request_ = std::move(config);
    if (token_request_) answer_token_request();
    for (const auto& op : taken.operations) {  // before the callbacks: one may wait for this operation
      ++operations_completed_;
      if (operations_abandoned_.erase(op.slot)) continue;
      operation_results_[op.slot] = op.error ? error_object(op.error) : nb::object(nb::none());
    }
    if (!log_handler_.is_none())
      for (auto& [level, text] : taken.logs) log_handler_(static_cast<int>(level), text);
    for (auto& text : taken.statistics) stats_handler_(text);  // stats_cb(json_str), as confluent-kafka calls it
    std::size_t served = 0;
    while (backlog_next_ < backlog_.size() && served < max) {
      const delivery_report r = backlog_[backlog_next_++];  // a copy: callbacks may re-enter and grow backlog_
      slot s = slots_[r.slot];
      slots_[r.slot] = slot{};
      free_.push_back(r.slot);
      mark_done(s.seq);
      --live_;
      bytes_ -= s.charge;
      ++served;
      deliver(s, r);  // releases the slot's references; rethrows a callback's exception (the rest stay queued)
    }
    if (backlog_next_ == backlog_.size()) backlog_.clear(), backlog_next_ = 0;
    return served;
  }

  // Starts a transactional operation (transaction_op's order: init, begin, commit, abort, send_offsets) after the
  // records produced so far; returns its id for operation_result(). send_offsets: `offsets` is a list of (topic,
  // partition, offset, metadata or None, leader_epoch), `group` (group_id, generation_id, member_id,
  // group_instance_id or None).
  std::uint32_t start_transaction_op(int op, nb::handle offsets, nb::handle group) {
    check_usable();
    if (op < 0 || op > static_cast<int>(transaction_op::send_offsets)) throw nb::value_error("no such operation");
    offsets_request request;
    if (static_cast<transaction_op>(op) == transaction_op::send_offsets) {
      for (nb::handle item : offsets) {
        auto t = nb::cast<nb::tuple>(item);
        offset_to_commit o;
        o.topic = nb::cast<std::string>(t[0]);
        o.partition = nb::cast<std::int32_t>(t[1]);
        o.offset = nb::cast<std::int64_t>(t[2]);
        if (!t[3].is_none()) o.metadata = nb::cast<std::string>(t[3]);
        o.leader_epoch = nb::cast<std::int32_t>(t[4]);
        request.offsets.push_back(std::move(o));
      }
      auto g = nb::cast<nb::tuple>(group);
      request.group.group_id = nb::cast<std::string>(g[0]);
      request.group.generation_id = nb::cast<std::int32_t>(g[1]);
      request.group.member_id = nb::cast<std::string>(g[2]);
      if (!g[3].is_none()) request.group.group_instance_id = nb::cast<std::string>(g[3]);
    }
    const std::uint32_t id = next_operation_id_++;
    core_->submit_transaction(static_cast<transaction_op>(op), id, std::move(request));
    return id;
  }
  // (False, None) while operation `id` runs; (True, None) once it succeeded, (True, KafkaError) once it failed
  // (the result is handed out once).
  nb::tuple operation_result(std::uint32_t id) {
    auto it = operation_results_.find(id);
    if (it == operation_results_.end()) return nb::make_tuple(false, nb::none());
    nb::object err = std::move(it->second);
    operation_results_.erase(it);
    return nb::make_tuple(true, err);
  }
  // The caller stopped waiting for operation `id` (its timeout passed): drop its result when it comes.
  void abandon_operation(std::uint32_t id) {
    if (operation_results_.erase(id) == 0) operations_abandoned_.insert(id);
  }
  // How many operation reports serve() took so far: callers waiting for one are woken when it grows.
  std::uint64_t operations_completed() const { return operations_completed_; }

  // Starts a flush (skip linger) and returns the sequence number that flush() waits to be reached.
  std::uint64_t begin_flush() {
    check_usable();
    core_->request_flush();
    return next_seq_;
  }
  // The sequence number the next record gets (flush() without skipping linger waits for it).
  std::uint64_t produced() const { return next_seq_; }
  // Records produced before `target` whose callbacks have not run yet.
  std::size_t outstanding_before(std::uint64_t target) const {
    std::size_t n = 0;
    for (std::uint64_t s = served_below_; s < target && s - served_below_ < done_.size(); ++s)
      n += !done_[s - served_below_];
    return n;
  }

  // Waits (GIL released) until reports may be there or `timeout_s` passed (negative: no limit); runs Python's
  // signal handlers when a signal interrupts the wait, so ^C raises KeyboardInterrupt as in any blocking call.
  bool wait(double timeout_s) {
    check_usable();
    auto core = core_;  // another thread may close() while this one waits without the GIL
    using clock = std::chrono::steady_clock;
    const bool forever = timeout_s < 0;
    const auto deadline = clock::now() + std::chrono::microseconds(forever ? 0 : static_cast<std::int64_t>(timeout_s * 1e6));
    for (;;) {
      auto left = forever ? std::chrono::milliseconds(-1)
                          : std::chrono::ceil<std::chrono::milliseconds>(std::max(deadline - clock::now(), clock::duration{}));
      int r;
      {
        nb::gil_scoped_release release;
        r = core->wait_readable(left);
      }
      if (r >= 0) return r > 0;
      if (PyErr_CheckSignals() != 0) throw nb::python_error();
    }
  }
  void clear_wakeup() {
    check_usable();
    core_->clear_wakeup();
  }

  int fd() {
    check_usable();
    return core_->wakeup_fd();
  }
  void poke() {
    check_usable();
    core_->poke();
  }
  void close() {
    check_usable();
    core_->request_close();
  }
  // Joins the I/O thread now (close() asked it to close the connections first). Idempotent.
  void destroy() {
    if (!core_ || forked()) return;
    auto core = std::move(core_);  // with the GIL: from here on other threads see a closed producer
    nb::gil_scoped_release release;
    core.reset();  // joins the I/O thread (unless a wait() elsewhere still holds it; then that one does)
  }
  bool is_forked() const { return forked(); }
  bool is_closed() const { return !core_; }
  std::size_t size() const { return live_; }
  std::size_t buffered_bytes() const { return bytes_; }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  // Per-record bytes charged beside key, value and headers (RecordBatch record framing, roughly).
  static constexpr std::size_t record_overhead = 32;

  struct slot {
    PyObject* callback = nullptr;
    PyObject* topic = nullptr;
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    PyObject* headers = nullptr;  // a list of (str, bytes|None), as Message.headers() returns
    std::uint64_t seq = 0;
    std::int64_t produced_ns = 0;
    std::size_t charge = 0;
  };

  bool forked() const { return fork_generation.load(std::memory_order_relaxed) != generation_; }

  void check_usable() const {
    if (forked())
      raise_kafka_exception(category_rdkafka, -172,
                            "kafkio.Producer was created in process " + std::to_string(pid_) +
                                " and cannot be used after fork() (this is process " + std::to_string(::getpid()) +
                                "): create the producer in each worker process, after the fork (see docs/python.md)");
    if (!core_) raise_kafka_exception(category_rdkafka, -172, "kafkio.Producer is closed");
  }

  // headers: a list of (key, value) pairs or a dict; keys str, values bytes, str, buffer or None.
  nb::object collect_headers(nb::handle headers, record_input& in, std::deque<bytes_arg>& keep, std::size_t& size) {
    nb::object items = PyDict_Check(headers.ptr()) ? nb::steal(PyDict_Items(headers.ptr())) : nb::borrow(headers);
    nb::list kept;
    for (nb::handle item : items) {
      if (!PyTuple_Check(item.ptr()) || PyTuple_GET_SIZE(item.ptr()) != 2)
        throw nb::type_error("headers must be a list of (key, value) tuples or a dict");
      nb::handle k = PyTuple_GET_ITEM(item.ptr(), 0), v = PyTuple_GET_ITEM(item.ptr(), 1);
      if (!PyUnicode_Check(k.ptr())) throw nb::type_error("header keys must be str");
      Py_ssize_t n;
      const char* kp = PyUnicode_AsUTF8AndSize(k.ptr(), &n);
      if (!kp) throw nb::python_error();
      auto& vb = keep.emplace_back(v, "header value");
      in.headers.push_back({std::string_view(kp, static_cast<std::size_t>(n)), vb.view()});
      size += static_cast<std::size_t>(n) + vb.size();
      kept.append(nb::make_tuple(k, as_bytes(v.is_none() ? nullptr : v.ptr())));
    }
    return kept;
  }

  std::uint32_t allocate() {
    if (!free_.empty()) {
      auto i = free_.back();
      free_.pop_back();
      return i;
    }
    slots_.emplace_back();
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }

  void mark_done(std::uint64_t seq) {
    done_[seq - served_below_] = true;
    while (!done_.empty() && done_.front()) done_.pop_front(), ++served_below_;
  }

  static void release(slot& s) {
    Py_XDECREF(s.callback), Py_XDECREF(s.topic), Py_XDECREF(s.key), Py_XDECREF(s.value), Py_XDECREF(s.headers);
    s = slot{};
  }

  void deliver(slot& s, const delivery_report& r) {
    nb::object callback = nb::steal(s.callback), topic = nb::steal(s.topic), key = nb::steal(s.key),
               value = nb::steal(s.value), headers = nb::steal(s.headers);
    if (!callback.is_valid() || (only_errors_ && !r.error)) return;
    message m;
    m.topic = std::move(topic);
    m.key = as_bytes(key.ptr());
    m.value = as_bytes(value.ptr());
    m.headers = headers.is_valid() ? std::move(headers) : nb::none();
    m.partition = r.partition;
    m.latency = static_cast<double>(r.completed_ns - s.produced_ns) / 1e9;
    nb::object err = nb::none();
    if (r.error) {
      err = error_object(r.error);
      m.error = err;
    } else {
      m.offset = r.offset;
      m.timestamp_type = 1;
      m.timestamp = r.timestamp_ms;
      m.error = nb::none();
    }
    callback(err, nb::cast(std::move(m)));
  }

  // oauth_cb(sasl.oauthbearer.config) -> (token, expiry in seconds since the epoch[, principal[, extensions]]), as
  // confluent-kafka calls it. Whatever it raises is a token failure (the waiting records fail unless a token still
  // serves) and propagates out of poll()/flush(), as confluent-kafka's does. The request is answered either way.
  void answer_token_request() {
    const std::string config = std::move(*token_request_);
    token_request_.reset();
    // A copy: under gevent oauth_cb may park its greenlet (an HTTP call), and another one may close the producer.
    const auto core = core_;
    try {
      auto [token, why] = token_from(oauth_handler_(config));
      if (!why.empty()) {
        core->set_oauthbearer_token_failure(why);
        throw nb::type_error(why.c_str());
      }
      core->set_oauthbearer_token(std::move(token));
    } catch (nb::python_error& e) {
      core->set_oauthbearer_token_failure("oauth_cb raised " + std::string(e.what()));
      throw;
    } catch (nb::builtin_exception&) {
      throw;  // the TypeError above: the failure is already set
    } catch (std::exception& e) {  // a conversion of what it returned failed (nb::cast_error and the like)
      core->set_oauthbearer_token_failure("oauth_cb returned a value kafkio cannot read: " + std::string(e.what()));
      throw nb::type_error(("oauth_cb returned a value kafkio cannot read: " + std::string(e.what())).c_str());
    }
  }

  // What oauth_cb returned, as a token, or why it cannot be one.
  static std::pair<oauthbearer_token, std::string> token_from(const nb::object& result) {
    oauthbearer_token token;
    std::string why;
    if (!nb::isinstance<nb::tuple>(result) && !nb::isinstance<nb::list>(result)) {
      why = "oauth_cb returned " + std::string(nb::str(nb::type_name(result.type())).c_str()) +
            ": expected (token, expiry[, principal[, extensions]])";
    } else {
      nb::sequence seq = nb::borrow<nb::sequence>(result);
      const std::size_t n = nb::len(seq);
      if (n < 2 || n > 4 || !nb::isinstance<nb::str>(seq[0]) ||
          !(nb::isinstance<nb::float_>(seq[1]) || nb::isinstance<nb::int_>(seq[1])) ||
          (n > 2 && !nb::isinstance<nb::str>(seq[2])) || (n > 3 && !nb::isinstance<nb::dict>(seq[3]))) {
        why = "oauth_cb returned a tuple of the wrong shape: expected (str token, float expiry seconds since the "
              "epoch[, str principal[, dict extensions]])";
      } else {
        token.value = nb::cast<std::string>(seq[0]);
        const double expiry_s = nb::cast<double>(seq[1]);
        // Seconds since the epoch, as time.time(): a value in milliseconds (a common slip) or inf would overflow.
        if (!std::isfinite(expiry_s) || expiry_s < 0 || expiry_s > 1e11) {
          why = "oauth_cb returned the expiry " + std::to_string(expiry_s) +
                ": expected seconds since the epoch (time.time() + lifetime), not milliseconds";
        } else {
          token.expiry = std::chrono::system_clock::time_point(
              std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(expiry_s)));
        }
        if (n > 2) token.principal = nb::cast<std::string>(seq[2]);
        if (n > 3)
          for (auto [k, v] : nb::borrow<nb::dict>(seq[3]))
            token.extensions[nb::cast<std::string>(nb::str(k))] = nb::cast<std::string>(nb::str(v));
      }
    }
    return {std::move(token), std::move(why)};
  }

  std::shared_ptr<io_thread_producer> core_;  // shared: wait() keeps it alive without the GIL
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<delivery_report> backlog_;
  std::size_t backlog_next_ = 0;
  std::deque<bool> done_;         // done_[i]: the record with seq served_below_ + i was served
  std::uint64_t served_below_ = 0;  // every record with a smaller seq was served
  std::uint64_t next_seq_ = 0;
  std::size_t live_ = 0, bytes_ = 0;
  std::size_t max_messages_, max_bytes_, max_request_size_ = 0;
  nb::object default_callback_;
  nb::object log_handler_;  // (level, text) -> None, or None
  nb::object stats_handler_;  // stats_cb: (json text) -> None, or None
  nb::object oauth_handler_;  // oauth_cb, or None
  std::optional<std::string> token_request_;  // sasl.oauthbearer.config of a token request not answered yet
  bool only_errors_;
  unsigned generation_;
  pid_t pid_;
  std::vector<std::string> notes_;
  std::uint32_t next_operation_id_ = 0;
  std::uint64_t operations_completed_ = 0;
  std::unordered_map<std::uint32_t, nb::object> operation_results_;
  std::unordered_set<std::uint32_t> operations_abandoned_;
};

}  // namespace
}  // namespace kafkio::python

NB_MODULE(_native, m) {
  using namespace kafkio::python;
  pthread_atfork(nullptr, nullptr, on_fork_child);

  m.def("_set_error_types", [](nb::object exception_type, nb::object factory) {
    kafka_exception_type = exception_type.release();
    make_kafka_error = factory.release();
  });
  m.def("kafka_error_retriable", [](int code) -> bool {
    const auto* e = kafkio::find_kafka_error(static_cast<std::int16_t>(code));
    return e && e->retriable;
  });
  m.attr("CATEGORY_KAFKA") = category_kafka;
  m.attr("CATEGORY_CLIENT") = category_client;
  m.attr("CATEGORY_OTHER") = category_other;
  m.attr("CATEGORY_RDKAFKA") = category_rdkafka;

  nb::class_<message>(m, "Message", "A delivered (or failed) record, as confluent_kafka.Message.")
      .def("topic", [](const message& x) { return x.topic; })
      .def("partition", [](const message& x) -> nb::object {
        return x.partition >= 0 ? nb::object(nb::int_(x.partition)) : nb::none();
      })
      .def("offset", [](const message& x) -> nb::object { return x.offset >= 0 ? nb::object(nb::int_(x.offset)) : nb::none(); })
      .def("key", [](const message& x) { return x.key; })
      .def("value", [](const message& x) { return x.value; })
      .def("headers", [](const message& x) { return x.headers; })
      .def("error", [](const message& x) { return x.error; })
      .def("timestamp", [](const message& x) { return nb::make_tuple(x.timestamp_type, x.timestamp); })
      .def("latency", [](const message& x) -> nb::object { return x.latency >= 0 ? nb::object(nb::float_(x.latency)) : nb::none(); })
      .def("leader_epoch", [](const message&) { return nb::none(); })
      .def("set_key", [](message& x, nb::object k) { x.key = std::move(k); })
      .def("set_value", [](message& x, nb::object v) { x.value = std::move(v); })
      .def("set_headers", [](message& x, nb::object h) { x.headers = std::move(h); })
      .def("__len__", [](const message& x) { return x.value.is_none() ? 0 : nb::len(x.value); })
      .def("__repr__", [](const message& x) {
        return nb::str("<kafkio.Message topic={} partition={} offset={}>")
            .format(x.topic, x.partition, x.offset);
      });

  nb::class_<native_producer>(m, "NativeProducer")
      .def(nb::init<const std::vector<std::pair<std::string, std::string>>&, std::size_t, std::size_t,
                    const std::string&, nb::object, bool, nb::object, nb::object, nb::object>(),
           "properties"_a, "max_messages"_a, "max_bytes"_a, "partitioner"_a, "default_callback"_a.none(),
           "only_errors"_a, "log_handler"_a.none(), "stats_handler"_a.none() = nb::none(),
           "oauth_handler"_a.none() = nb::none())
      .def("produce", &native_producer::produce, "topic"_a, "value"_a.none() = nb::none(),
           "key"_a.none() = nb::none(), "partition"_a = -1, "callback"_a.none() = nb::none(),
           "on_delivery"_a.none() = nb::none(), "timestamp"_a = 0, "headers"_a.none() = nb::none(),
           "Queues a record; its callback runs inside a later poll() or flush().")
      .def("_serve", &native_producer::serve, "max"_a)
      .def("_transaction", &native_producer::start_transaction_op, "op"_a, "offsets"_a.none() = nb::none(),
           "group"_a.none() = nb::none())
      .def("_operation_result", &native_producer::operation_result, "id"_a)
      .def("_abandon_operation", &native_producer::abandon_operation, "id"_a)
      .def("_operations_completed", &native_producer::operations_completed)
      .def("_begin_flush", &native_producer::begin_flush)
      .def("_produced", &native_producer::produced)
      .def("_outstanding_before", &native_producer::outstanding_before, "target"_a)
      .def("_wait", &native_producer::wait, "timeout"_a)
      .def("_fd", &native_producer::fd)
      .def("_poke", &native_producer::poke)
      .def("_clear_wakeup", &native_producer::clear_wakeup)
      .def("_close", &native_producer::close)
      .def("_destroy", &native_producer::destroy)
      .def("_forked", &native_producer::is_forked)
      .def("_closed", &native_producer::is_closed)
      .def("_buffered_bytes", &native_producer::buffered_bytes)
      .def("_notes", &native_producer::notes)
      .def("__len__", &native_producer::size);
}
