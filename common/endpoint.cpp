#include "common/endpoint.h"

#include <charconv>

namespace zfan {

std::string Endpoints::Url(int port) const {
  bool ipv6 = host.find(':') != std::string::npos;
  return "tcp://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

namespace {

Result<int> ParsePort(const std::string& text) {
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65533) {
    return UsageError("bad port '" + text +
                      "': expected 1..65533 (zfan uses PORT, PORT+1, PORT+2)");
  }
  return port;
}

}  // namespace

Result<Endpoints> ParseEndpoint(const std::string& text) {
  std::string rest = text;
  const std::string scheme = "tcp://";
  if (rest.rfind(scheme, 0) == 0)
    rest = rest.substr(scheme.size());
  else if (rest.find("://") != std::string::npos) {
    return UsageError("bad endpoint '" + text + "': only tcp://HOST:PORT is supported");
  }
  Endpoints ep;
  std::string port_text;
  if (!rest.empty() && rest[0] == '[') {  // [::1]:5557
    auto close = rest.find(']');
    if (close == std::string::npos) return UsageError("bad endpoint '" + text + "'");
    ep.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    ep.host = rest.substr(0, colon);
    if (colon != std::string::npos) port_text = rest.substr(colon + 1);
  }
  if (ep.host.empty()) return UsageError("bad endpoint '" + text + "': no host");
  if (!port_text.empty()) {
    auto port = ParsePort(port_text);
    if (!port.ok()) return port.status();
    ep.base_port = static_cast<uint16_t>(*port);
  }
  return ep;
}

Result<Endpoints> MakeBindEndpoints(const std::string& bind_addr, int port) {
  auto parsed = ParsePort(std::to_string(port));
  if (!parsed.ok()) return parsed.status();
  Endpoints ep;
  ep.host = bind_addr.empty() ? "127.0.0.1" : bind_addr;
  ep.base_port = static_cast<uint16_t>(port);
  return ep;
}

}  // namespace zfan
