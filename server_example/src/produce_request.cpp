#include "produce_request.hpp"

#include "base64.hpp"
#include "json_exact.hpp"

#include <kafkio/topic_name.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace kafkio_server {

namespace json = boost::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class Int>
std::optional<Int> to_int(std::string_view s) {
  Int v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

request_error unprocessable(std::string message) { return {422, 422, std::move(message)}; }

// An int32 partition from a JSON number (REST Proxy accepts only integers; 1.0 is refused like Jackson does).
std::optional<std::int32_t> json_partition(const json::value& v) {
  auto p = json_exact::to_integer<std::int32_t>(v);
  if (p && *p >= 0) return p;
  return std::nullopt;
}

// Key or value of a record in the given format; `what` names the field for error messages.
std::optional<request_error> embedded_bytes(const json::value& v, embedded_format f, std::string_view what,
                                            std::size_t index, std::optional<std::string>& out) {
  if (v.is_null()) {
    out.reset();
    return std::nullopt;
  }
  auto where = "records[" + std::to_string(index) + "]." + std::string(what);
  switch (f) {
    case embedded_format::json: out = json_exact::serialize(v); return std::nullopt;  // numbers as sent
    case embedded_format::text: {
      const auto* str = json_exact::if_string(v);
      if (!str) return unprocessable(where + " must be a string (text format)");
      out = std::string(*str);
      return std::nullopt;
    }
    case embedded_format::binary: {
      const auto* str = json_exact::if_string(v);
      if (!str) return unprocessable(where + " must be a base64 string (binary format)");
      auto decoded = base64_decode(*str);
      if (!decoded) return unprocessable(where + " is not valid base64");
      out = std::move(*decoded);
      return std::nullopt;
    }
    case embedded_format::raw: break;
  }
  return unprocessable(where + ": unsupported format");
}

std::optional<request_error> parse_headers(const json::value& v, std::size_t index, std::vector<owned_header>& out) {
  auto where = "records[" + std::to_string(index) + "].headers";
  if (v.is_null()) return std::nullopt;
  if (!v.is_array()) return unprocessable(where + " must be an array of {\"name\", \"value\"}");
  for (const auto& h : v.get_array()) {
    if (!h.is_object()) return unprocessable(where + " must be an array of {\"name\", \"value\"}");
    const auto& o = h.get_object();
    // REST Proxy v3 and the brief say "name"; the Strimzi bridge says "key". Accept either.
    const json::value* name = o.if_contains("name");
    if (!name) name = o.if_contains("key");
    const auto* name_str = name ? json_exact::if_string(*name) : nullptr;
    if (!name_str) return unprocessable(where + ": every header needs a string \"name\"");
    owned_header oh{std::string(*name_str), std::nullopt};
    if (const auto* val = o.if_contains("value"); val && !val->is_null()) {
      const auto* val_str = json_exact::if_string(*val);
      if (!val_str) return unprocessable(where + ": a header value must be a base64 string or null");
      auto decoded = base64_decode(*val_str);
      if (!decoded) return unprocessable(where + ": header '" + oh.name + "' value is not valid base64");
      oh.value = std::move(*decoded);
    }
    out.push_back(std::move(oh));
  }
  return std::nullopt;
}

}  // namespace

std::optional<embedded_format> format_for_content_type(std::string_view content_type) {
  auto semi = content_type.find(';');
  auto type = lower(trim(content_type.substr(0, semi)));
  if (type == "application/vnd.kafka.json.v2+json") return embedded_format::json;
  if (type == "application/vnd.kafka.binary.v2+json") return embedded_format::binary;
  if (type == "application/vnd.kafka.text.v2+json") return embedded_format::text;  // Strimzi bridge
  if (type == "application/octet-stream") return embedded_format::raw;
  if (type == "application/vnd.kafka.v2+json") return embedded_format::binary;  // REST Proxy's default format
  return std::nullopt;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;  // needs two hex digits after it
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool legal_topic_name(std::string_view t) noexcept { return !kafkio::validate_topic_name(t); }

route match_route(std::string_view path) {
  route r;
  if (path == "/healthz") r.what = route::kind::healthz;
  else if (path == "/readyz") r.what = route::kind::readyz;
  else if (path == "/metrics") r.what = route::kind::metrics;
  else if (path == "/openapi.json") r.what = route::kind::openapi;
  if (r.what != route::kind::not_found || path.empty() || path[0] != '/') return r;

  // Segments, percent-decoded; an empty one (a doubled or trailing slash) or a bad escape matches nothing.
  std::vector<std::string> seg;
  for (std::string_view rest = path.substr(1);;) {
    auto slash = rest.find('/');
    auto decoded = percent_decode(rest.substr(0, slash), false);
    if (!decoded || decoded->empty()) return r;
    seg.push_back(std::move(*decoded));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  auto set_partition = [&](const std::string& p) {
    auto n = to_int<std::int32_t>(p);
    if (!n || *n < 0) r.bad_partition = true;
    else r.partition = *n;
  };
  // The part after .../topics: {t}, {t}/partitions, {t}/partitions/{p}, and for v3 {t}/records.
  auto match_topic_part = [&](std::size_t i) {
    const std::size_t n = seg.size() - i;
    if (n == 0) return void(r.what = route::kind::topics);
    r.topic = seg[i];
    if (n == 1) return void(r.what = route::kind::topic);
    if (n == 2 && seg[i + 1] == "records" && r.v3) return void(r.what = route::kind::records);
    if (seg[i + 1] != "partitions" || n > 3) return;
    if (n == 2) return void(r.what = route::kind::partitions);
    r.what = route::kind::partition;
    set_partition(seg[i + 2]);
  };
  if (seg[0] == "topics") {
    match_topic_part(1);
  } else if (seg[0] == "brokers" && seg.size() == 1) {
    r.what = route::kind::brokers;
  } else if (seg[0] == "v3" && seg.size() >= 2 && seg[1] == "clusters") {
    r.v3 = true;
    if (seg.size() == 2) return r.what = route::kind::clusters, r;
    r.cluster_id = seg[2];
    if (seg.size() == 3) return r.what = route::kind::cluster, r;
    if (seg[3] == "brokers" && seg.size() == 4) return r.what = route::kind::brokers, r;
    if (seg[3] == "topics") match_topic_part(4);
  }
  if (r.what == route::kind::not_found) r = route{};
  return r;
}

std::string_view allowed_methods(const route& r) {
  if (r.what == route::kind::records) return "POST";
  if (!r.v3 && (r.what == route::kind::topic || r.what == route::kind::partition)) return "POST, GET, HEAD";
  return "GET, HEAD";
}

bool is_produce(const route& r, bool is_post) {
  return r.what == route::kind::records ||
         (is_post && !r.v3 && (r.what == route::kind::topic || r.what == route::kind::partition));
}

std::optional<std::string_view> negotiate(std::string_view accept, const std::vector<std::string_view>& offered) {
  if (offered.empty()) return std::nullopt;
  if (trim(accept).empty()) return offered.front();
  // The best (q, then specificity) of the client's ranges that matches each offer; then the offer with the best q.
  std::optional<std::string_view> chosen;
  double chosen_q = 0;
  for (auto offer : offered) {
    double best_q = -1;
    int best_specificity = -1;
    for (std::string_view rest = accept; !rest.empty();) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      auto semi = item.find(';');
      auto range = lower(trim(item.substr(0, semi)));
      double q = 1;
      for (auto params = semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1); !params.empty();) {
        auto next = params.find(';');
        auto param = trim(params.substr(0, next));
        params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
        if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
          double v = 0;
          auto [p, ec] = std::from_chars(param.data() + 2, param.data() + param.size(), v);
          q = ec == std::errc{} ? std::clamp(v, 0.0, 1.0) : 0;
        }
      }
      int specificity = -1;
      if (range == "*/*") specificity = 0;
      else if (range.size() > 2 && range.substr(range.size() - 2) == "/*" &&
               offer.substr(0, range.size() - 1) == std::string_view(range).substr(0, range.size() - 1))
        specificity = 1;
      else if (range == offer) specificity = 2;
      if (specificity > best_specificity) best_specificity = specificity, best_q = q;
    }
    if (best_specificity >= 0 && best_q > chosen_q) chosen = offer, chosen_q = best_q;
  }
  return chosen;
}

std::optional<request_error> parse_query(std::string_view query, produce_query& out) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!name || !value) return request_error{400, 400, "malformed percent-encoding in the query string"};
    if (*name == "async" || *name == "atomic") {
      auto v = lower(*value);
      bool& flag = *name == "async" ? out.async : out.atomic;
      if (v == "true" || v == "1" || v.empty()) flag = true;
      else if (v == "false" || v == "0") flag = false;
      else return request_error{400, 400, *name + " must be true or false"};
    } else if (*name == "key") {
      out.key = std::move(*value);
    } else if (*name == "partition") {
      auto p = to_int<std::int32_t>(*value);
      if (!p || *p < 0) return request_error{400, 400, "partition must be a non-negative integer"};
      out.partition = *p;
    }
  }
  if (out.async && out.atomic)
    return request_error{400, 400,
                         "atomic=true and async=true exclude each other: an atomic write answers once its transaction "
                         "committed"};
  return std::nullopt;
}

parsed_records parse_records(std::string_view body, embedded_format format, const parse_limits& limits) {
  parsed_records out;
  auto parsed = json_exact::parse(body, 64);
  if (parsed.non_finite) {
    out.error = unprocessable("a number is beyond the range of a double (such as 1e400): no JSON reader could use it");
    return out;
  }
  if (parsed.ec) {
    out.error = request_error{400, 400, "malformed JSON: " + parsed.ec.message()};
    return out;
  }
  const json::value& doc = parsed.value;
  const json::object* root = doc.if_object();
  const json::value* records = root ? root->if_contains("records") : nullptr;
  if (!records || !records->is_array()) {
    out.error = unprocessable("the body must be an object with a \"records\" array");
    return out;
  }
  const auto& arr = records->get_array();
  if (arr.empty()) {
    out.error = unprocessable("records may not be empty");
    return out;
  }
  if (arr.size() > limits.max_records) {
    out.error = unprocessable("too many records: " + std::to_string(arr.size()) + " (at most " +
                              std::to_string(limits.max_records) + " per request)");
    return out;
  }
  out.records.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const json::object* rec = arr[i].if_object();
    if (!rec) {
      out.error = unprocessable("records[" + std::to_string(i) + "] must be an object");
      return out;
    }
    owned_record r;
    static const json::value null_value;
    const json::value* key = rec->if_contains("key");
    const json::value* value = rec->if_contains("value");
    if (auto err = embedded_bytes(key ? *key : null_value, format, "key", i, r.key)) out.error = err;
    else if (auto err2 = embedded_bytes(value ? *value : null_value, format, "value", i, r.value)) out.error = err2;
    if (out.error) return out;
    if (const auto* p = rec->if_contains("partition"); p && !p->is_null()) {
      r.partition = json_partition(*p);
      if (!r.partition) {
        out.error = unprocessable("records[" + std::to_string(i) + "].partition must be a non-negative int32");
        return out;
      }
    }
    if (const auto* ts = rec->if_contains("timestamp"); ts && !ts->is_null()) {
      auto ms = json_exact::to_integer<std::int64_t>(*ts);
      if (!ms || *ms < 0) {
        out.error = unprocessable("records[" + std::to_string(i) + "].timestamp must be milliseconds since 1970");
        return out;
      }
      r.timestamp_ms = *ms;
    }
    if (const auto* h = rec->if_contains("headers")) {
      if (auto err = parse_headers(*h, i, r.headers)) {
        out.error = err;
        return out;
      }
    }
    out.records.push_back(std::move(r));
  }
  return out;
}

kafkio::producer_record as_producer_record(const owned_record& r, std::string_view topic,
                                           std::vector<kafkio::header>& headers) {
  headers.clear();
  for (const auto& h : r.headers)
    headers.push_back({h.name, h.value ? std::optional<std::string_view>(*h.value) : std::nullopt});
  kafkio::producer_record pr;
  pr.topic = topic;
  pr.partition = r.partition;
  if (r.key) pr.key = *r.key;
  if (r.value) pr.value = *r.value;
  pr.headers = headers;
  pr.timestamp_ms = r.timestamp_ms;
  return pr;
}

std::size_t record_charge(const owned_record& r) noexcept {
  std::size_t header_bytes = 0;
  for (const auto& h : r.headers) header_bytes += h.name.size() + (h.value ? h.value->size() : 0);
  return kafkio::buffer_charge(r.key ? r.key->size() : 0, r.value ? r.value->size() : 0, r.headers.size(), header_bytes);
}

}  // namespace kafkio_server
