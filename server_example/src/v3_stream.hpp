// REST Proxy v3 produce on one connection: POST /v3/clusters/{c}/topics/{t}/records, whose body is JSON records
// one after another (a single one, or a stream sent with Transfer-Encoding: chunked for as long as the client
// likes), answered with a 200 whose chunked body is one delivery report per record, in order, each written as soon
// as Kafka acknowledged (or refused) its record. Records are produced as they arrive, not when the body ends.
#pragma once

#include "rest_handlers.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include <functional>

namespace kafkio_server {

// Sets what the record being read is charged against --max-body-memory (false: over budget, nothing changed).
using charge_function = std::function<bool(std::size_t)>;

// Called once the headers are in, the cluster was checked and any 100 Continue sent. Reads the body record by
// record (one record's JSON may be up to --max-body-bytes), hands each to the producer when it is complete,
// and writes the reports. Stops reading at shutdown or after --body-timeout without a byte or a report. A record
// that cannot be read gets an error object in the stream; malformed JSON ends the stream. Returns whether the
// connection may serve another request.
asio::awaitable<bool> serve_v3_records(worker_context& ctx, beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                       http::request_parser<http::string_body>& parser, const request_plan& plan,
                                       charge_function charge);

}  // namespace kafkio_server
