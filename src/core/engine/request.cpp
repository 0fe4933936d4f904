#include "core/engine/request.h"

namespace wasi_nn {
namespace {
double ms_between(Clock::time_point a, Clock::time_point b) {
  if (a.time_since_epoch().count() == 0 || b.time_since_epoch().count() == 0) return 0;
  return std::chrono::duration<double, std::milli>(b - a).count();
}
}  // namespace

Request::~Request() {
  if (sampler) common_sampler_free(sampler);
}

void Request::cancel(ErrorKind why, std::string message) {
  {
    MutexLock lock(mu_);
    if (cancelled_) return;  // the first reason wins
    cancel_kind_ = why;
    cancel_message_ = message.empty()
                          ? "the request was cancelled (its context was closed or its backend deinitialised)"
                          : std::move(message);
  }
  cancelled_ = true;
}

Error Request::cancel_error() const {
  MutexLock lock(mu_);
  return Error(cancel_kind_, cancel_message_);
}

bool Request::wait_until(Clock::time_point deadline) {
  MutexLock lock(mu_);
  while (!done_) {
    if (!cv_.wait_until(mu_, deadline)) return done_;
  }
  return true;
}

const RequestResult& Request::wait() {
  MutexLock lock(mu_);
  while (!done_) cv_.wait(mu_);
  return result_;
}

void Request::publish_progress() {
  generated_ = result_.n_generated;
  const size_t safe = stop.safe_length();
  {
    MutexLock lock(mu_);
    if (safe <= released_.size()) return;
    released_.append(stop.text(), released_.size(), safe - released_.size());
  }
  cv_.notify_all();
}

bool Request::stream_paused() const { return streaming && generated_.load() - taken_.load() >= tenant.stream_ahead; }

bool Request::stream_abandoned(Clock::time_point now) const {
  if (!streaming || tenant.stream_idle_ms == 0 || !stream_paused()) return false;
  const int64_t taken_at = taken_at_ns_.load();
  const int64_t since = taken_at ? taken_at : t_submit.time_since_epoch().count();
  return now.time_since_epoch().count() - since > static_cast<int64_t>(tenant.stream_idle_ms) * 1000000;
}

void Request::take_stream() {
  taken_ = generated_.load();
  taken_at_ns_ = Clock::now().time_since_epoch().count();
}

std::string Request::wait_text(size_t seen, Clock::time_point deadline, bool* done) {
  MutexLock lock(mu_);
  while (!done_ && released_.size() <= seen) {
    if (!cv_.wait_until(mu_, deadline)) break;
  }
  *done = done_;
  const std::string& text = done_ && !result_.error ? result_.text : released_;
  return seen < text.size() ? text.substr(seen) : std::string();
}

void Request::finish(std::string stop_reason) {
  const auto now = Clock::now();
  result_.stop_reason = std::move(stop_reason);
  result_.text = stop.text();
  if (stop.stopped()) result_.stop_word = stop.matched();
  result_.queue_ms = ms_between(t_submit, t_admit);
  result_.prompt_ms = ms_between(t_admit, t_first.time_since_epoch().count() ? t_first : now);
  result_.generate_ms = ms_between(t_first, now);
  publish();
}

void Request::fail(Error error) {
  result_.error = std::move(error);
  publish();
}

void Request::publish() {
  {
    MutexLock lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
}

}  // namespace wasi_nn
