// FileSource: watches a folder of manifests (inotify, no polling) and hands
// every changed state of it to a callback. It reacts to a file closed after
// writing, renamed, created as a symlink, deleted or given other permissions,
// and to directories appearing and vanishing, never to a write still in
// progress: a manifest rewritten slowly in place is read once, when the
// writer closes it.
// (libuv's uv_fs_event cannot ask for IN_CLOSE_WRITE, hence a raw inotify
// descriptor under a uv_poll handle.) Everything runs on the libuv loop given
// at construction, callback included; create, use and destroy it on that
// loop's thread.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "controlplane/source/manifest_folder.h"

namespace portico::controlplane {

struct FileSourceOptions {
  std::string root;
  ManifestFolderOptions folder;
  // Quiet time after the last file event before the folder is read again, so
  // an editor's or kubelet's burst of writes is read once. The first event
  // after such a quiet time is read at once, and so is the first event
  // after a read that found nothing changed.
  uint64_t debounce_ms = 20;
  // A steady stream of events cannot postpone a read longer than this.
  uint64_t max_delay_ms = 80;
};

class FileSource {
 public:
  // Called with the whole folder whenever its content changed (and once
  // after Start). Not called when the root directory is unreadable: the
  // previous objects stay in force; `on_error` gets the reason instead.
  // The load is the parse cache's: valid during the call only.
  using ChangeCallback = std::function<void(const SourceLoad& load)>;
  using ErrorCallback = std::function<void(const std::string& error)>;

  FileSource(uv_loop_t* loop, FileSourceOptions options, ChangeCallback on_change,
             ErrorCallback on_error);
  ~FileSource();
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // Checks the root is a readable directory and starts watching; the first
  // read happens on the loop right after. Returns "" or the error.
  std::string Start();
  // Stops watching; no callback runs afterwards. Handles are freed by the
  // loop, so run it once more before uv_loop_close. Safe to call twice.
  void Close();

 private:
  struct Watch {
    int wd = -1;  // inotify watch descriptor
    ino_t inode = 0;
  };

  static void OnInotifyReadable(uv_poll_t* handle, int status, int events);
  void HandleEvent(int wd, uint32_t mask, const char* name);
  static void OnTimer(uv_timer_t* timer);
  void ScheduleRead();
  void ReadNow();
  void UpdateWatches(const std::vector<std::string>& directories);
  std::string AddWatch(const std::string& directory, ino_t inode);
  void CloseWatch(Watch* watch);

  uv_loop_t* loop_;
  FileSourceOptions options_;
  ChangeCallback on_change_;
  ErrorCallback on_error_;
  uv_timer_t* timer_ = nullptr;  // owned; freed in its close callback
  int inotify_fd_ = -1;
  uv_poll_t* poll_ = nullptr;                // owned; freed in its close callback
  uint64_t pending_since_ = 0;               // uv_now of the first event not yet read
  uint64_t last_event_ms_ = 0;               // uv_now of the last event
  bool any_event_ = false;
  bool read_due_now_ = false;  // the armed timer is a leading-edge read (0 ms)
  // The last read found the folder as before: the events that led to it
  // (a temp file written before its rename) changed nothing, so they do
  // not make the next event part of a burst.
  bool last_read_unchanged_ = false;
  std::map<std::string, Watch> watches_;     // by directory path
  std::map<int, std::string> watched_dirs_;  // watch descriptor → directory path
  Watch parent_watch_;                       // sees the root itself vanish and come back
  std::string root_name_;
  std::optional<ManifestFolder> last_;
  ManifestParseCache parse_cache_;
  std::string last_error_;
};

}  // namespace portico::controlplane
