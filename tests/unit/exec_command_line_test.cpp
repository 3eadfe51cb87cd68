// The exec job's command lines: GNU parallel's replacement strings, and quoting that delivers
// every input to the command as exactly one argument, whatever bytes it holds.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "jobs/exec/command_line.h"

using namespace zfan::jobs;

namespace {

// Runs `line` with /bin/sh -c and returns what it prints.
std::string ShellOutput(const std::string& line) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

}  // namespace

TEST_CASE("ShellQuote wraps in single quotes and escapes a quote as '\\''") {
  CHECK(ShellQuote("") == "''");
  CHECK(ShellQuote("a b") == "'a b'");
  CHECK(ShellQuote("it's") == "'it'\\''s'");
  CHECK(ShellQuote("$(x)") == "'$(x)'");
}

TEST_CASE("hostile inputs reach the command as exactly one argument each, unchanged") {
  const std::vector<std::string> hostile = {
      "a b",
      "it's",
      "\"double\"",
      "$(touch PWNED)",
      "`touch PWNED`",
      "a; b",
      "*",
      "?",
      "-n",
      "--help",
      "a\nb",
      "\xff\xfe\x80",
      "$HOME",
      "a|b&c>d<e",
      "'",
      "\\",
      "",
      "  lead",
      "{}",
      "!x",
  };
  for (const auto& input : hostile) {
    INFO("input: " << Printable(input));
    // printf prints each of its arguments after the format, NUL-terminated: one argument, one
    // NUL; and no file is created by anything inside the input.
    std::string out = ShellOutput(BuildCommandLine("printf '%s\\0'", input, 1, 1));
    CHECK(out == input + std::string(1, '\0'));
  }
}

TEST_CASE("the input is appended as the last word when the command has no replacement string") {
  CHECK(BuildCommandLine("echo x", "a b", 1, 1) == "echo x 'a b'");
  CHECK_FALSE(HasReplacementString("echo x {1} {a}"));
  CHECK(HasReplacementString("echo {/.}"));
}

TEST_CASE("replacement strings behave as GNU parallel's") {
  const std::string in = "dir/sub/file.tar.gz";
  CHECK(BuildCommandLine("{}", in, 7, 2) == "'dir/sub/file.tar.gz'");
  CHECK(BuildCommandLine("{.}", in, 7, 2) == "'dir/sub/file.tar'");
  CHECK(BuildCommandLine("{/}", in, 7, 2) == "'file.tar.gz'");
  CHECK(BuildCommandLine("{//}", in, 7, 2) == "'dir/sub'");
  CHECK(BuildCommandLine("{/.}", in, 7, 2) == "'file.tar'");
  CHECK(BuildCommandLine("{#}", in, 7, 2) == "7");
  CHECK(BuildCommandLine("{%}", in, 7, 2) == "2");
  CHECK(BuildCommandLine("cp {} {.}.bak #{#}", "a.txt", 3, 1) == "cp 'a.txt' 'a'.bak #3");
}

TEST_CASE("{.} removes only an extension of the last path component") {
  CHECK(WithoutExtension("a.b/c") == "a.b/c");
  CHECK(WithoutExtension("a.b/c.d") == "a.b/c");
  CHECK(WithoutExtension("noext") == "noext");
  CHECK(WithoutExtension("file.") == "file");
  CHECK(WithoutExtension(".bashrc") == "");  // parallel's s:\.[^/.]*$:: does the same
}

TEST_CASE("{/} and {//} split paths as parallel's regex and dirname(1)") {
  CHECK(Basename("a/b/c") == "c");
  CHECK(Basename("c") == "c");
  CHECK(Basename("a/b/") == "");
  CHECK(Dirname("a/b/c") == "a/b");
  CHECK(Dirname("c") == ".");
  CHECK(Dirname("/c") == "/");
  CHECK(Dirname("a//b") == "a");
  CHECK(Dirname("a/b/") == "a");
  CHECK(Dirname("/") == "/");
  CHECK(Dirname("") == ".");
}

TEST_CASE("Printable escapes what a terminal or JSON would not take") {
  CHECK(Printable("a b") == "a b");
  CHECK(Printable("a\nb\t\xff") == "a\\nb\\t\\xff");
}
