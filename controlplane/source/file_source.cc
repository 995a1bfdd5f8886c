#include "controlplane/source/file_source.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>

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
    delete reinterpret_cast<uv_poll_t*>(handle);
  }
}

// What a directory watch reports: never IN_MODIFY (a write in progress).
// IN_ATTRIB: a chmod or chown can make a file readable or unreadable; an
// in-place rewrite (truncate, write) does not raise it.
constexpr uint32_t kDirectoryEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                      IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB |
                                      IN_ONLYDIR;
// The root's parent: only the root appearing or vanishing matters.
constexpr uint32_t kParentEvents = IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ONLYDIR;

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
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) return std::string("inotify_init1: ") + std::strerror(errno);
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  poll_ = new uv_poll_t;
  uv_poll_init(loop_, poll_, inotify_fd_);
  poll_->data = this;
  uv_poll_start(poll_, UV_READABLE, &OnInotifyReadable);
  if (std::string e = AddWatch(options_.root, InodeOf(options_.root)); !e.empty()) return e;
  // Without the parent watch the controller would be blind to a root that is
  // deleted and re-created; failing to set it is not fatal.
  parent_watch_.wd = inotify_add_watch(inotify_fd_, root.parent_path().c_str(), kParentEvents);
  uv_timer_start(timer_, &OnTimer, 0, 0);
  return "";
}

void FileSource::Close() {
  watches_.clear();
  watched_dirs_.clear();
  parent_watch_ = Watch{};
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), &FreeHandle);
    poll_ = nullptr;
  }
  if (inotify_fd_ >= 0) {
    ::close(inotify_fd_);  // drops every watch with it
    inotify_fd_ = -1;
  }
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), &FreeHandle);
    timer_ = nullptr;
  }
}

void FileSource::CloseWatch(Watch* watch) {
  if (watch->wd < 0) return;
  // The same descriptor may serve another path of the same directory inode.
  bool shared = false;
  for (const auto& [path, other] : watches_) shared |= &other != watch && other.wd == watch->wd;
  if (!shared && inotify_fd_ >= 0) inotify_rm_watch(inotify_fd_, watch->wd);
  watch->wd = -1;
}

std::string FileSource::AddWatch(const std::string& directory, ino_t inode) {
  int wd = inotify_add_watch(inotify_fd_, directory.c_str(), kDirectoryEvents);
  if (wd < 0) return "cannot watch " + directory + ": " + std::strerror(errno);
  watches_[directory] = Watch{.wd = wd, .inode = inode};
  watched_dirs_[wd] = directory;
  return "";
}

void FileSource::OnInotifyReadable(uv_poll_t* handle, int status, int) {
  auto* self = static_cast<FileSource*>(handle->data);
  if (status < 0) {
    self->ScheduleRead();  // cannot tell what changed: read everything
    return;
  }
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::read(self->inotify_fd_, buf, sizeof buf);
    if (n <= 0) return;  // EAGAIN: all read
    for (ssize_t off = 0; off < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buf + off);
      self->HandleEvent(event->wd, event->mask, event->len > 0 ? event->name : "");
      off += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

void FileSource::HandleEvent(int wd, uint32_t mask, const char* name) {
  if (mask & IN_Q_OVERFLOW) {
    ScheduleRead();  // events were lost: a full read is always right
    return;
  }
  if (mask & IN_IGNORED) {
    // The kernel dropped the watch (its directory is gone). Forget it, so a
    // directory re-created under the same name, even with a recycled inode
    // number, is watched again by the next read.
    if (auto dir = watched_dirs_.find(wd); dir != watched_dirs_.end()) {
      watches_.erase(dir->second);
      watched_dirs_.erase(dir);
      ScheduleRead();
    }
    return;
  }
  if (wd == parent_watch_.wd && watched_dirs_.find(wd) == watched_dirs_.end()) {
    if (root_name_ == name) ScheduleRead();  // else a sibling of the root changed
    return;
  }
  if ((mask & IN_CREATE) && !(mask & IN_ISDIR)) {
    // A new regular file is read when its writer closes it (IN_CLOSE_WRITE);
    // a new symlink is complete at once.
    auto dir = watched_dirs_.find(wd);
    struct stat st {};
    if (dir == watched_dirs_.end() || ::lstat((dir->second + "/" + name).c_str(), &st) != 0 ||
        !S_ISLNK(st.st_mode)) {
      return;
    }
  }
  ScheduleRead();
}

void FileSource::ScheduleRead() {
  uv_update_time(loop_);
  uint64_t now = uv_now(loop_);
  bool quiet = !any_event_ || now - last_event_ms_ >= options_.debounce_ms;
  any_event_ = true;
  last_event_ms_ = now;
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(timer_)) == 0) {
    pending_since_ = now;
    // The first event after a quiet spell is read at once (on the next
    // loop turn, with the rest of its batch): an isolated change costs no
    // debounce. Events that follow it closely are coalesced as below.
    if (quiet) {
      read_due_now_ = true;
      uv_timer_start(timer_, &OnTimer, 0, 0);
      return;
    }
  } else if (read_due_now_) {
    return;  // of the same batch: the read due on the next turn sees it
  } else if (now - pending_since_ + options_.debounce_ms > options_.max_delay_ms) {
    return;  // keep the armed deadline rather than postpone it further
  }
  read_due_now_ = false;
  uv_timer_start(timer_, &OnTimer, options_.debounce_ms, 0);
}

void FileSource::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<FileSource*>(timer->data);
  self->read_due_now_ = false;
  self->ReadNow();
}

void FileSource::ReadNow() {
  ManifestFolder folder =
      ReadManifestFolder(options_.root, options_.folder, last_ ? &*last_ : nullptr);
  UpdateWatches(folder.directories);
  if (!folder.root_error.empty()) {
    if (folder.root_error != last_error_)
      on_error_(folder.root_error + "; keeping the last objects");
    last_error_ = folder.root_error;
    return;
  }
  last_error_.clear();
  if (last_ && last_->SameContent(folder)) {
    last_->settled = std::move(folder.settled);  // this read's stamps, for the same content
    // Once in a row: a writer that keeps touching files without changing
    // them is still debounced.
    if (!last_read_unchanged_) any_event_ = false;
    last_read_unchanged_ = true;
    return;
  }
  last_read_unchanged_ = false;
  const SourceLoad& load = parse_cache_.Parse(folder, options_.folder);
  last_ = std::move(folder);
  on_change_(load);
}

// Watches exactly the directories of the last scan; a directory replaced by
// a new one of the same name (new inode) gets a fresh watch.
void FileSource::UpdateWatches(const std::vector<std::string>& directories) {
  std::map<std::string, ino_t> wanted;
  for (const std::string& dir : directories) wanted[dir] = InodeOf(dir);
  for (auto it = watches_.begin(); it != watches_.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || w->second != it->second.inode) {
      watched_dirs_.erase(it->second.wd);
      CloseWatch(&it->second);
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
  bool added = false;
  for (const auto& [dir, inode] : wanted) {
    if (watches_.contains(dir)) continue;
    if (std::string e = AddWatch(dir, inode); !e.empty()) {
      on_error_(e);
    } else {
      added = true;
    }
  }
  // A file closed in a new directory after the scan listed it but before its
  // watch existed raised no event: read once more (an equal read is dropped).
  if (added) ScheduleRead();
}

}  // namespace portico::controlplane
