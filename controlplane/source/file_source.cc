#include "controlplane/source/file_source.h"

#include <sys/stat.h>

#include <filesystem>
#include <set>

namespace portico::controlplane {
namespace {

ino_t InodeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

void FreeHandle(uv_handle_t* handle) {
  if (handle->type == UV_TIMER) {
    delete reinterpret_cast<uv_timer_t*>(handle);
  } else {
    delete reinterpret_cast<uv_fs_event_t*>(handle);
  }
}

}  // namespace

FileSource::FileSource(uv_loop_t* loop, FileSourceOptions options, ChangeCallback on_change,
                       ErrorCallback on_error)
    : loop_(loop),
      options_(std::move(options)),
      on_change_(std::move(on_change)),
      on_error_(std::move(on_error)) {}

FileSource::~FileSource() { Close(); }

std::string FileSource::Start() {
  std::error_code ec;
  std::filesystem::path root = std::filesystem::absolute(options_.root, ec);
  if (ec || !std::filesystem::is_directory(root, ec)) {
    return "source directory " + options_.root + ": " +
           (ec ? ec.message() : std::string("not a directory"));
  }
  options_.root = root.lexically_normal().string();
  if (options_.root.size() > 1 && options_.root.back() == '/') options_.root.pop_back();
  root = options_.root;
  root_name_ = root.filename().string();
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  if (std::string e = AddWatch(options_.root, InodeOf(options_.root)); !e.empty()) return e;
  parent_watch_.handle = new uv_fs_event_t;
  uv_fs_event_init(loop_, parent_watch_.handle);
  parent_watch_.handle->data = this;
  // Without the parent watch the controller would be blind to a root that is
  // deleted and re-created; failing to set it is not fatal.
  uv_fs_event_start(parent_watch_.handle, &OnFsEvent, root.parent_path().c_str(), 0);
  uv_timer_start(timer_, &OnTimer, 0, 0);
  return "";
}

void FileSource::Close() {
  for (auto& [path, watch] : watches_) CloseWatch(&watch);
  watches_.clear();
  CloseWatch(&parent_watch_);
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), &FreeHandle);
    timer_ = nullptr;
  }
}

void FileSource::CloseWatch(Watch* watch) {
  if (watch->handle == nullptr) return;
  uv_fs_event_stop(watch->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(watch->handle), &FreeHandle);
  watch->handle = nullptr;
}

std::string FileSource::AddWatch(const std::string& directory, ino_t inode) {
  Watch watch{.handle = new uv_fs_event_t, .inode = inode};
  uv_fs_event_init(loop_, watch.handle);
  watch.handle->data = this;
  int rc = uv_fs_event_start(watch.handle, &OnFsEvent, directory.c_str(), 0);
  if (rc != 0) {
    CloseWatch(&watch);
    return "cannot watch " + directory + ": " + uv_strerror(rc);
  }
  watches_[directory] = watch;
  return "";
}

void FileSource::OnFsEvent(uv_fs_event_t* handle, const char* filename, int, int) {
  auto* self = static_cast<FileSource*>(handle->data);
  if (handle == self->parent_watch_.handle &&
      (filename == nullptr || self->root_name_ != filename)) {
    return;  // a sibling of the root changed
  }
  self->ScheduleRead();
}

void FileSource::ScheduleRead() {
  uint64_t now = uv_now(loop_);
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(timer_)) == 0) {
    pending_since_ = now;
  } else if (now - pending_since_ + options_.debounce_ms > options_.max_delay_ms) {
    return;  // keep the armed deadline rather than postpone it further
  }
  uv_timer_start(timer_, &OnTimer, options_.debounce_ms, 0);
}

void FileSource::OnTimer(uv_timer_t* timer) { static_cast<FileSource*>(timer->data)->ReadNow(); }

void FileSource::ReadNow() {
  ManifestFolder folder = ReadManifestFolder(options_.root, options_.folder);
  UpdateWatches(folder.directories);
  if (!folder.root_error.empty()) {
    if (folder.root_error != last_error_)
      on_error_(folder.root_error + "; keeping the last objects");
    last_error_ = folder.root_error;
    return;
  }
  last_error_.clear();
  if (last_ && last_->SameContent(folder)) return;
  SourceLoad load = ParseManifests(folder, options_.folder);
  last_ = std::move(folder);
  on_change_(std::move(load));
}

// Watches exactly the directories of the last scan; a directory replaced by
// a new one of the same name (new inode) gets a fresh watch.
void FileSource::UpdateWatches(const std::vector<std::string>& directories) {
  std::map<std::string, ino_t> wanted;
  for (const std::string& dir : directories) wanted[dir] = InodeOf(dir);
  for (auto it = watches_.begin(); it != watches_.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || w->second != it->second.inode) {
      CloseWatch(&it->second);
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [dir, inode] : wanted) {
    if (watches_.contains(dir)) continue;
    if (std::string e = AddWatch(dir, inode); !e.empty()) on_error_(e);
  }
}

}  // namespace portico::controlplane
