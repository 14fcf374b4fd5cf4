// ?atomic=true, kafkio's own extension of the REST Proxy API: the records of one request written in one Kafka
// transaction, so that read_committed consumers see all of them or none (docs/server.md, "Atomic requests").
//
// Each worker has one transactional producer for this, apart from the producer of ordinary requests (whose records
// must not wait for anyone's commit), created with the first atomic request. Its transactional.id names the
// worker's place (`<prefix>-<host name>-<port>-<worker index>`), so a worker that replaces a crashed one fences the
// crashed one's producer and aborts its open transaction (KIP-98). A producer runs one transaction at a time:
// atomic requests of a worker take turns.
#pragma once

#include "produce_request.hpp"
#include "rest_response.hpp"

#include <kafkio/producer.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kafkio_server {

namespace asio = boost::asio;

// The transactional.id of a worker's atomic producer.
std::string atomic_transactional_id(std::string_view prefix, std::string_view host, unsigned port, int worker_index);

// The server's producer properties with `transactional_id` added: the atomic producer's configuration, or why there
// is none (say enable.idempotence=false among the server's -X properties).
kafkio::config_result atomic_producer_config(const kafkio::property_list& server_properties,
                                             const std::string& transactional_id);

struct atomic_outcome {
  bool committed = false;
  std::vector<record_outcome> records;  // committed: every record's partition and offset
  unsigned status = 200;                // not committed: the HTTP status and REST Proxy error code to answer with
  int error_code = 0;
  std::string message;                  // says that none of the records is visible, and why
};

class atomic_writer {
 public:
  using logger = std::function<void(kafkio::log_level, std::string_view)>;
  atomic_writer(asio::any_io_executor ex, kafkio::config_result config, logger log);

  // Writes `records` to `topic` in one transaction once this worker's earlier atomic requests are done. Completes
  // once the transaction committed or was aborted.
  asio::awaitable<atomic_outcome> write(const std::vector<owned_record>& records, const std::string& topic);

  // Flushes and closes the producer (after the last request was answered).
  asio::awaitable<void> close();

  bool available() const noexcept { return static_cast<bool>(config_); }
  const std::string& unavailable_reason() const noexcept { return config_.message; }
  std::size_t buffer_memory() const noexcept { return static_cast<std::size_t>(config_.config.buffer_memory); }

 private:
  asio::awaitable<void> take_turn();
  void end_turn();
  asio::awaitable<std::error_code> ready_producer();
  asio::awaitable<void> retire_producer();
  atomic_outcome failure(std::error_code cause, std::string_view where, std::size_t records) const;

  asio::any_io_executor ex_;
  kafkio::config_result config_;
  logger log_;
  std::optional<kafkio::producer> producer_;
  bool initialized_ = false;
  bool busy_ = false;
  // Never expires; cancelled when a turn ends, which wakes every request waiting for one (as worker_context's
  // sessions_changed does).
  asio::steady_timer turn_ended_;
};

}  // namespace kafkio_server
