#include "embed/backoff.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <ctime>
#include <string>

namespace trawl {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Reads a non-negative decimal ("12", "0.25") from the front of `s`.
std::optional<double> TakeNumber(std::string_view* s) {
  size_t n = 0;
  bool dot = false;
  while (n < s->size() && (std::isdigit(static_cast<unsigned char>((*s)[n])) || (!dot && (*s)[n] == '.'))) {
    if ((*s)[n] == '.') dot = true;
    ++n;
  }
  if (n == 0 || (n == 1 && dot)) return std::nullopt;
  double v = std::stod(std::string(s->substr(0, n)));
  s->remove_prefix(n);
  return v;
}

std::chrono::milliseconds FromSeconds(double s) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(std::min(s, 1e9) * 1000.0)));
}

// IMF-fixdate, the only form RFC 9110 requires senders to use.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view v) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char wday[4] = {}, mon[4] = {}, zone[4] = {};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  std::string text(v);
  if (std::sscanf(text.c_str(), "%3s, %d %3s %d %d:%d:%d %3s", wday, &day, mon, &year, &hh, &mm, &ss,
                  zone) != 8) {
    return std::nullopt;
  }
  if (std::string_view(zone) != "GMT") return std::nullopt;
  auto it = std::find_if(kMonths.begin(), kMonths.end(),
                         [&](const char* m) { return std::string_view(m) == mon; });
  if (it == kMonths.end() || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = static_cast<int>(it - kMonths.begin());
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

}  // namespace

std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap, double unit) {
  double full = static_cast<double>(base.count()) * std::pow(2.0, std::clamp(attempt, 0, 40));
  full = std::min(full, static_cast<double>(cap.count()));
  unit = std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(full / 2 + full / 2 * unit));
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    std::string_view rest = value;
    std::optional<double> s = TakeNumber(&rest);
    if (!s) return std::nullopt;
    return FromSeconds(*s);
  }
  std::optional<std::chrono::system_clock::time_point> at = ParseHttpDate(value);
  if (!at) return std::nullopt;
  if (*at <= now) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(*at - now);
}

std::optional<std::chrono::milliseconds> ParseResetDuration(std::string_view value) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  double seconds = 0;
  bool had_unit = false;
  while (!value.empty()) {
    std::optional<double> n = TakeNumber(&value);
    if (!n) return std::nullopt;
    if (value.empty()) {  // a bare number is seconds, but not after "1m"
      if (had_unit) return std::nullopt;
      seconds += *n;
      break;
    }
    had_unit = true;
    double scale = 0;
    if (value.starts_with("ms")) {
      scale = 1e-3;
      value.remove_prefix(2);
    } else if (value.starts_with("us") || value.starts_with("\u00b5s")) {
      scale = 1e-6;
      value.remove_prefix(value.front() == 'u' ? 2 : std::string_view("\u00b5s").size());
    } else if (value.starts_with("ns")) {
      scale = 1e-9;
      value.remove_prefix(2);
    } else if (value.front() == 'h') {
      scale = 3600;
      value.remove_prefix(1);
    } else if (value.front() == 'm') {
      scale = 60;
      value.remove_prefix(1);
    } else if (value.front() == 's') {
      scale = 1;
      value.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    seconds += *n * scale;
  }
  return FromSeconds(seconds);
}

}  // namespace trawl
