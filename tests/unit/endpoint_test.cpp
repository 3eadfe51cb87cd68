// Endpoint parsing (common/endpoint.h): one user-given endpoint names all three ports.
#include "common/endpoint.h"

#include <catch2/catch.hpp>
#include <string>

using zfan::Endpoints;
using zfan::MakeBindEndpoints;
using zfan::ParseEndpoint;

namespace {

Endpoints Parsed(const std::string& text) {
  auto r = ParseEndpoint(text);
  INFO("ParseEndpoint(\"" << text << "\"): " << r.status().message());
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("a tcp endpoint names the tasks port and the next two", "[endpoint]") {
  Endpoints ep = Parsed("tcp://host:6000");
  CHECK(ep.host == "host");
  CHECK(ep.base_port == 6000);
  CHECK(ep.tasks() == "tcp://host:6000");
  CHECK(ep.results() == "tcp://host:6001");
  CHECK(ep.control() == "tcp://host:6002");
}

TEST_CASE("an endpoint without a scheme is taken as tcp", "[endpoint]") {
  Endpoints ep = Parsed("10.0.0.5:7100");
  CHECK(ep.host == "10.0.0.5");
  CHECK(ep.tasks() == "tcp://10.0.0.5:7100");
  CHECK(ep.control() == "tcp://10.0.0.5:7102");
}

TEST_CASE("a bare host uses port 5557", "[endpoint]") {
  Endpoints ep = Parsed("host");
  CHECK(ep.host == "host");
  CHECK(ep.base_port == 5557);
  CHECK(ep.tasks() == "tcp://host:5557");
  CHECK(ep.results() == "tcp://host:5558");
  CHECK(ep.control() == "tcp://host:5559");
  CHECK(Parsed("tcp://host").base_port == 5557);
}

TEST_CASE("a bracketed IPv6 address keeps its brackets in the URLs", "[endpoint]") {
  Endpoints ep = Parsed("[::1]:7000");
  CHECK(ep.host == "::1");
  CHECK(ep.base_port == 7000);
  CHECK(ep.tasks() == "tcp://[::1]:7000");
  CHECK(ep.results() == "tcp://[::1]:7001");
  CHECK(ep.control() == "tcp://[::1]:7002");
  Endpoints with_scheme = Parsed("tcp://[fe80::1]:6000");
  CHECK(with_scheme.host == "fe80::1");
  CHECK(Parsed("[::1]").base_port == 5557);
}

TEST_CASE("the highest usable port leaves room for the two that follow it", "[endpoint]") {
  CHECK(Parsed("h:1").base_port == 1);
  Endpoints ep = Parsed("h:65533");
  CHECK(ep.control() == "tcp://h:65535");
  CHECK_FALSE(ParseEndpoint("h:65534").ok());
  CHECK_FALSE(ParseEndpoint("h:65535").ok());
}

TEST_CASE("malformed endpoints are rejected with a usage error", "[endpoint]") {
  for (const char* text :
       {"udp://x:1", "ipc://x", "tcp://:5557", ":5557", "", "tcp://", "host:0", "tcp://host:70000",
        "tcp://host:abc", "host:-1", "host:12ab", "host: 80", "[::1", "tcp://[]:5557"}) {
    auto r = ParseEndpoint(text);
    INFO("text: '" << text << "'");
    CHECK_FALSE(r.ok());
    if (!r.ok()) {
      CHECK(r.status().code() == zfan::ErrorCode::kUsage);
      CHECK_FALSE(r.status().message().empty());
    }
  }
}

TEST_CASE("bind endpoints use the given address, or loopback when empty", "[endpoint]") {
  auto any = MakeBindEndpoints("*", 6000);
  REQUIRE(any.ok());
  CHECK(any->tasks() == "tcp://*:6000");
  CHECK(any->control() == "tcp://*:6002");
  auto loopback = MakeBindEndpoints("", 5557);
  REQUIRE(loopback.ok());
  CHECK(loopback->host == "127.0.0.1");
  CHECK_FALSE(MakeBindEndpoints("*", 0).ok());
  CHECK_FALSE(MakeBindEndpoints("*", 70000).ok());
  CHECK_FALSE(MakeBindEndpoints("*", -5).ok());
}

TEST_CASE("bind addresses are taken as labs write them", "[endpoint]") {
  auto v6 = MakeBindEndpoints("::1", 5557);
  REQUIRE(v6.ok());
  CHECK(v6->tasks() == "tcp://[::1]:5557");
  auto bracketed = MakeBindEndpoints("[::1]", 5557);
  REQUIRE(bracketed.ok());
  CHECK(bracketed->host == "::1");
  auto any6 = MakeBindEndpoints("::", 5557);
  REQUIRE(any6.ok());
  CHECK(any6->tasks() == "tcp://[::]:5557");
  auto name = MakeBindEndpoints("localhost", 5557);
  REQUIRE(name.ok());
  CHECK((name->host == "127.0.0.1" || name->host == "::1"));
  auto iface = MakeBindEndpoints("lo", 5557);
  REQUIRE(iface.ok());
  CHECK(iface->host == "127.0.0.1");
  auto nowhere = MakeBindEndpoints("no-such-host.invalid", 5557);
  REQUIRE_FALSE(nowhere.ok());
  CHECK(nowhere.status().code() == zfan::ErrorCode::kUsage);
}

TEST_CASE("only loopback binds count as loopback", "[endpoint]") {
  CHECK(zfan::IsLoopbackBind("127.0.0.1"));
  CHECK(zfan::IsLoopbackBind("127.3.2.1"));
  CHECK(zfan::IsLoopbackBind("::1"));
  CHECK(zfan::IsLoopbackBind("[::1]"));
  CHECK(zfan::IsLoopbackBind("localhost"));
  CHECK(zfan::IsLoopbackBind("lo"));
  CHECK_FALSE(zfan::IsLoopbackBind("0.0.0.0"));
  CHECK_FALSE(zfan::IsLoopbackBind("*"));
  CHECK_FALSE(zfan::IsLoopbackBind("::"));
  CHECK_FALSE(zfan::IsLoopbackBind("10.1.2.3"));
  CHECK(zfan::IsWildcardBind("0.0.0.0"));
  CHECK(zfan::IsWildcardBind("[::]"));
  CHECK_FALSE(zfan::IsWildcardBind("127.0.0.1"));
}
