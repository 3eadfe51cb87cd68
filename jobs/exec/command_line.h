// The exec job's command lines: GNU parallel's replacement strings filled in with shell-quoted
// inputs, so that the user's template is shell text and no input is ever more than one word.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace zfan::jobs {

// `s` as one shell word: 'it'\''s'. Any bytes but NUL (which no argv can hold) stay as they are.
std::string ShellQuote(std::string_view s);

// GNU parallel's transformations of an input (its regexes, to behave the same):
std::string WithoutExtension(std::string_view path);  // {.}   s:\.[^/.]*$::
std::string Basename(std::string_view path);          // {/}   s:.*/::
std::string Dirname(std::string_view path);           // {//}  like dirname(1)

// True if `command` holds one of {} {.} {/} {//} {/.} {#} {%}.
bool HasReplacementString(std::string_view command);

// `command` (shell text) with every replacement string replaced by the quoted value; without
// any, the quoted input is appended as the last word, as GNU parallel does. `seq` is the task's
// number from 1, `slot` the worker slot running it from 1.
std::string BuildCommandLine(std::string_view command, std::string_view input, uint64_t seq,
                             uint32_t slot);

// `s` made printable for logs, reports and JSON: control bytes and bytes above 0x7e as \xNN,
// newline as \n, tab as \t.
std::string Printable(std::string_view s);

}  // namespace zfan::jobs
