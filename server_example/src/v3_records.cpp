#include "v3_records.hpp"

#include "base64.hpp"
#include "json_exact.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace kafkio_server {

namespace json = boost::json;

namespace {

request_error bad(std::string message) { return {400, 400, std::move(message)}; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Key or value: {"type": ..., "data": ...}.
std::optional<request_error> embedded(const json::value* v, std::string_view what, std::optional<std::string>& type,
                                      std::optional<std::string>& out) {
  out.reset();
  if (!v || v->is_null()) return std::nullopt;
  const auto* o = v->if_object();
  if (!o) return bad(std::string(what) + " must be an object {\"type\": ..., \"data\": ...}");
  for (const char* schema_field : {"subject", "subject_name_strategy", "schema_id", "schema_version", "schema"})
    if (o->contains(schema_field))
      return bad(std::string(what) + "." + schema_field + ": Schema Registry is not supported (use BINARY, JSON or STRING)");
  const auto* t = o->if_contains("type");
  const auto* t_str = t ? json_exact::if_string(*t) : nullptr;
  if (!t_str) return bad(std::string(what) + ".type is required: BINARY, JSON or STRING");
  type = upper(*t_str);
  const json::value* data = o->if_contains("data");
  if (*type != "BINARY" && *type != "JSON" && *type != "STRING")
    return bad(std::string(what) + ".type " + *type + " is not supported (BINARY, JSON or STRING)");
  if (!data || data->is_null()) return std::nullopt;
  if (*type == "JSON") {
    out = json_exact::serialize(*data);
    return std::nullopt;
  }
  const auto* str = json_exact::if_string(*data);
  if (!str) return bad(std::string(what) + ".data must be a string for type " + *type);
  if (*type == "STRING") {
    out = std::string(*str);
    return std::nullopt;
  }
  auto decoded = base64_decode(*str);
  if (!decoded) return bad(std::string(what) + ".data is not valid base64");
  out = std::move(*decoded);
  return std::nullopt;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::int64_t> parse_iso8601_ms(std::string_view s) {
  auto digits = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    if (at + n > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  // YYYY-MM-DDTHH:MM:SS
  auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2), sec = digits(17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  std::size_t at = 19;
  std::int64_t ms = 0;
  if (at < s.size() && s[at] == '.') {
    std::size_t n = 0;
    for (++at; at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])); ++at, ++n)
      if (n < 3) ms = ms * 10 + (s[at] - '0');
    if (n == 0) return std::nullopt;
    for (; n < 3; ++n) ms *= 10;
  }
  std::int64_t offset_s = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    auto oh = digits(at + 1, 2), om = digits(at + 4, 2);
    if (!oh || !om || at + 3 >= s.size() || s[at + 3] != ':') return std::nullopt;
    offset_s = (s[at] == '+' ? 1 : -1) * (*oh * 3600 + *om * 60);
    at += 6;
  } else {
    return std::nullopt;  // a zone is required: an instant, not a local time
  }
  if (at != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d));
  return ((days * 86400 + *h * 3600 + *mi * 60 + *sec) - offset_s) * 1000 + ms;
}

std::string format_iso8601_ms(std::int64_t ms) {
  // civil_from_days (Howard Hinnant), for the report's timestamp.
  std::int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  const auto milli = static_cast<int>(ms - secs * 1000);
  std::int64_t z = (secs >= 0 ? secs : secs - 86399) / 86400;
  const auto sod = static_cast<int>(secs - z * 86400);
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[96];  // room for any int64 year, which the compiler cannot rule out
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d, sod / 3600,
                sod / 60 % 60, sod % 60, milli);
  return buf;
}

v3_parsed parse_v3_record(const json::value& v) {
  v3_parsed out;
  const auto* o = v.if_object();
  if (!o) {
    out.error = bad("a record must be a JSON object");
    return out;
  }
  auto& r = out.record;
  if (const auto* p = o->if_contains("partition_id"); p && !p->is_null()) {
    auto n = json_exact::to_integer<std::int32_t>(*p);
    if (!n || *n < 0) {
      out.error = bad("partition_id must be a non-negative int32");
      return out;
    }
    r.record.partition = *n;
  }
  if (auto err = embedded(o->if_contains("key"), "key", r.key_type, r.record.key)) {
    out.error = err;
    return out;
  }
  if (auto err = embedded(o->if_contains("value"), "value", r.value_type, r.record.value)) {
    out.error = err;
    return out;
  }
  if (const auto* h = o->if_contains("headers"); h && !h->is_null()) {
    const auto* a = h->if_array();
    if (!a) {
      out.error = bad("headers must be an array of {\"name\", \"value\"}");
      return out;
    }
    for (const auto& e : *a) {
      const auto* ho = e.if_object();
      const auto* name = ho ? ho->if_contains("name") : nullptr;
      const auto* name_str = name ? json_exact::if_string(*name) : nullptr;
      if (!name_str) {
        out.error = bad("every header needs a string \"name\"");
        return out;
      }
      owned_header oh{std::string(*name_str), std::nullopt};
      if (const auto* val = ho->if_contains("value"); val && !val->is_null()) {
        const auto* val_str = json_exact::if_string(*val);
        auto decoded = val_str ? base64_decode(*val_str) : std::nullopt;
        if (!decoded) {
          out.error = bad("header '" + oh.name + "': value must be base64 or null");
          return out;
        }
        oh.value = std::move(*decoded);
      }
      r.record.headers.push_back(std::move(oh));
    }
  }
  if (const auto* ts = o->if_contains("timestamp"); ts && !ts->is_null()) {
    std::optional<std::int64_t> ms;
    if (const auto* str = json_exact::if_string(*ts)) {
      ms = parse_iso8601_ms(*str);
    } else if (auto text = json_exact::number_text(*ts)) {
      double seconds = 0;
      auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), seconds);
      if (ec == std::errc{} && end == text->data() + text->size() && seconds >= 0 && seconds < 1e14)
        ms = static_cast<std::int64_t>(std::llround(seconds * 1000));
    }
    if (!ms || *ms < 0) {
      out.error = bad("timestamp must be an ISO-8601 date-time with a zone (2024-01-02T03:04:05Z) or seconds since 1970");
      return out;
    }
    r.record.timestamp_ms = *ms;
  }
  r.key_size = r.record.key ? r.record.key->size() : 0;
  r.value_size = r.record.value ? r.record.value->size() : 0;
  return out;
}

std::string v3_report(const v3_record& r, const record_outcome& outcome, std::string_view cluster_id,
                      std::string_view topic) {
  if (outcome.ec) {
    auto e = classify(outcome.ec);
    return v3_error(e.error_code, e.message);
  }
  json::object o;
  o["error_code"] = 200;
  o["cluster_id"] = cluster_id;
  o["topic_name"] = topic;
  o["partition_id"] = outcome.partition;
  o["offset"] = outcome.offset;
  if (outcome.timestamp_ms >= 0) o["timestamp"] = format_iso8601_ms(outcome.timestamp_ms);
  auto data = [](const std::optional<std::string>& type, std::size_t size) {
    json::object d;
    d["type"] = *type;
    d["size"] = size;
    return d;
  };
  if (r.key_type) o["key"] = data(r.key_type, r.key_size);
  if (r.value_type) o["value"] = data(r.value_type, r.value_size);
  return json::serialize(o);
}

std::string v3_error(int error_code, std::string_view message) {
  json::object o;
  o["error_code"] = error_code;
  o["message"] = message;
  return json::serialize(o);
}

}  // namespace kafkio_server
