// A fake Kafka cluster without I/O, for the producer's tests: it answers ApiVersions, Metadata, InitProducerId and
// Produce frames with the generated codecs, and models a transaction coordinator (FindCoordinator, InitProducerId
// with a transactional id, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn; transactions v1, or v2
// with the Produce request adding the partition and EndTxn bumping the epoch, as KIP-890 has it). It keeps a log per partition with real offsets and the broker's
// idempotence rules (sequence checks; duplicates of the last 5 batches answered with their original offset, as
// Kafka's ProducerStateManager does), records every batch it received, and can be scripted to misbehave.
//
// Sessions are the server ends of client connections. Whoever carries the bytes (fake_broker.hpp over loopback
// sockets, or the core tests' simulated network) opens a session per connection, passes it each request frame, and
// writes out what appears in the session's outbox; `wake` is called when the cluster adds output outside
// on_request (released responses, dropped connections).
//
// Single-threaded, like the producer.
#pragma once

#include <kafkio/protocol/frame.hpp>
#include <kafkio/protocol/record_batch_reader.hpp>
#include <kafkio/protocol/request.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace kafkio::test {

using protocol::api_key;
using protocol::byte_buffer;
using protocol::bytes_view;

// What the fake sends instead of the normal response to one request.
enum class fake_fault {
  swallow,             // answer neither this request nor any later one on the connection (a hung broker)
  close,               // close the connection without answering
  truncate_and_close,  // write the first half of the response frame, then close
  absurd_length,       // a size prefix of 0x7ffffff0 (~2 GiB) and a few bytes; the connection stays open
  negative_length,     // a size prefix of 0x80000000
  wrong_correlation,   // a well-formed response whose correlation id is off by 1000
  garbage_body,        // the right correlation id, then bytes that decode as nothing
};

struct fake_record {
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  std::int64_t timestamp = 0;
};

// One batch as it arrived in a Produce request, and what the fake did with it.
struct fake_produce_attempt {
  std::string topic;
  std::int32_t partition = -1;
  int node = 0, connection = 0;
  std::int16_t version = 0, acks = 0;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  int codec = 0;  // the batch's compression (Kafka's ids: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)
  std::vector<fake_record> records;
  std::int16_t error = 0;          // partition error answered
  std::int64_t base_offset = -1;   // where it was written, or the original offset of a duplicate
  bool duplicate = false;          // a retry of a batch already written: acknowledged, not written again
};

struct fake_stored_record {
  std::int64_t offset;
  fake_record record;
  // Written in a transaction: visible to a read_committed reader only once committed (never if aborted).
  enum class txn : std::uint8_t { none, open, committed, aborted } status = txn::none;
  std::int64_t producer_id = -1;
};

// The server end of one client connection.
struct fake_session {
  int node = 0, id = 0;
  std::deque<byte_buffer> outbox;      // frames (size prefix included) to write to the client, in order
  bool close_after_write = false;      // close once the outbox is written
  bool closed = false;                 // close now (drop what is not written)
  bool muted = false, held = false;
  std::vector<byte_buffer> held_frames;
  std::function<void()> wake;          // output appeared outside on_request

  void queue(byte_buffer frame) {
    if (closed || muted) return;
    if (held) return held_frames.push_back(std::move(frame));
    outbox.push_back(std::move(frame));
  }
};

class fake_cluster {
 public:
  struct options {
    int nodes = 1;                           // node ids 1..nodes
    std::int16_t api_versions_max = 4;       // a newer ApiVersions request gets the v0-format error-35 reply
    bool rdkafka_mock_api_versions_reply = false;  // ... or the librdkafka 2.0.2 mock's reply (neither v0 nor v3)
    std::int16_t produce_max = 12, metadata_max = 12, init_producer_id_max = 5;
    std::int32_t default_partitions = 1;     // for topics created by a Metadata request
    bool auto_create = true;
    // As Kafka does (ProducerStateManager): a partition with no state for a producer id accepts whatever sequence
    // that producer's first batch carries, not only 0. Off: only sequence 0 starts a producer (stricter).
    bool any_first_sequence = false;
    // The cluster's finalized transaction.version (ApiVersions v3+): 2 means transactions v2 (KIP-890 part 2).
    std::int16_t transaction_version = 2;
    int coordinator = 1;  // the node that coordinates every transactional id and group
    // SASL (SaslHandshake v1, SaslAuthenticate v2): every mechanism and token is accepted, and recorded
    // (sasl_tokens()); a session_lifetime_ms above 0 is announced as the session's lifetime (KIP-368).
    bool sasl = false;
    std::int64_t sasl_session_lifetime_ms = 0;
  };

  // `address(node)`: the host and port Metadata advertises for a node.
  fake_cluster(options o, std::function<std::pair<std::string, std::uint16_t>(int)> address)
      : opts_(o), address_(std::move(address)) {}

  const options& opts() const noexcept { return opts_; }

  // Topics and leaders. A leader change bumps the partition's leader epoch.
  void create_topic(const std::string& name, std::int32_t partitions, int leader = 1) {
    auto& t = topics_[name];
    t.resize(static_cast<std::size_t>(partitions));
    for (auto& p : t) p.leader = leader;
  }
  void set_leader(const std::string& topic, std::int32_t partition, int node) {
    auto& p = topics_.at(topic).at(static_cast<std::size_t>(partition));
    p.leader = node;
    ++p.leader_epoch;
  }

  // Scripting. Faults apply to the next requests of that API, in order (one fault per request).
  void inject(api_key key, fake_fault f, int times = 1) {
    for (int i = 0; i < times; ++i) faults_[key].push_back(f);
  }
  // The next batches (of any partition) get these partition error codes instead of being written.
  void fail_produce(std::initializer_list<std::int16_t> errors) { produce_errors_.insert(produce_errors_.end(), errors); }
  // Called for each well-formed batch before it is written; a non-zero return is answered as its error.
  std::function<std::int16_t(const fake_produce_attempt&)> produce_hook;
  // Metadata reports `error` for the topic (and no partitions) from now on.
  void set_topic_error(const std::string& topic, std::int16_t error) { topic_errors_[topic] = error; }
  // The next InitProducerId requests fail with these error codes.
  void fail_init_producer_id(std::initializer_list<std::int16_t> errors) {
    init_errors_.insert(init_errors_.end(), errors);
  }
  // The next requests of a transaction API (FindCoordinator, InitProducerId with a transactional id,
  // AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn) fail with these error codes.
  void fail_transactional(api_key key, std::initializer_list<std::int16_t> errors) {
    auto& q = txn_errors_[key];
    q.insert(q.end(), errors);
  }
  // Another producer with the same transactional id initialized: the epoch moves on, an open transaction aborts.
  void fence(const std::string& transactional_id) {
    auto& t = txns_.at(transactional_id);
    if (t.open) end(t, false);
    ++t.epoch;
  }
  // Metadata leaves `node` out of its broker list: a node clients reach only through the bootstrap address.
  void hide_from_metadata(int node, bool hide = true) {
    if (hide) hidden_nodes_.insert(node);
    else hidden_nodes_.erase(node);
  }
  // `node` never answers Metadata requests (other requests as usual): a broker that lost its way in the cluster.
  void ignore_metadata_on(int node, bool ignore = true) {
    if (ignore) metadata_ignored_on_.insert(node);
    else metadata_ignored_on_.erase(node);
  }
  // `node` takes Produce requests and never answers them (nor anything after them on that connection): a leader
  // that stopped taking batches while its connections stay open.
  void hang_produce_on(int node) { produce_hung_on_.insert(node); }
  // The coordinator moves to `node`: requests to the old one get NOT_COORDINATOR.
  void move_coordinator(int node) { opts_.coordinator = node; }
  // Produce responses ask the client to hold back for this long (throttle_time_ms, as a broker over its quota).
  void throttle_produce(std::int32_t ms) { produce_throttle_ms_ = ms; }
  // While held, Produce responses (and anything after them on the same connection) wait; release sends them.
  std::vector<std::vector<std::string>> metadata_topics_asked;  // per Metadata request, the topics it named
  void hold_produce_responses() { hold_ = true; }
  void release_produce_responses() {
    hold_ = false;
    for (auto& s : sessions_) {
      s->held = false;
      for (auto& f : std::exchange(s->held_frames, {})) s->queue(std::move(f));
      if (s->wake) s->wake();
    }
  }
  // Closes every client connection: a broker restart as clients see it.
  void drop_connections() {
    for (auto& s : sessions_) {
      s->closed = true;
      if (s->wake) s->wake();
    }
  }

  // A client connected to `node`.
  std::shared_ptr<fake_session> open_session(int node) {
    auto s = std::make_shared<fake_session>();
    s->node = node;
    s->id = ++next_connection_id_;
    sessions_.push_back(s);
    return s;
  }

  // One request frame (without its size prefix) from the client of `s`: the answer, if any, lands in s.outbox.
  void on_request(fake_session& s, bytes_view frame) {
    protocol::reader peek(frame);
    const auto key = static_cast<api_key>(peek.int16());
    const auto version = peek.int16();
    const auto header_version = protocol::request_header_version(key, version);
    protocol::reader r(frame);
    protocol::request_header h;
    if (!peek.ok() || !header_version || h.decode(r, *header_version)) return void(s.closed = true);
    request_log_.emplace_back(key, version);
    if (key == api_key::metadata && metadata_ignored_on_.count(s.node)) return;
    const auto body = r.rest();
    byte_buffer out;  // response without size prefix
    protocol::writer w(out);
    auto header = [&](std::int16_t response_version) {
      protocol::response_header rh;
      rh.correlation_id = h.correlation_id;
      rh.encode(w, *protocol::response_header_version(key, response_version));
    };
    switch (key) {
      case api_key::api_versions: {
        protocol::api_versions_response m;
        std::int16_t v = version;
        if (version > opts_.api_versions_max && opts_.rdkafka_mock_api_versions_reply) {
          header(0);  // error 35, a one-byte count, key 18's range, an int32 throttle: see mock_cluster_test.cpp
          for (int b : {0x00, 0x23, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, int{opts_.api_versions_max}, 0, 0, 0, 0})
            w.int8(static_cast<std::int8_t>(b));
          break;
        }
        if (version > opts_.api_versions_max) {  // a v0 body, error 35, only ApiVersions' own range (KIP-511)
          v = 0;
          m.error_code = 35;
          m.api_keys.push_back({18, 0, opts_.api_versions_max, {}});
        } else {
          m.api_keys = {{0, 3, opts_.produce_max, {}}, {3, 1, opts_.metadata_max, {}},
                        {10, 0, 6, {}},  {18, 0, opts_.api_versions_max, {}}, {22, 0, opts_.init_producer_id_max, {}},
                        {24, 0, 5, {}},  {25, 0, 4, {}}, {26, 0, 5, {}}, {28, 0, 5, {}}};
          m.finalized_features.push_back({"transaction.version", opts_.transaction_version, 0, {}});
          if (opts_.sasl) m.api_keys.insert(m.api_keys.end(), {{17, 0, 1, {}}, {36, 0, 2, {}}});
        }
        header(0);
        m.encode(w, v);
        break;
      }
      case api_key::metadata: {
        protocol::metadata_request req;
        if (protocol::decode_message(body, req, version)) return void(s.closed = true);
        auto& asked = metadata_topics_asked.emplace_back();
        if (req.topics) for (const auto& t : *req.topics) asked.push_back(t.name.value_or(""));
        header(version);
        metadata(req).encode(w, version);
        break;
      }
      case api_key::find_coordinator:
      case api_key::add_partitions_to_txn:
      case api_key::add_offsets_to_txn:
      case api_key::txn_offset_commit:
      case api_key::end_txn:
        if (!transactional(s, key, version, body, w, header)) return void(s.closed = true);
        break;
      case api_key::init_producer_id: {
        {
          protocol::init_producer_id_request req;
          if (protocol::decode_message(body, req, version)) return void(s.closed = true);
          if (req.transactional_id && !req.transactional_id->empty()) {
            header(version);
            init_transactional(s, req).encode(w, version);
            break;
          }
        }
        protocol::init_producer_id_response m;
        if (!init_errors_.empty()) {
          m.error_code = init_errors_.front();
          init_errors_.pop_front();
        } else {
          m.producer_id = next_producer_id_++;
          m.producer_epoch = 0;
        }
        header(version);
        m.encode(w, version);
        break;
      }
      case api_key::produce: {
        protocol::produce_request req;
        if (protocol::decode_message(body, req, version)) return void(s.closed = true);
        auto response = produce(s, req, version);
        if (req.acks == 0) return;  // nothing goes back, whatever happened
        header(version);
        response.encode(w, version);
        if (hold_) s.held = true;
        break;
      }
      case api_key::sasl_handshake: {
        protocol::sasl_handshake_request req;
        if (!opts_.sasl || protocol::decode_message(body, req, version)) return void(s.closed = true);
        protocol::sasl_handshake_response m;
        m.mechanisms = {req.mechanism};
        header(version);
        m.encode(w, version);
        break;
      }
      case api_key::sasl_authenticate: {
        protocol::sasl_authenticate_request req;
        if (!opts_.sasl || protocol::decode_message(body, req, version)) return void(s.closed = true);
        sasl_tokens_.emplace_back(s.id, std::string(req.auth_bytes.begin(), req.auth_bytes.end()));
        protocol::sasl_authenticate_response m;
        m.session_lifetime_ms = opts_.sasl_session_lifetime_ms;
        header(version);
        m.encode(w, version);
        break;
      }
      default: return void(s.closed = true);
    }
    respond(s, key, std::move(out));
  }

  // Observation.
  const std::vector<fake_produce_attempt>& produce_attempts() const noexcept { return attempts_; }
  const std::vector<fake_stored_record>& log(const std::string& topic, std::int32_t partition) const {
    static const std::vector<fake_stored_record> none;
    auto it = topics_.find(topic);
    if (it == topics_.end() || partition < 0 || static_cast<std::size_t>(partition) >= it->second.size()) return none;
    return it->second[static_cast<std::size_t>(partition)].log;
  }
  int requests(api_key key) const {
    int n = 0;
    for (const auto& r : request_log_) n += r.first == key;
    return n;
  }
  // Every request received: API and version, in order.
  const std::vector<std::pair<api_key, std::int16_t>>& request_log() const noexcept { return request_log_; }
  // SaslAuthenticate's client messages, with the session (connection) id each came on.
  const std::vector<std::pair<int, std::string>>& sasl_tokens() const noexcept { return sasl_tokens_; }
  int connections_accepted() const noexcept { return next_connection_id_; }
  // What a read_committed consumer sees: values not written in a transaction, and those of committed ones.
  std::vector<std::string> committed_values(const std::string& topic, std::int32_t partition) const {
    std::vector<std::string> out;
    for (const auto& r : log(topic, partition))
      if (r.status == fake_stored_record::txn::none || r.status == fake_stored_record::txn::committed)
        out.push_back(r.record.value.value_or(""));
    return out;
  }
  // The transactional id's current producer id and epoch, and whether a transaction is open.
  struct fake_transaction {
    std::int64_t producer_id = -1;
    std::int16_t epoch = -1;
    bool open = false;
    std::set<std::pair<std::string, std::int32_t>> partitions;
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> pending_offsets;
    std::string group;
  };
  const fake_transaction* transaction(const std::string& id) const {
    auto it = txns_.find(id);
    return it == txns_.end() ? nullptr : &it->second;
  }
  // Offsets committed for a group (by committed transactions).
  std::optional<std::int64_t> committed_offset(const std::string& group, const std::string& topic,
                                               std::int32_t partition) const {
    auto it = group_offsets_.find({group, topic, partition});
    return it == group_offsets_.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
  }
  int transactions_committed() const noexcept { return commits_; }
  int transactions_aborted() const noexcept { return aborts_; }
  std::int64_t last_producer_id() const noexcept { return next_producer_id_ - 1; }

 private:
  struct idempotence_state {  // per partition and producer id
    std::int16_t epoch = -1;
    std::int32_t last_sequence = -1;
    struct cached {
      std::int16_t epoch;
      std::int32_t base_sequence, count;
      std::int64_t offset;
    };
    std::deque<cached> recent;  // the last 5 batches, as a broker keeps them
  };
  struct partition_state {
    int leader = 1;
    std::int32_t leader_epoch = 0;
    std::vector<fake_stored_record> log;
    std::map<std::int64_t, idempotence_state> producers;
  };

  std::optional<std::int16_t> scripted_txn_error(api_key key) {
    auto& q = txn_errors_[key];
    if (q.empty()) return std::nullopt;
    auto e = q.front();
    q.pop_front();
    return e;
  }
  fake_transaction* transaction_of(std::int64_t producer_id) {
    for (auto& [id, t] : txns_)
      if (t.producer_id == producer_id) return &t;
    return nullptr;
  }
  // Checks the request's producer id/epoch against the transactional id's: 0, or the error to answer.
  static std::int16_t check_epoch(const fake_transaction* t, std::int64_t producer_id, std::int16_t epoch) {
    if (!t || t->producer_id != producer_id) return 49;  // INVALID_PRODUCER_ID_MAPPING
    if (epoch < t->epoch) return 90;                     // PRODUCER_FENCED
    if (epoch > t->epoch) return 47;                     // INVALID_PRODUCER_EPOCH
    return 0;
  }
  // Marks the transaction's records committed or aborted and closes it.
  void end(fake_transaction& t, bool commit) {
    for (auto& [name, parts] : topics_)
      for (auto& p : parts)
        for (auto& r : p.log)
          if (r.producer_id == t.producer_id && r.status == fake_stored_record::txn::open)
            r.status = commit ? fake_stored_record::txn::committed : fake_stored_record::txn::aborted;
    if (commit)
      for (const auto& [tp, offset] : t.pending_offsets) group_offsets_[{t.group, tp.first, tp.second}] = offset;
    (commit ? commits_ : aborts_) += t.open ? 1 : 0;
    t.open = false;
    t.partitions.clear();
    t.pending_offsets.clear();
  }

  protocol::init_producer_id_response init_transactional(fake_session& s, const protocol::init_producer_id_request& req) {
    protocol::init_producer_id_response m;
    if (auto e = scripted_txn_error(api_key::init_producer_id)) return m.error_code = *e, m;
    if (s.node != opts_.coordinator) return m.error_code = 16, m;  // NOT_COORDINATOR
    auto& t = txns_[*req.transactional_id];
    if (t.producer_id < 0) {
      t.producer_id = next_producer_id_++;
      t.epoch = 0;
    } else {
      if (req.producer_id >= 0 && (req.producer_id != t.producer_id || req.producer_epoch != t.epoch))
        return m.error_code = 90, m;  // an epoch bump from a producer that was fenced meanwhile
      if (t.open) end(t, false);      // a new incarnation: the old one's transaction is aborted
      ++t.epoch;
    }
    m.producer_id = t.producer_id;
    m.producer_epoch = t.epoch;
    return m;
  }

  template <class Header>
  bool transactional(fake_session& s, api_key key, std::int16_t version, bytes_view body, protocol::writer& w,
                     Header& header) {
    const bool here = s.node == opts_.coordinator;
    auto scripted = scripted_txn_error(key);
    switch (key) {
      case api_key::find_coordinator: {
        protocol::find_coordinator_request req;
        if (protocol::decode_message(body, req, version)) return false;
        protocol::find_coordinator_response m;
        auto [host, port] = address_(opts_.coordinator);
        if (version >= 4) {
          for (const auto& k : req.coordinator_keys)
            m.coordinators.push_back({k, opts_.coordinator, host, port, scripted.value_or(0), std::nullopt, {}});
        } else {
          m.error_code = scripted.value_or(0);
          m.node_id = opts_.coordinator;
          m.host = host;
          m.port = port;
        }
        header(version);
        m.encode(w, version);
        return true;
      }
      case api_key::add_partitions_to_txn: {
        protocol::add_partitions_to_txn_request req;
        if (protocol::decode_message(body, req, version) || version > 3) return false;
        std::int16_t error = scripted.value_or(here ? 0 : 16);
        auto* t = txns_.count(req.v3_and_below_transactional_id) ? &txns_[req.v3_and_below_transactional_id] : nullptr;
        if (!error) error = check_epoch(t, req.v3_and_below_producer_id, req.v3_and_below_producer_epoch);
        protocol::add_partitions_to_txn_response m;
        for (const auto& topic : req.v3_and_below_topics) {
          auto& tr = m.results_by_topic_v3_and_below.emplace_back();
          tr.name = topic.name;
          for (auto p : topic.partitions) {
            tr.results_by_partition.push_back({p, error, {}});
            if (!error) {
              t->partitions.insert({topic.name, p});
              t->open = true;
            }
          }
        }
        header(version);
        m.encode(w, version);
        return true;
      }
      case api_key::add_offsets_to_txn: {
        protocol::add_offsets_to_txn_request req;
        if (protocol::decode_message(body, req, version)) return false;
        std::int16_t error = scripted.value_or(here ? 0 : 16);
        auto* t = txns_.count(req.transactional_id) ? &txns_[req.transactional_id] : nullptr;
        if (!error) error = check_epoch(t, req.producer_id, req.producer_epoch);
        if (!error) {
          t->open = true;
          t->group = req.group_id;
        }
        protocol::add_offsets_to_txn_response m;
        m.error_code = error;
        header(version);
        m.encode(w, version);
        return true;
      }
      case api_key::txn_offset_commit: {
        protocol::txn_offset_commit_request req;
        if (protocol::decode_message(body, req, version)) return false;
        std::int16_t error = scripted.value_or(here ? 0 : 16);
        auto* t = txns_.count(req.transactional_id) ? &txns_[req.transactional_id] : nullptr;
        if (!error) error = check_epoch(t, req.producer_id, req.producer_epoch);
        if (!error && (!t->open || t->group != req.group_id)) error = 48;  // INVALID_TXN_STATE: no AddOffsetsToTxn
        protocol::txn_offset_commit_response m;
        for (const auto& topic : req.topics) {
          auto& tr = m.topics.emplace_back();
          tr.name = topic.name;
          for (const auto& p : topic.partitions) {
            tr.partitions.push_back({p.partition_index, error, {}});
            if (!error) t->pending_offsets[{topic.name, p.partition_index}] = p.committed_offset;
          }
        }
        header(version);
        m.encode(w, version);
        return true;
      }
      case api_key::end_txn: {
        protocol::end_txn_request req;
        if (protocol::decode_message(body, req, version)) return false;
        std::int16_t error = scripted.value_or(here ? 0 : 16);
        auto* t = txns_.count(req.transactional_id) ? &txns_[req.transactional_id] : nullptr;
        if (!error) error = check_epoch(t, req.producer_id, req.producer_epoch);
        // INVALID_TXN_STATE: nothing to end; transactions v2 lets an abort of an empty transaction bump the epoch
        if (!error && !t->open && (version < 5 || req.committed)) error = 48;
        protocol::end_txn_response m;
        if (!error) {
          end(*t, req.committed);
          if (version >= 5) ++t->epoch;  // transactions v2: every end bumps the epoch
          m.producer_id = t->producer_id;
          m.producer_epoch = t->epoch;
        }
        m.error_code = error;
        header(version);
        m.encode(w, version);
        return true;
      }
      default: return false;
    }
  }

  static byte_buffer framed(bytes_view payload) {
    byte_buffer f;
    protocol::writer fw(f);
    fw.int32(static_cast<std::int32_t>(payload.size()));
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
  }

  void respond(fake_session& s, api_key key, byte_buffer response) {
    if (key == api_key::produce && produce_hung_on_.count(s.node)) {
      s.muted = true;
      return;
    }
    auto& pending = faults_[key];
    if (pending.empty()) return s.queue(framed(response));
    const auto f = pending.front();
    pending.pop_front();
    switch (f) {
      case fake_fault::swallow: s.muted = true; return;
      case fake_fault::close: s.closed = true; return;
      case fake_fault::truncate_and_close: {
        auto whole = framed(response);
        whole.resize(whole.size() / 2);
        s.queue(std::move(whole));
        s.close_after_write = true;
        return;
      }
      case fake_fault::absurd_length: return s.queue({0x7f, 0xff, 0xff, 0xf0, 0, 0, 0, 1, 2, 3});
      case fake_fault::negative_length: return s.queue({0x80, 0, 0, 0, 0, 0, 0, 1});
      case fake_fault::wrong_correlation: {
        auto bad = framed(response);
        bad[4] ^= 0x40;  // the correlation id is the first header field; +/- 2^30 is far from any real one
        return s.queue(std::move(bad));
      }
      case fake_fault::garbage_body: {
        byte_buffer g(response.begin(), response.begin() + 4);  // correlation id only
        for (int i = 0; i < 8; ++i) g.push_back(i % 2 ? 0xff : 0x7f);  // huge array/string lengths, invalid tags
        return s.queue(framed(g));
      }
    }
  }

  protocol::metadata_response metadata(const protocol::metadata_request& req) {
    protocol::metadata_response m;
    m.controller_id = 1;
    m.cluster_id = "fake-cluster";
    for (int n = 1; n <= opts_.nodes; ++n) {
      if (hidden_nodes_.count(n)) continue;
      auto& b = m.brokers.emplace_back();
      b.node_id = n;
      std::tie(b.host, b.port) = address_(n);
    }
    std::vector<std::string> names;
    if (req.topics)
      for (const auto& t : *req.topics) names.push_back(t.name.value_or(""));
    else
      for (const auto& [name, parts] : topics_) names.push_back(name);
    for (const auto& name : names) {
      auto& t = m.topics.emplace_back();
      t.name = name;
      if (auto e = topic_errors_.find(name); e != topic_errors_.end()) {
        t.error_code = e->second;
        continue;
      }
      if (!topics_.count(name) && opts_.auto_create && req.allow_auto_topic_creation && !name.empty())
        create_topic(name, opts_.default_partitions);
      auto it = topics_.find(name);
      if (it == topics_.end()) {
        t.error_code = 3;  // UNKNOWN_TOPIC_OR_PARTITION
        continue;
      }
      t.topic_id = topic_id_of(name);  // on the wire from v10
      for (std::size_t p = 0; p < it->second.size(); ++p) {
        auto& part = t.partitions.emplace_back();
        part.partition_index = static_cast<std::int32_t>(p);
        part.leader_id = it->second[p].leader;
        part.leader_epoch = it->second[p].leader_epoch;
        part.replica_nodes = part.isr_nodes = {it->second[p].leader};
      }
    }
    return m;
  }

  protocol::produce_response produce(fake_session& s, const protocol::produce_request& req, std::int16_t version) {
    protocol::produce_response m;
    m.throttle_time_ms = produce_throttle_ms_;
    std::set<int> leaders_named;
    for (const auto& td : req.topic_data) {
      auto& tr = m.responses.emplace_back();
      tr.name = td.name;
      tr.topic_id = td.topic_id;
      // v13+ names the topic by id (KIP-516): an id no topic has is UNKNOWN_TOPIC_ID for each of its partitions.
      std::string topic = td.name;
      if (version >= 13) {
        topic.clear();
        for (const auto& [name, parts] : topics_)
          if (topic_id_of(name) == td.topic_id) topic = name;
      }
      for (const auto& pd : td.partition_data) {
        auto& pr = tr.partition_responses.emplace_back();
        pr.index = pd.index;
        pr.log_start_offset = 0;
        if (topic.empty()) {
          pr.error_code = 100;
          pr.base_offset = -1;
          continue;
        }
        fake_produce_attempt a;
        a.topic = topic;
        a.partition = pd.index;
        a.node = s.node;
        a.connection = s.id;
        a.version = version;
        a.acks = req.acks;
        a.error = store(a, pd.records ? bytes_view(*pd.records) : bytes_view{});
        pr.error_code = a.error;
        pr.base_offset = a.error ? -1 : a.base_offset;
        if (a.error == 6 && leader_of(a.topic, a.partition) > 0) {
          pr.current_leader.leader_id = leader_of(a.topic, a.partition);
          pr.current_leader.leader_epoch = topics_[a.topic][static_cast<std::size_t>(a.partition)].leader_epoch;
          leaders_named.insert(pr.current_leader.leader_id);
        }
        attempts_.push_back(std::move(a));
      }
    }
    for (int n : leaders_named) {  // KIP-951: where to find the leaders named above (v10+)
      auto& e = m.node_endpoints.emplace_back();
      e.node_id = n;
      std::tie(e.host, e.port) = address_(n);
    }
    return m;
  }

  // A topic's id (Metadata v10+, Produce v13+): made from its name, the same for every call.
  static protocol::uuid topic_id_of(const std::string& name) {
    protocol::uuid id{};
    for (std::size_t i = 0; i < name.size(); ++i) id[i % id.size()] ^= static_cast<std::uint8_t>(name[i] + i);
    id[0] |= 0x80;  // never all zero ("no id")
    return id;
  }

  int leader_of(const std::string& topic, std::int32_t partition) const {
    auto it = topics_.find(topic);
    if (it == topics_.end() || partition < 0 || static_cast<std::size_t>(partition) >= it->second.size()) return -1;
    return it->second[static_cast<std::size_t>(partition)].leader;
  }

  // Decodes, checks and (if all is well) writes one batch; returns the partition error code.
  std::int16_t store(fake_produce_attempt& a, bytes_view batch) {
    protocol::record_batch_reader rd(batch);
    if (!rd.next_batch()) return 2;  // CORRUPT_MESSAGE
    const auto& h = rd.header();
    a.producer_id = h.producer_id;
    a.producer_epoch = h.producer_epoch;
    a.base_sequence = h.base_sequence;
    a.codec = h.codec_id();
    protocol::record_view rv;
    while (rd.next_record(rv)) {
      auto str = [](const std::optional<bytes_view>& b) {
        return b ? std::optional<std::string>(std::string(b->begin(), b->end())) : std::nullopt;
      };
      fake_record rec{str(rv.key), str(rv.value), {}, rv.timestamp};
      for (const auto& hv : rv.headers()) rec.headers.emplace_back(std::string(hv.key), str(hv.value));
      a.records.push_back(std::move(rec));
    }
    if (rd.next_batch() || rd.error()) return 87;  // INVALID_RECORD: one batch per partition only
    if (leader_of(a.topic, a.partition) < 0) return 3;
    if (leader_of(a.topic, a.partition) != a.node) return 6;
    auto& part = topics_[a.topic][static_cast<std::size_t>(a.partition)];
    const auto count = static_cast<std::int32_t>(a.records.size());
    // A retry of a batch already written is acknowledged with its first offset, whatever else is scripted: the
    // scripted errors stand for batches that were not written (a broker would not say OUT_OF_ORDER or
    // UNKNOWN_PRODUCER_ID to a batch it has).
    if (h.producer_id >= 0)
      for (const auto& c : part.producers[h.producer_id].recent)
        if (c.epoch == h.producer_epoch && c.base_sequence == h.base_sequence && c.count == count) {
          a.duplicate = true;
          a.base_offset = c.offset;
          return 0;
        }
    if (!produce_errors_.empty()) {
      auto e = produce_errors_.front();
      produce_errors_.pop_front();
      return e;
    }
    if (produce_hook)
      if (auto e = produce_hook(a)) return e;
    fake_transaction* txn = nullptr;
    if (h.is_transactional()) {  // the partition must be in the producer's open transaction (v2: this adds it)
      txn = transaction_of(h.producer_id);
      if (!txn) return 49;                         // INVALID_PRODUCER_ID_MAPPING
      if (h.producer_epoch < txn->epoch) return 90;  // PRODUCER_FENCED
      const bool v2 = a.version >= 12 && opts_.transaction_version >= 2;
      if (!v2 && !txn->partitions.count({a.topic, a.partition})) return 48;  // INVALID_TXN_STATE
      txn->partitions.insert({a.topic, a.partition});
      txn->open = true;
      ++transactional_batches_;
    }
    if (h.producer_id >= 0) {  // the broker's idempotence checks (docs/protocol.md, "Idempotence")
      auto& st = part.producers[h.producer_id];
      if (h.producer_epoch < st.epoch) return 47;  // INVALID_PRODUCER_EPOCH
      const bool new_epoch = h.producer_epoch > st.epoch;
      const bool unknown_producer = st.epoch < 0;
      const auto expected = new_epoch ? 0 : (st.last_sequence == INT32_MAX ? 0 : st.last_sequence + 1);
      if (h.base_sequence != expected && !(unknown_producer && opts_.any_first_sequence))
        return 45;  // OUT_OF_ORDER_SEQUENCE_NUMBER
      if (new_epoch) st = idempotence_state{h.producer_epoch, -1, {}};
      st.last_sequence = static_cast<std::int32_t>((static_cast<std::int64_t>(h.base_sequence) + count - 1) %
                                                   (std::int64_t{INT32_MAX} + 1));
      st.recent.push_back({h.producer_epoch, h.base_sequence, count, static_cast<std::int64_t>(part.log.size())});
      if (st.recent.size() > 5) st.recent.pop_front();
    }
    a.base_offset = static_cast<std::int64_t>(part.log.size());
    for (const auto& rec : a.records)
      part.log.push_back({static_cast<std::int64_t>(part.log.size()), rec,
                          txn ? fake_stored_record::txn::open : fake_stored_record::txn::none, h.producer_id});
    return 0;
  }

  options opts_;
  std::function<std::pair<std::string, std::uint16_t>(int)> address_;
  std::vector<std::shared_ptr<fake_session>> sessions_;
  std::map<std::string, std::vector<partition_state>> topics_;
  std::map<std::string, std::int16_t> topic_errors_;
  std::set<int> hidden_nodes_, metadata_ignored_on_;
  std::map<api_key, std::deque<fake_fault>> faults_;
  std::deque<std::int16_t> produce_errors_, init_errors_;
  bool hold_ = false;
  std::set<int> produce_hung_on_;
  std::int32_t produce_throttle_ms_ = 0;
  std::vector<fake_produce_attempt> attempts_;
  std::vector<std::pair<api_key, std::int16_t>> request_log_;
  std::vector<std::pair<int, std::string>> sasl_tokens_;
  std::map<std::string, fake_transaction> txns_;  // by transactional id
  std::map<api_key, std::deque<std::int16_t>> txn_errors_;
  std::map<std::tuple<std::string, std::string, std::int32_t>, std::int64_t> group_offsets_;
  int commits_ = 0, aborts_ = 0, transactional_batches_ = 0;
  int next_connection_id_ = 0;
  std::int64_t next_producer_id_ = 1000;
};

}  // namespace kafkio::test
