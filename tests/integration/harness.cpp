#include "tests/integration/harness.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace zfan::testing {

namespace {

// ctest sets the variable (tests/CMakeLists.txt); run by hand, the build tree's layout is used.
std::string BinaryFromEnvOrBuildTree(const char* env, const std::string& relative_to_tests) {
  if (const char* bin = std::getenv(env)) return bin;
  auto tests_dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  auto path = tests_dir / relative_to_tests;
  INFO(env << " is not set and " << path << " does not exist");
  REQUIRE(std::filesystem::exists(path));
  return path.string();
}

}  // namespace

std::string ZfanBin() { return BinaryFromEnvOrBuildTree("ZFAN_BIN", "../cli/zfan"); }

std::string HttpdBin() {
  return BinaryFromEnvOrBuildTree("ZFAN_HTTPD_BIN", "fixtures/zfan-test-httpd");
}

namespace {

bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

int FreePortTriple() {
  static std::mt19937 rng(std::random_device{}());
  // Below the kernel's ephemeral range (32768+ by default): the outgoing connections of tests
  // running in parallel take ports there at any moment, so "free now" would not last.
  std::uniform_int_distribution<int> pick(10000, 32000);
  for (int tries = 0; tries < 1000; ++tries) {
    int p = pick(rng);
    if (PortFree(p) && PortFree(p + 1) && PortFree(p + 2)) return p;
  }
  FAIL("no free port triple found");
  return 0;
}

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "zfan-test-XXXXXX").string();
  REQUIRE(mkdtemp(templ.data()) != nullptr);
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ZfanProcess::ZfanProcess(const std::vector<std::string>& args) {
  std::vector<std::string> argv{ZfanBin()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = ChildProcess::Spawn(argv, {dir_ / "stdout", dir_ / "stderr"});
  REQUIRE(child.ok());
  child_.emplace(std::move(child).value());
}

int ZfanProcess::Wait(milliseconds timeout) {
  auto status = child_->WaitFor(timeout);
  if (!status) {
    child_->Signal(SIGKILL);
    child_->WaitFor(milliseconds(5000));
    FAIL("zfan did not finish within " << timeout.count() << " ms; stderr:\n" << err());
  }
  return *status;
}

nlohmann::json ZfanProcess::json() const {
  auto j = nlohmann::json::parse(out(), nullptr, false);
  INFO("stdout: " << out() << "\nstderr: " << err());
  REQUIRE(j.is_object());
  return j;
}

nlohmann::json RunResult::json() const {
  auto j = nlohmann::json::parse(out, nullptr, false);
  INFO("stdout: " << out << "\nstderr: " << err);
  REQUIRE(j.is_object());
  return j;
}

RunResult RunZfan(const std::vector<std::string>& args, milliseconds timeout) {
  ZfanProcess p(args);
  int code = p.Wait(timeout);
  return {code, p.out(), p.err()};
}

bool WaitUntil(const std::function<bool()>& condition, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return condition();
}

std::string Endpoint(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

uint64_t TasksOf(const nlohmann::json& summary, const std::string& id) {
  for (const auto& w : summary["workers"]) {
    if (w["id"] == id) return w["tasks"].get<uint64_t>();
  }
  return 0;
}

size_t CountLines(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) n += line.find(needle) != std::string::npos;
  return n;
}

std::string Keygen(const TempDir& dir, const std::string& name) {
  auto r = RunZfan({"keygen", "--out", dir / name});
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.size() == 41);  // 40 Z85 characters and a newline
  return r.out.substr(0, 40);
}

void WriteText(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

ZfanProcess KeyedWorker(const TempDir& dir, const std::string& endpoint, const std::string& key,
                        const std::string& id, const std::string& master_key) {
  return ZfanProcess({"worker", endpoint, "--slots", "1", "--id", id, "--heartbeat-ms", "200",
                      "--curve-secret", dir / (key + ".key_secret"), "--master-key",
                      dir / (master_key + ".key")});
}

std::vector<std::string> KeyedMaster(const TempDir& dir, int port, std::vector<std::string> job) {
  std::vector<std::string> args{"master"};
  args.insert(args.end(), job.begin(), job.end());
  args.insert(args.end(),
              {"--port", std::to_string(port), "--curve-secret", dir / "master.key_secret",
               "--authorized-workers", dir / "allowed", "--json", "-q"});
  return args;
}

void StopWorkers(std::initializer_list<ZfanProcess*> workers) {
  for (auto* w : workers) w->Signal(SIGTERM);
  for (auto* w : workers) w->Wait(milliseconds(15000));
}

}  // namespace zfan::testing
