#include "common/endpoint.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>

#include <charconv>
#include <vector>

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

bool IsIpLiteral(const std::string& host) {
  in6_addr buf{};
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

bool IsLoopbackAddress(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    auto addr = ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr);
    return (addr >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  }
  return false;
}

std::string AddressText(const sockaddr* sa) {
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr =
      sa->sa_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  inet_ntop(sa->sa_family, addr, text, sizeof text);
  return text;
}

// The addresses a host name resolves to, IPv4 first (a name usually means "this machine's
// address", and IPv4 is what most lab firewalls are written for).
Result<std::vector<std::string>> ResolveName(const std::string& name, bool* all_loopback) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    return UsageError("cannot bind '" + name + "': not an address, an interface or a host name (" +
                      gai_strerror(rc) + ")");
  }
  std::vector<std::string> v4, v6;
  *all_loopback = true;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    *all_loopback = *all_loopback && IsLoopbackAddress(ai->ai_addr);
    (ai->ai_family == AF_INET ? v4 : v6).push_back(AddressText(ai->ai_addr));
  }
  freeaddrinfo(res);
  v4.insert(v4.end(), v6.begin(), v6.end());
  if (v4.empty()) return UsageError("cannot bind '" + name + "': it has no IP address");
  return v4;
}

// The first address of a network interface, IPv4 first; empty if it has none.
std::string InterfaceAddress(const std::string& name) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string v4, v6;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || name != i->ifa_name) continue;
    if (i->ifa_addr->sa_family == AF_INET && v4.empty()) v4 = AddressText(i->ifa_addr);
    if (i->ifa_addr->sa_family == AF_INET6 && v6.empty()) v6 = AddressText(i->ifa_addr);
  }
  freeifaddrs(list);
  return v4.empty() ? v6 : v4;
}

std::string Unbracketed(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace

bool IsWildcardBind(const std::string& bind_addr) {
  std::string host = Unbracketed(bind_addr);
  return host == "*" || host == "0.0.0.0" || host == "::";
}

bool IsLoopbackBind(const std::string& bind_addr) {
  std::string host = Unbracketed(bind_addr);
  if (host.empty() || host == "lo") return true;
  if (IsWildcardBind(host)) return false;
  bool loopback = false;
  if (IsIpLiteral(host) || if_nametoindex(host.c_str()) == 0) {
    auto resolved = ResolveName(host, &loopback);
    return resolved.ok() && loopback;
  }
  return false;  // another interface
}

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
  ep.base_port = static_cast<uint16_t>(port);
  std::string host = Unbracketed(bind_addr.empty() ? "127.0.0.1" : bind_addr);
  if (host == "*" || IsIpLiteral(host)) {
    ep.host = host;
    return ep;
  }
  if (if_nametoindex(host.c_str()) != 0) {  // an interface: bind its address, which workers use
    ep.host = InterfaceAddress(host);
    if (ep.host.empty())
      return UsageError("cannot bind '" + host + "': the interface has no address");
    return ep;
  }
  bool loopback = false;
  auto resolved = ResolveName(host, &loopback);
  if (!resolved.ok()) return resolved.status();
  ep.host = resolved->front();
  return ep;
}

}  // namespace zfan
