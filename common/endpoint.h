// Endpoints: the user names one (tcp://HOST:PORT, the tasks port); the other two ports follow it.
#pragma once
#include <cstdint>
#include <string>

#include "common/status.h"

namespace zfan {

struct Endpoints {
  std::string host;
  uint16_t base_port = 5557;
  std::string tasks() const { return Url(base_port); }        // master PUSH -> worker PULL
  std::string results() const { return Url(base_port + 1); }  // worker PUSH -> master PULL
  std::string control() const { return Url(base_port + 2); }  // master PUB -> worker SUB

 private:
  std::string Url(int port) const;
};

// Parses "tcp://HOST:PORT", "HOST:PORT" or "HOST" (port 5557).
Result<Endpoints> ParseEndpoint(const std::string& text);

// The master binds `bind_addr` at `port`, `port`+1, `port`+2. `bind_addr` is written as labs
// write it: an IPv4 or IPv6 address ("0.0.0.0", "::", "::1", "[::1]"), "*", a host name
// ("localhost", the machine's own name; its first IPv4 address, else its first IPv6 one) or an
// interface name ("eth0"). The result's host is what ZeroMQ binds.
Result<Endpoints> MakeBindEndpoints(const std::string& bind_addr, int port);

// True when `bind_addr` (as above) reaches only this machine: 127.0.0.0/8, ::1, a name that
// resolves only to those, or the loopback interface.
bool IsLoopbackBind(const std::string& bind_addr);

// True for a wildcard bind ("*", "0.0.0.0", "::"): workers elsewhere reach it by host name.
bool IsWildcardBind(const std::string& bind_addr);

}  // namespace zfan
