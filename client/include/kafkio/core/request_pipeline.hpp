// The requests of one broker connection, without the socket (Boost.Redis's multiplexer, for Kafka).
//
// Kafka answers the requests of a connection in the order they were sent, so the pipeline needs no map: requests
// that expect a response wait in a FIFO, and a response whose correlation id is not the front's means the byte
// stream is broken (the driver closes the connection). Each request carries a deadline; the owner asks for the
// earliest with next_deadline(). A request that expects no response (acks=0 produce) completes once its bytes
// were written.
//
// Ownership of bytes: frames queued here belong to the pipeline until begin_write() moves them into the driver's
// hands, which keeps them while the socket write runs and returns them through end_write() for reuse (so encoding
// a request allocates nothing once spare buffers have grown). Reads go the other way: the driver reads into its own
// buffer and passes the bytes to on_bytes(), where complete frames are dispatched in place.
//
// Every request gets exactly one callback: its response, or the error that ended the connection (fail_all).
// Callbacks may enqueue more requests or fail the pipeline; both are safe from inside a callback.
#pragma once

#include <kafkio/core/inline_function.hpp>
#include <kafkio/core/ring_queue.hpp>
#include <kafkio/core/time_source.hpp>
#include <kafkio/error.hpp>
#include <kafkio/protocol/frame.hpp>
#include <kafkio/protocol/wire.hpp>

#include <system_error>
#include <vector>

namespace kafkio::core {

class request_pipeline {
 public:
  // frame: the whole response (response header + body, without the size prefix); empty on error, and for requests
  // that expect no response. Move-only, stored in place (no allocation per request; see inline_function.hpp).
  using response_callback = inline_function<void(std::error_code, protocol::bytes_view frame)>;

  explicit request_pipeline(std::size_t max_frame_size) : reader_(max_frame_size) {}
  request_pipeline(const request_pipeline&) = delete;
  request_pipeline& operator=(const request_pipeline&) = delete;

  // ---- the owner's side ----------------------------------------------------------------------------------------

  // Queues a complete request frame (size prefix included); `correlation_id` is checked against the response.
  // Returns true when the driver must be told there is something to write (the first frame since the last
  // begin_write). Must not be called after fail_all().
  bool enqueue(protocol::byte_buffer frame, std::int32_t correlation_id, bool expect_response, time_point deadline,
               response_callback cb) {
    queued_bytes_ += frame.size();
    outbox_.push_back({std::move(frame), correlation_id, expect_response, deadline, std::move(cb)});
    return !std::exchange(write_requested_, true);
  }

  // An empty buffer for the next request frame, with the capacity of one written earlier (or a new one).
  protocol::byte_buffer take_frame_buffer() {
    if (spare_frames_.empty()) return {};
    auto b = std::move(spare_frames_.back());
    spare_frames_.pop_back();
    b.clear();
    return b;
  }

  bool failed() const noexcept { return failed_; }
  std::size_t awaiting_response() const noexcept { return awaiting_.size(); }
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }
  // Earliest deadline among requests not yet answered (time_point::max() when none).
  time_point next_deadline() const noexcept {
    time_point t = time_point::max();
    if (!awaiting_.empty()) t = awaiting_.front().deadline;
    if (!outbox_.empty() && outbox_.front().deadline < t) t = outbox_.front().deadline;
    return t;
  }

  // Completes every request with `reason`; nothing is accepted afterwards. Idempotent.
  void fail_all(std::error_code reason) {
    if (failed_) return;
    failed_ = true;
    auto awaiting = std::exchange(awaiting_, {});
    auto outbox = std::exchange(outbox_, {});
    auto written = std::exchange(written_callbacks_, {});
    queued_bytes_ = 0;
    for (auto& cb : written)
      if (cb) cb(reason, {});
    for (auto* list : {&awaiting, &outbox})
      list->for_each([&](request& r) {
        if (r.cb) r.cb(reason, {});
      });
  }

  // ---- the socket's side: bytes only ---------------------------------------------------------------------------

  // Moves every queued frame into `frames` (appended; the driver writes them in order with one gathered write).
  // Requests that expect a response join the response queue now, not when the write completes: the response can
  // arrive before the write's completion is seen.
  void begin_write(std::vector<protocol::byte_buffer>& frames) {
    write_requested_ = false;
    while (!outbox_.empty()) {
      auto& r = outbox_.front();
      frames.push_back(std::move(r.frame));
      if (r.expect_response) awaiting_.push_back(std::move(r));
      else written_callbacks_.push_back(std::move(r.cb));
      outbox_.pop_front();
    }
  }

  // The write of begin_write's frames completed. They come back for reuse (`frames` is left empty); requests that
  // expect no response complete now. Returns true if more was queued meanwhile (the driver writes again).
  bool end_write(std::vector<protocol::byte_buffer>& frames) {
    for (auto& f : frames) {
      queued_bytes_ -= std::min(queued_bytes_, f.size());
      if (spare_frames_.size() < max_spare_frames) spare_frames_.push_back(std::move(f));
    }
    frames.clear();
    if (failed_) return false;
    // Swapped out first: a callback may queue another request, which joins a later write.
    written_running_.swap(written_callbacks_);
    for (std::size_t i = 0; i < written_running_.size(); ++i) {
      auto cb = std::move(written_running_[i]);
      cb({}, {});
    }
    written_running_.clear();
    if (failed_ || outbox_.empty()) return false;
    write_requested_ = true;
    return true;
  }

  // Bytes read from the socket: complete frames are matched with the request at the front and its callback runs.
  // An error (oversized or negative frame size, a correlation id out of order) means the stream cannot be trusted
  // any more; the caller fails the pipeline and closes the connection.
  std::error_code on_bytes(protocol::bytes_view data) {
    std::error_code mismatch;
    auto ec = reader_.consume(data, [&](protocol::bytes_view frame) {
      if (failed_) return false;
      protocol::reader r(frame);
      auto correlation_id = r.int32();
      if (!r.ok() || awaiting_.empty() || awaiting_.front().correlation_id != correlation_id) {
        mismatch = make_error_code(client_errc::correlation_mismatch);
        return false;
      }
      auto req = std::move(awaiting_.front());
      awaiting_.pop_front();
      req.cb({}, frame);
      return !failed_;
    });
    return ec ? ec : mismatch;
  }

 private:
  struct request {
    protocol::byte_buffer frame;
    std::int32_t correlation_id;
    bool expect_response;
    time_point deadline;
    response_callback cb;
  };
  static constexpr std::size_t max_spare_frames = 8;  // about max.in.flight: more would only hold memory

  protocol::frame_reader reader_;
  ring_queue<request> outbox_;                        // queued, not yet handed to the driver
  ring_queue<request> awaiting_;                      // written or being written, waiting for their response
  std::vector<response_callback> written_callbacks_;  // requests without a response, in the current write
  std::vector<response_callback> written_running_;    // those being completed (capacity kept)
  std::vector<protocol::byte_buffer> spare_frames_;   // written frames, kept for their capacity
  std::size_t queued_bytes_ = 0;
  bool write_requested_ = false;  // the driver was told about frames it has not taken yet
  bool failed_ = false;
};

}  // namespace kafkio::core
