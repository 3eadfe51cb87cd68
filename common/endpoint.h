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

// The master binds `bind_addr` (an IP or "*") at `port`, `port`+1, `port`+2.
Result<Endpoints> MakeBindEndpoints(const std::string& bind_addr, int port);

}  // namespace zfan
