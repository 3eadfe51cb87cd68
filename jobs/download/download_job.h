// The `download` job: fetch an Imgur link list (or read one), download every image on the
// workers, and write each file once, atomically, under --out.
#pragma once
#include "jobs/registry.h"

namespace zfan::jobs {
JobEntry DownloadJobEntry();
}
