// A minimal Kafka "broker" for measuring clients, not brokers: it answers ApiVersions, Metadata, InitProducerId and
// Produce on loopback at once, with the generated codecs, and keeps nothing but an offset counter per partition.
// Every Produce is acknowledged (any acks, any sequence), so what limits a client against it is the client itself.
//
// Unlike tests/support/fake_broker.hpp (which decodes every record, keeps a log and enforces idempotence rules so
// tests can check behaviour) this one does the least a broker must: one pass over each batch header to count
// records, responses coalesced into one write per turn, buffers reused. Single-threaded, on the caller's
// io_context; run it in its own process (kafkio-ack-sink) or on its own thread (kafkio-alloc-count).
#pragma once

#include <kafkio/protocol/frame.hpp>
#include <kafkio/protocol/record_batch.hpp>
#include <kafkio/protocol/request.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kafkio::bench {

namespace asio = boost::asio;
using protocol::api_key;
using protocol::byte_buffer;
using protocol::bytes_view;

struct ack_sink_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;          // 0: any free port (see ack_sink::port())
  std::int32_t partitions = 3;     // for every topic a Metadata request names
  bool verbose = false;            // log connections and unknown requests to stderr
};

struct ack_sink_counters {
  std::uint64_t connections = 0, requests = 0, produce_requests = 0, batches = 0, records = 0, record_bytes = 0;
};

class ack_sink {
 public:
  ack_sink(asio::io_context& io, ack_sink_options o)
      : io_(io), opts_(std::move(o)), acceptor_(io, {asio::ip::make_address(opts_.host), opts_.port}) {
    port_ = acceptor_.local_endpoint().port();
    accept();
  }
  ack_sink(const ack_sink&) = delete;
  ack_sink& operator=(const ack_sink&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string address() const { return opts_.host + ":" + std::to_string(port_); }
  const ack_sink_counters& counters() const noexcept { return counters_; }
  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& s : sessions_)
      if (auto p = s.lock()) p->socket.close(ignored);
  }

 private:
  struct session : std::enable_shared_from_this<session> {
    explicit session(asio::io_context& io) : socket(io) {}
    asio::ip::tcp::socket socket;
    protocol::frame_reader reader{64u << 20};
    byte_buffer pending, writing;  // responses queued while a write is in flight; the buffer being written
    bool write_in_flight = false;
  };

  void accept() {
    auto s = std::make_shared<session>(io_);
    acceptor_.async_accept(s->socket, [this, s](boost::system::error_code ec) {
      if (ec) return;
      ++counters_.connections;
      s->socket.set_option(asio::ip::tcp::no_delay(true));
      if (opts_.verbose) std::fprintf(stderr, "ack-sink: connection %llu\n", static_cast<unsigned long long>(counters_.connections));
      std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
      sessions_.push_back(s);
      read(s);
      accept();
    });
  }

  void read(const std::shared_ptr<session>& s) {
    auto space = s->reader.prepare(256 * 1024);
    s->socket.async_read_some(asio::buffer(space.data(), space.size()), [this, s](boost::system::error_code ec, std::size_t n) {
      if (ec) return close(*s);
      s->reader.commit(n);
      bytes_view frame;
      std::error_code fec;
      for (;;) {
        auto st = s->reader.next(frame, fec);
        if (st == protocol::frame_reader::status::need_more) break;
        if (st == protocol::frame_reader::status::error || !on_request(*s, frame)) return close(*s);
      }
      flush(s);
      read(s);
    });
  }

  void close(session& s) {
    boost::system::error_code ignored;
    s.socket.close(ignored);
  }

  // All responses to one read go out in one write; later ones wait for it.
  void flush(const std::shared_ptr<session>& s) {
    if (s->write_in_flight || s->pending.empty()) return;
    s->writing.swap(s->pending);
    s->pending.clear();
    s->write_in_flight = true;
    asio::async_write(s->socket, asio::buffer(s->writing), [this, s](boost::system::error_code ec, std::size_t) {
      s->write_in_flight = false;
      s->writing.clear();
      if (ec) return close(*s);
      flush(s);
    });
  }

  // Decodes one request and queues its response; false closes the connection.
  bool on_request(session& s, bytes_view frame) {
    protocol::reader peek(frame);
    const auto key = static_cast<api_key>(peek.int16());
    const auto version = peek.int16();
    const auto header_version = protocol::request_header_version(key, version);
    protocol::reader r(frame);
    protocol::request_header h;
    if (!peek.ok() || !header_version || h.decode(r, *header_version)) return false;
    ++counters_.requests;
    const auto body = r.rest();
    const std::size_t start = s.pending.size();
    protocol::writer w(s.pending);
    w.int32(0);  // size, patched below
    auto header = [&](std::int16_t response_version) {
      protocol::response_header rh;
      rh.correlation_id = h.correlation_id;
      rh.encode(w, *protocol::response_header_version(key, response_version));
    };
    switch (key) {
      case api_key::api_versions: {
        protocol::api_versions_response m;
        std::int16_t v = version;
        if (version > 4) {  // KIP-511: answer in v0 with UNSUPPORTED_VERSION and our ApiVersions range
          v = 0;
          m.error_code = 35;
          m.api_keys.push_back({18, 0, 4, {}});
        } else {
          // Fetch, ListOffsets and FindCoordinator are never answered (a request for them closes the connection),
          // but librdkafka derives features from advertised versions: without Fetch v4 it falls back to the old
          // MessageSet format, without Fetch v10 it refuses zstd, without FindCoordinator it refuses lz4. The
          // ranges are Kafka 4.x's.
          m.api_keys = {{0, 3, 12, {}}, {1, 4, 17, {}}, {2, 1, 10, {}}, {3, 1, 12, {}},
                        {10, 0, 6, {}}, {18, 0, 4, {}}, {22, 0, 5, {}}};
        }
        header(0);
        m.encode(w, v);
        break;
      }
      case api_key::metadata: {
        protocol::metadata_request req;
        if (protocol::decode_message(body, req, version)) return false;
        header(version);
        metadata(req).encode(w, version);
        break;
      }
      case api_key::init_producer_id: {
        protocol::init_producer_id_response m;
        m.producer_id = next_producer_id_++;
        m.producer_epoch = 0;
        header(version);
        m.encode(w, version);
        break;
      }
      case api_key::produce: {
        if (protocol::decode_message(body, produce_req_, version)) return false;
        acknowledge(produce_req_);
        if (produce_req_.acks == 0) {  // nothing goes back
          s.pending.resize(start);
          return true;
        }
        header(version);
        produce_resp_.encode(w, version);
        break;
      }
      default:
        if (opts_.verbose) std::fprintf(stderr, "ack-sink: unsupported request api %d v%d\n", static_cast<int>(key), version);
        return false;
    }
    w.patch_int32(start, static_cast<std::int32_t>(s.pending.size() - start - 4));
    return true;
  }

  protocol::metadata_response metadata(const protocol::metadata_request& req) const {
    protocol::metadata_response m;
    m.controller_id = 1;
    m.cluster_id = "kafkio-ack-sink";
    m.brokers.push_back({1, opts_.host, port_, std::nullopt, {}});
    if (!req.topics) return m;  // "all topics": we keep none
    for (const auto& t : *req.topics) {
      auto& topic = m.topics.emplace_back();
      topic.name = t.name.value_or("");
      topic.topic_id[15] = 1;
      for (std::int32_t p = 0; p < opts_.partitions; ++p) {
        auto& part = topic.partitions.emplace_back();
        part.partition_index = p;
        part.leader_id = 1;
        part.leader_epoch = 0;
        part.replica_nodes = part.isr_nodes = {1};
      }
    }
    return m;
  }

  // Fills produce_resp_ (reused, so steady state allocates little): every partition succeeds at the next offset.
  void acknowledge(const protocol::produce_request& req) {
    ++counters_.produce_requests;
    produce_resp_.responses.resize(req.topic_data.size());
    for (std::size_t t = 0; t < req.topic_data.size(); ++t) {
      const auto& td = req.topic_data[t];
      auto& tr = produce_resp_.responses[t];
      tr.name = td.name;
      tr.partition_responses.resize(td.partition_data.size());
      auto& offsets = offsets_[td.name];
      for (std::size_t p = 0; p < td.partition_data.size(); ++p) {
        const auto& pd = td.partition_data[p];
        auto& pr = tr.partition_responses[p];
        pr.index = pd.index;
        pr.log_start_offset = 0;
        if (pd.index < 0) continue;
        if (offsets.size() <= static_cast<std::size_t>(pd.index)) offsets.resize(static_cast<std::size_t>(pd.index) + 1);
        auto& next = offsets[static_cast<std::size_t>(pd.index)];
        pr.base_offset = next;
        if (pd.records) next += count_records(*pd.records);
      }
    }
  }

  // Walks the batch headers (a partition's records may hold several batches) and counts their records.
  std::int64_t count_records(bytes_view records) {
    namespace L = protocol::batch_layout;
    std::int64_t n = 0;
    while (records.size() >= L::header_size) {
      const auto length = protocol::detail::load_be<std::int32_t>(records.data() + L::batch_length);
      if (length < 0 || static_cast<std::size_t>(length) + L::log_overhead > records.size()) break;
      n += protocol::detail::load_be<std::int32_t>(records.data() + L::records_count);
      ++counters_.batches;
      counters_.record_bytes += static_cast<std::uint64_t>(length) + L::log_overhead;
      records = records.subspan(static_cast<std::size_t>(length) + L::log_overhead);
    }
    counters_.records += static_cast<std::uint64_t>(n);
    return n;
  }

  asio::io_context& io_;
  ack_sink_options opts_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::weak_ptr<session>> sessions_;
  std::map<std::string, std::vector<std::int64_t>, std::less<>> offsets_;
  protocol::produce_request produce_req_;    // reused between requests
  protocol::produce_response produce_resp_;  // reused between responses
  std::int64_t next_producer_id_ = 1000;
  ack_sink_counters counters_;
};

}  // namespace kafkio::bench
