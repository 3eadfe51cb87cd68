// Master side of the download job. prepare() gets the link list, opens --out, recognises files an
// earlier run already wrote (from the journal in --out) and names every URL's file up front, in
// list order, so names are deterministic. fold() re-checks what a worker sent and writes it.
#include "jobs/download/download_job.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <utility>

#include "common/atomic_file.h"
#include "common/journal_line.h"
#include "common/work_pool.h"
#include "common/xxh128.h"
#include "jobs/download/download_runner.h"
#include "jobs/download/file_name.h"
#include "jobs/download/image_check.h"
#include "jobs/download/imgur_client.h"
#include "jobs/download/link_list.h"
#include "jobs/download/streamed_files.h"
#include "jobs/download/thumbnail.h"

namespace zfan::jobs {
namespace {

constexpr const char* kJournalName = ".zfan-journal";
constexpr const char* kThumbDir = "thumbnails";
constexpr uint32_t kTransfersPerWorker = 16;
constexpr int kWriterThreads = 8;
constexpr int kStreamWriterThreads = 4;
constexpr size_t kNoAlbum = SIZE_MAX;
constexpr const char* kAlbumError = "ALBUM_ERROR";

struct DownloadOptions {
  std::string source;  // "gallery[:SECTION[:SORT[:WINDOW]]]"
  int pages = 1;
  std::string album;
  std::string links;
  std::string api_base = "https://api.imgur.com";
  std::string out = "images";
  uint64_t max_bytes = 50ull << 20;
  uint64_t worker_buffer_bytes = 64ull << 20;
  uint32_t per_host = 16;
  double timeout_s = 60;
  double connect_timeout_s = 5;
  uint32_t retries = 3;
  int thumbnails = 0;
  std::string albums = "download";  // gallery albums: "download" their images, or "skip" them
  bool flat = false;                // album images straight into --out, not OUT/ALBUM_ID/
};

// Where an album's images go: OUT/<dir>/, a name made from the album id like a file name is
// from a URL, and unique in --out. Its own namer: names only need to be distinct per directory.
struct AlbumDir {
  std::string dir;
  UniqueFd fd{-1};
  download::UniqueNamer namer;
};

// A file an earlier run wrote, as its journal line says.
struct PreviousFile {
  std::string file;
  std::string xxh128;
  std::string result;
};

// An image may be in two albums: a record is found by its URL and the directory it went to.
std::string PreviousKey(const std::string& url, const std::string& dir) { return url + '\n' + dir; }

// Reads the url -> file records of an earlier run's journal in --out. Malformed lines are ignored:
// a record only lets us skip a download after the file on disk is checked against its hash.
std::map<std::string, PreviousFile> ReadPreviousRun(const std::string& path) {
  std::map<std::string, PreviousFile> previous;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto entry = ParseJournalLine(line);
    if (!entry) continue;
    auto r = nlohmann::json::parse(entry->result, nullptr, false);
    if (!r.is_object() || !r.contains("url") || !r.contains("file") || !r.contains("xxh128")) {
      continue;
    }
    if (!r["url"].is_string() || !r["file"].is_string() || !r["xxh128"].is_string()) continue;
    const std::string file = r["file"];
    const size_t slash = file.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : file.substr(0, slash);
    previous[PreviousKey(r["url"], dir)] = {file, r["xxh128"], entry->result};
  }
  return previous;
}

// INCOMPLETE_BODY: pieces of a streamed body went missing (the worker's connection was renewed
// mid-body); another attempt streams it again.
bool RetryableReason(const std::string& reason) {
  return reason == "TIMEOUT" || reason == "CONNECT" || reason == "HTTP_429" ||
         reason == "INCOMPLETE_BODY" || reason.rfind("HTTP_5", 0) == 0;
}

class DownloadJob final : public MasterJob {
 public:
  explicit DownloadJob(DownloadOptions o) : opt_(std::move(o)) {}

  std::string name() const override { return "download"; }
  std::string task_noun() const override { return "url"; }
  uint32_t local_worker_slots() const override { return 0; }
  std::string default_journal() const override { return opt_.out + "/" + kJournalName; }
  bool retryable(const std::string& reason) const override { return RetryableReason(reason); }

  nlohmann::json worker_params() const override {
    return {{"max_bytes", opt_.max_bytes},
            {"per_host", opt_.per_host},
            {"timeout_ms", static_cast<long>(opt_.timeout_s * 1000)},
            {"connect_timeout_ms", static_cast<long>(opt_.connect_timeout_s * 1000)},
            {"retries", opt_.retries},
            {"thumbnails", opt_.thumbnails},
            {"worker_buffer_bytes", opt_.worker_buffer_bytes}};
  }

  std::string fingerprint() const override {
    std::string all;
    for (size_t i = 0; i < urls_.size(); ++i) {
      if (album_of_[i] != kNoAlbum) all += album_ids_[album_of_[i]] + '/';
      all += urls_[i] + '\n';
    }
    return "download urls=" + Xxh128Hex(all);
  }

  Status prepare() override {
    if (Status s = LoadLinks(); !s.ok()) return s;
    auto dir = OpenOutputDir(opt_.out);
    if (!dir.ok()) return dir.status();
    dir_ = std::move(dir).value();
    if (auto stale = RemoveStaleTempFiles(dir_.get()); stale.ok() && *stale > 0) {
      spdlog::info("removed {} temp files left by an interrupted run", *stale);
    }
    if (opt_.thumbnails > 0) {
      auto thumbs = OpenOutputDir(opt_.out + "/" + kThumbDir);
      if (!thumbs.ok()) return thumbs.status();
      thumb_dir_ = std::move(thumbs).value();
      namer_.Reserve(kThumbDir);
    }
    namer_.Reserve(kJournalName);
    if (Status s = OpenAlbumDirs(); !s.ok()) return s;
    AssignNames(ReadPreviousRun(default_journal()));
    writers_ = std::make_unique<WorkPool<TaskOutcome>>(
        kWriterThreads, [this](TaskOutcome& o) { Report(WriteOutcomeFiles(o)); });
    streams_ = std::make_unique<download::StreamedFiles>(
        kStreamWriterThreads, [this](TaskOutcome& o, Result<download::StreamedFiles::Body*> body) {
          Report(body.ok() ? PublishStreamed(o, **body) : FoldDone{o.id, body.status(), ""});
        });
    return Status::Ok();
  }

  uint64_t task_count() const override { return urls_.size(); }
  TaskSpec make_task(uint64_t index) const override {
    return {.id = index, .payload = urls_[index]};
  }
  std::string describe(TaskId id) const override { return id < urls_.size() ? urls_[id] : "?"; }
  std::string joblog_note_heading() const override { return "file"; }
  std::string joblog_note(TaskId id) const override {
    std::lock_guard lock(mu_);
    return id < names_.size() ? RelativePath(id) : "";
  }
  std::vector<std::pair<TaskId, std::string>> done_before_start() const override {
    return already_done_;
  }
  std::vector<Rejected> rejected_inputs() const override { return rejected_; }

  // Live results are checked here and written by the writer threads (fsync per file is the slow
  // part of the whole job; several in flight let the file system batch them).
  bool folds_later() const override { return true; }

  Status fold(TaskOutcome& o, bool from_journal) override {
    if (o.id >= urls_.size()) return ProtocolError("no such task");
    if (from_journal) return FoldJournaled(o);
    if (o.streamed_bytes > 0) return FoldStreamed(o);
    streams_->Drop(o.worker, o.id);  // an earlier attempt's pieces, if a retry came whole
    if (o.bulk.size() > opt_.max_bytes)
      return ProtocolError("TOO_LARGE: worker sent more than --max-bytes");
    if (!download::DetectImageType(o.bulk))
      return ProtocolError("BAD_TYPE: not a JPEG, PNG or GIF");
    {
      std::lock_guard lock(mu_);
      ++writes_in_progress_;
    }
    writers_->Push(std::move(o));
    return Status::Ok();
  }

  std::vector<FoldDone> poll_folds() override {
    std::lock_guard lock(mu_);
    return std::exchange(folded_, {});
  }

  void wait_folds() override {
    std::unique_lock lock(mu_);
    idle_cv_.wait(lock, [this] { return writes_in_progress_ == 0; });
  }

  // Large bodies come in pieces, written as they arrive (see StreamedFiles).
  Status accept_piece(const std::string& worker, BodyPiece piece) override {
    if (piece.id >= urls_.size()) return ProtocolError("no such task");
    std::string name;
    {
      std::lock_guard lock(mu_);
      name = RelativePath(piece.id);
    }
    const int dir_fd = DirFd(piece.id);
    return streams_->Append(worker, std::move(piece), dir_fd, name, opt_.max_bytes);
  }
  void drop_stream(const std::string& worker, TaskId id) override { streams_->Drop(worker, id); }
  void drop_streams_of(const std::string& worker) override { streams_->DropWorker(worker); }
  uint64_t poll_piece_bytes_released() override { return streams_ ? streams_->TakeReleased() : 0; }

  ~DownloadJob() override {  // joins before the members they use go
    writers_.reset();
    streams_.reset();
  }

  void failed(TaskId, const TaskOutcome&) override { ++failed_; }

  nlohmann::json result_json() const override {
    nlohmann::json skipped_types = skipped_by_type_;
    return {{"out", opt_.out},
            {"urls", urls_.size()},
            {"files", files_},
            {"bytes", bytes_},
            {"already_done", already_done_.size()},
            {"identical_existing", identical_existing_},
            {"renamed", renamed_},
            {"renamed_by_type", renamed_by_type_},
            {"failed", failed_},
            {"rejected", rejected_.size()},
            {"duplicates_in_list", duplicates_in_list_},
            {"skipped_not_image", skipped_not_image_},
            {"skipped_by_type", skipped_types},
            {"thumbnail_failures", thumb_failures_},
            {"streamed_files", streamed_files_},
            {"albums", albums_},
            {"album_images", album_images_},
            {"albums_failed", albums_failed_}};
  }

  void print_result(std::ostream& out) const override {
    out << "downloaded " << files_ << " files (" << bytes_ << " bytes) to " << opt_.out << "/";
    if (!already_done_.empty()) out << "; " << already_done_.size() << " were already there";
    if (failed_ + rejected_.size()) out << "; " << failed_ + rejected_.size() << " failed";
    if (duplicates_in_list_) out << "; " << duplicates_in_list_ << " duplicate links fetched once";
    if (skipped_not_image_) out << "; " << skipped_not_image_ << " non-image items skipped";
    if (albums_) out << "; " << albums_ << " albums (" << album_images_ << " images)";
    if (renamed_by_type_) out << "; " << renamed_by_type_ << " renamed to match their bytes";
    out << "\n";
  }

 private:
  Status LoadLinks() {
    int sources = !opt_.source.empty() + !opt_.album.empty() + !opt_.links.empty();
    if (sources != 1)
      return UsageError("choose one source: --source gallery, --album ID or --links FILE");
    if (!opt_.links.empty()) {
      auto list = download::ReadLinkListFile(opt_.links);
      if (!list.ok()) return list.status();
      urls_ = std::move(list->urls);
      album_of_.assign(urls_.size(), kNoAlbum);
      duplicates_in_list_ = list->duplicates;
      for (const auto& r : list->rejected) {
        rejected_.push_back(
            {r.text_prefix, "BAD_URL", "line " + std::to_string(r.line) + ": " + r.reason});
      }
      return Status::Ok();
    }
    download::ImgurApi api{.base = opt_.api_base};
    if (const char* id = std::getenv("IMGUR_CLIENT_ID")) api.client_id = id;
    Result<download::ImgurListing> listing = FetchListing(api);
    if (!listing.ok()) return listing.status();
    urls_ = std::move(listing->links);
    album_of_.assign(urls_.size(), kNoAlbum);
    duplicates_in_list_ = listing->duplicates;
    skipped_not_image_ = listing->skipped_not_image + listing->skipped_no_type;
    skipped_by_type_ = listing->skipped_by_type;
    spdlog::info(
        "Imgur listing: {} images, {} albums; skipped {} non-image items and {} items "
        "without a type",
        urls_.size(), listing->albums.size(), listing->skipped_not_image, listing->skipped_no_type);
    if (opt_.albums == "skip") {
      skipped_not_image_ += listing->albums.size();  // the seeds' behaviour
    } else {
      for (const download::ImgurAlbum& album : listing->albums) AddAlbum(api, album);
    }
    return Status::Ok();
  }

  Result<download::ImgurListing> FetchListing(const download::ImgurApi& api) const {
    if (!opt_.album.empty()) return download::FetchAlbum(api, opt_.album);
    auto spec = download::ParseGallerySource(opt_.source);
    if (!spec.ok()) return spec.status();
    spec->pages = opt_.pages;
    return download::FetchGallery(api, *spec);
  }

  // Adds an album's images as tasks: from the gallery item, or else one GET of the album. An album
  // that cannot be listed is a failed input (ALBUM_ERROR), not the end of the job.
  void AddAlbum(const download::ImgurApi& api, const download::ImgurAlbum& album) {
    std::vector<std::string> links = album.links;
    if (!album.listed) {
      auto fetched = download::FetchAlbum(api, album.id);
      if (!fetched.ok()) {
        ++albums_failed_;
        rejected_.push_back({"https://imgur.com/a/" + download::PrintableExcerpt(album.id, 64),
                             kAlbumError, fetched.status().message()});
        return;
      }
      links = std::move(fetched->links);
      skipped_not_image_ += fetched->skipped_not_image + fetched->skipped_no_type;
      for (const auto& [type, n] : fetched->skipped_by_type) skipped_by_type_[type] += n;
    }
    album_ids_.push_back(album.id);
    for (std::string& link : links) {
      urls_.push_back(std::move(link));
      album_of_.push_back(album_ids_.size() - 1);
    }
    ++albums_;
    album_images_ += links.size();
  }

  // One directory per album, named in listing order before any file so that a re-run names them
  // alike. REQUIRES: the names reserved in --out (journal, thumbnails) are reserved already.
  Status OpenAlbumDirs() {
    if (opt_.flat) return Status::Ok();
    for (const std::string& id : album_ids_) {
      AlbumDir album{.dir = namer_.Claim(download::SafeBaseName(id))};
      auto fd = OpenOutputDir(opt_.out + "/" + album.dir);
      if (!fd.ok()) return fd.status();
      album.fd = std::move(fd).value();
      (void)RemoveStaleTempFiles(album.fd.get());  // a streamed body an interrupted run left
      album_dirs_.push_back(std::move(album));
    }
    return Status::Ok();
  }

  // The album directory task `id` writes into, or nullptr for --out itself.
  const AlbumDir* AlbumDirOf(TaskId id) const {
    return opt_.flat || album_of_[id] == kNoAlbum ? nullptr : &album_dirs_[album_of_[id]];
  }
  std::string DirOf(TaskId id) const {
    const AlbumDir* album = AlbumDirOf(id);
    return album ? album->dir : "";
  }
  std::string DirPrefix(TaskId id) const {
    const AlbumDir* album = AlbumDirOf(id);
    return album ? album->dir + "/" : "";
  }
  int DirFd(TaskId id) const {
    const AlbumDir* album = AlbumDirOf(id);
    return album ? album->fd.get() : dir_.get();
  }
  // REQUIRES: mu_ held, or no writer thread running.
  download::UniqueNamer& NamerOf(TaskId id) {
    return AlbumDirOf(id) ? album_dirs_[album_of_[id]].namer : namer_;
  }
  // The file's path under --out ("a.jpg", "ALBUM/a.jpg"), as the journal and joblog record it.
  // REQUIRES: mu_ held, or no writer thread running.
  std::string RelativePath(TaskId id) const { return DirPrefix(id) + names_[id]; }

  // Files verified on disk keep their names (and are skipped); the rest are named in list order.
  void AssignNames(const std::map<std::string, PreviousFile>& previous) {
    names_.assign(urls_.size(), "");
    for (size_t i = 0; i < urls_.size(); ++i) {
      auto it = previous.find(PreviousKey(urls_[i], DirOf(i)));
      if (it == previous.end()) continue;
      // The key holds the directory, so the file is DirPrefix(i) + one name; that name is checked.
      const std::string leaf = it->second.file.substr(DirPrefix(i).size());
      if (!IsSafeFileName(leaf)) continue;
      auto hash = Xxh128HexOfFile(opt_.out + "/" + it->second.file);
      if (!hash.ok() || *hash != it->second.xxh128) continue;
      names_[i] = leaf;
      NamerOf(i).Reserve(leaf);
      already_done_.push_back({i, it->second.result});
    }
    for (size_t i = 0; i < urls_.size(); ++i) {
      if (names_[i].empty()) names_[i] = NamerOf(i).Claim(download::SafeBaseName(urls_[i]));
    }
  }

  // Writes (by `write_as`) under the task's name; if a different file already has it, takes the
  // next free name. Writer thread.
  using WriteAs = std::function<Result<WriteOutcome>(const std::string& name)>;
  Result<std::string> WriteUnique(TaskId id, const std::string& hash, const WriteAs& write_as) {
    std::string name;
    {
      std::lock_guard lock(mu_);
      name = names_[id];
    }
    for (int tries = 0; tries < 1000; ++tries) {
      auto w = write_as(name);
      if (!w.ok()) return w.status();
      if (*w == WriteOutcome::kWritten) break;
      auto existing = Xxh128HexOfFile(opt_.out + "/" + DirPrefix(id) + name);
      std::lock_guard lock(mu_);
      if (existing.ok() && *existing == hash) {
        ++identical_existing_;
        break;
      }
      name = NamerOf(id).Claim(names_[id]);
      ++renamed_;
    }
    std::lock_guard lock(mu_);
    names_[id] = name;
    return name;
  }

  // A PNG served under a .jpg name is saved as .png (the rule users know from gallery-dl). Only
  // now are the bytes known, so the name chosen up front may change here. Writer thread.
  void NameByBytes(TaskId id, std::string_view bytes) {
    const std::string type = download::DetectImageType(bytes).value_or("");
    std::lock_guard lock(mu_);
    std::string agreeing = download::NameAgreeingWithType(names_[id], type);
    if (agreeing == names_[id]) return;
    names_[id] = NamerOf(id).Claim(std::move(agreeing));
    ++renamed_by_type_;
  }

  void WriteThumbnail(const std::string& file, std::string_view png) {
    std::string stem = file.substr(0, file.rfind('.'));
    auto w = WriteFileAtomically(thumb_dir_.get(), stem + ".png", png);
    if (!w.ok()) {
      spdlog::warn("thumbnail of {}: {}", file, w.status().message());
      std::lock_guard lock(mu_);
      ++thumb_failures_;
    }
  }

  void Report(FoldDone done) {
    std::lock_guard lock(mu_);
    folded_.push_back(std::move(done));
    if (--writes_in_progress_ == 0) idle_cv_.notify_all();
  }

  // Writer thread: a body that came whole, to disk.
  FoldDone WriteOutcomeFiles(const TaskOutcome& o) {
    return Publish(o, o.bulk, o.bulk.size(), Xxh128Hex(o.bulk), [&](const std::string& name) {
      return WriteFileAtomically(DirFd(o.id), name, o.bulk);
    });
  }

  // Writer thread: a streamed body, already in its temp file, gets its name.
  FoldDone PublishStreamed(TaskOutcome& o, download::StreamedFiles::Body& body) {
    return Publish(o, body.head, body.size, body.hash.Hex(),
                   [&](const std::string& name) { return body.file->Publish(name); });
  }

  // The thumbnail of a file written from pieces, made from the file mapped into memory: the
  // page cache holds the only copy of the image.
  Result<std::string> ThumbnailOfFile(const std::string& path) const {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat info;
    if (!fd.valid() || ::fstat(fd.get(), &info) != 0 || info.st_size == 0) {
      return IoError("cannot read " + path);
    }
    const auto size = static_cast<size_t>(info.st_size);
    void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (mapped == MAP_FAILED) return IoError("cannot map " + path);
    auto thumb = download::MakeThumbnail(std::string_view(static_cast<const char*>(mapped), size),
                                         opt_.thumbnails);
    ::munmap(mapped, size);
    return thumb;
  }

  // Writer thread: names the file by the type its first bytes show, writes it under a free name
  // (`write_as`), writes its thumbnail, and returns the result to journal.
  FoldDone Publish(const TaskOutcome& o, std::string_view head, uint64_t size,
                   const std::string& hash, const WriteAs& write_as) {
    NameByBytes(o.id, head);
    auto written = WriteUnique(o.id, hash, write_as);
    if (!written.ok()) return {o.id, written.status(), ""};
    auto r = nlohmann::json::parse(o.result, nullptr, false);
    if (!r.is_object()) r = nlohmann::json::object();
    // Thumbnails stay in one flat directory; an album's carry its directory in their name.
    std::string thumb_name = DirOf(o.id).empty() ? *written : DirOf(o.id) + "-" + *written;
    if (!o.bulk2.empty()) {
      WriteThumbnail(thumb_name, o.bulk2);
    } else if (opt_.thumbnails > 0 && o.streamed_bytes > 0) {
      auto thumb = ThumbnailOfFile(opt_.out + "/" + DirPrefix(o.id) + *written);
      if (thumb.ok()) {
        WriteThumbnail(thumb_name, *thumb);
      } else {
        r["thumb_error"] = "BAD_IMAGE";
      }
    }
    r["url"] = urls_[o.id];
    r["file"] = DirPrefix(o.id) + *written;
    r["xxh128"] = hash;
    r["bytes"] = size;
    std::lock_guard lock(mu_);
    if (r.contains("thumb_error")) ++thumb_failures_;
    ++files_;
    bytes_ += size;
    if (o.streamed_bytes > 0) ++streamed_files_;
    return {o.id, Status::Ok(), r.dump()};
  }

  // A body that came in pieces: checked here, published by its writer thread.
  Status FoldStreamed(TaskOutcome& o) {
    if (o.streamed_bytes > opt_.max_bytes) {
      streams_->Drop(o.worker, o.id);
      return ProtocolError("TOO_LARGE: worker streamed more than --max-bytes");
    }
    {
      std::lock_guard lock(mu_);
      ++writes_in_progress_;
    }
    Status finishing = streams_->Finish(std::move(o));
    if (!finishing.ok()) {
      std::lock_guard lock(mu_);
      if (--writes_in_progress_ == 0) idle_cv_.notify_all();
    }
    return finishing;
  }

  Status FoldJournaled(const TaskOutcome& o) {
    auto r = nlohmann::json::parse(o.result, nullptr, false);
    if (!r.is_object() || !r.contains("bytes") || !r["bytes"].is_number_unsigned()) {
      return ProtocolError("journal entry without bytes");
    }
    if (r.contains("file") && r["file"].is_string()) {
      const std::string file = r["file"];
      names_[o.id] = file.substr(file.rfind('/') + 1);  // npos + 1 == 0: the whole name
    }
    ++files_;
    bytes_ += r["bytes"].get<uint64_t>();
    return Status::Ok();
  }

  DownloadOptions opt_;
  std::vector<std::string> urls_;       // fixed after prepare(): read by writers without the lock
  std::vector<size_t> album_of_;        // per task: index into album_ids_, or kNoAlbum; fixed too
  std::vector<std::string> album_ids_;  // as the API sent them
  std::vector<AlbumDir> album_dirs_;    // parallel to album_ids_ (empty with --flat)
  mutable std::mutex mu_;  // guards what the writer threads share with the loop (below)
  std::vector<std::string> names_;
  download::UniqueNamer namer_;
  std::vector<FoldDone> folded_;
  size_t writes_in_progress_ = 0;
  std::condition_variable idle_cv_;
  std::unique_ptr<WorkPool<TaskOutcome>> writers_;
  std::unique_ptr<download::StreamedFiles> streams_;
  UniqueFd dir_{-1};
  UniqueFd thumb_dir_{-1};
  std::vector<std::pair<TaskId, std::string>> already_done_;
  std::vector<Rejected> rejected_;
  std::map<std::string, size_t> skipped_by_type_;
  size_t duplicates_in_list_ = 0, skipped_not_image_ = 0;
  uint64_t files_ = 0, bytes_ = 0, failed_ = 0, identical_existing_ = 0, renamed_ = 0,
           renamed_by_type_ = 0, thumb_failures_ = 0, streamed_files_ = 0, albums_ = 0,
           album_images_ = 0, albums_failed_ = 0;
};

MasterJobFactory AddDownloadCli(CLI::App& cmd) {
  auto o = std::make_shared<DownloadOptions>();
  cmd.add_option("--source", o->source,
                 "gallery[:SECTION[:SORT[:WINDOW]]]: an Imgur gallery (default: random)")
      ->check([](const std::string& text) {
        auto spec = download::ParseGallerySource(text);
        return spec.ok() ? std::string() : spec.status().message();
      });
  cmd.add_option("--pages", o->pages, "gallery pages to read (0, 1, ...)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd.add_option("--albums", o->albums, "gallery albums: download their images, or skip them")
      ->check(CLI::IsMember({"download", "skip"}))
      ->capture_default_str();
  cmd.add_flag("--flat", o->flat, "album images straight into --out, not OUT/ALBUM_ID/");
  cmd.add_option("--album", o->album, "an Imgur album id");
  cmd.add_option("--links", o->links, "a file with one URL per line (# comments)");
  cmd.add_option("--api-base", o->api_base, "Imgur API base URL")->capture_default_str();
  cmd.add_option("--out", o->out, "output directory")->capture_default_str();
  cmd.add_option("--max-bytes", o->max_bytes, "largest image accepted (50M, 4G, ...)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd.add_option("--worker-buffer-bytes", o->worker_buffer_bytes,
                 "body bytes a worker holds for the master at most; transfers pause beyond it")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1} << 20, UINT64_MAX))
      ->capture_default_str();
  cmd.add_option("--per-host", o->per_host, "connections per host, per worker")
      ->capture_default_str();
  cmd.add_option("--timeout", o->timeout_s, "seconds per attempt")->capture_default_str();
  cmd.add_option("--connect-timeout", o->connect_timeout_s, "seconds to connect")
      ->capture_default_str();
  cmd.add_option("--retries", o->retries, "retries of timeouts, 5xx and 429 on a worker")
      ->capture_default_str();
  cmd.add_option("--thumbnails", o->thumbnails, "also write SIZE x SIZE thumbnails")
      ->check(CLI::Range(0, 4096));
  return [o]() -> Result<std::unique_ptr<MasterJob>> {
    if (o->max_bytes == 0) return UsageError("--max-bytes must be at least 1");
    if (o->timeout_s <= 0 || o->connect_timeout_s <= 0)
      return UsageError("timeouts must be positive");
    return std::unique_ptr<MasterJob>(std::make_unique<DownloadJob>(*o));
  };
}

}  // namespace

JobEntry DownloadJobEntry() {
  return {
      .name = "download",
      .help = "download the images of an Imgur gallery/album or a link list",
      .add_cli = AddDownloadCli,
      .make_runner = download::MakeDownloadRunner,
      .auto_slots = [](uint32_t) { return kTransfersPerWorker; },
  };
}

}  // namespace zfan::jobs
