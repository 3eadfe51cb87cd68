// Worker side of the download job: a curl multi Fetcher per job, plus a small thread pool that
// makes thumbnails so image decoding never stalls the transfer loop.
#pragma once
#include <nlohmann/json.hpp>

#include "jobs/job.h"

namespace zfan::download {

Result<std::unique_ptr<jobs::TaskRunner>> MakeDownloadRunner(const nlohmann::json& params,
                                                             uint32_t slots,
                                                             jobs::CompletionSink sink);

}  // namespace zfan::download
