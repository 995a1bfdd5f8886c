// Middleware types that admit, limit or retry traffic.
#include "controlplane/crd/middleware_readers.h"

namespace portico::controlplane::crd {
namespace {

void ReadRedis(CrdReader& r, RedisOptions* out) {
  r.StringList("endpoints", &out->endpoints, Need::kRequired);
  r.String("secret", &out->secret);
  r.Int("db", &out->db, {.min = 0});
  r.Int("poolSize", &out->pool_size, {.min = 0});
  r.Int("minIdleConns", &out->min_idle_conns, {.min = 0});
  r.Int("maxActiveConns", &out->max_active_conns, {.min = 0});
  r.Duration("readTimeout", &out->read_timeout);
  r.Duration("writeTimeout", &out->write_timeout);
  r.Duration("dialTimeout", &out->dial_timeout);
  r.OptionalObject("tls", &out->tls,
                   [](CrdReader& tls, ClientTls* t) { ReadClientTls(tls, t, false); });
  CheckSecretName(r, "secret", out->secret);
  CheckPositive(r, "readTimeout", out->read_timeout);
  CheckPositive(r, "writeTimeout", out->write_timeout);
  CheckPositive(r, "dialTimeout", out->dial_timeout);
}

}  // namespace

void ReadIpAllowList(CrdReader& r, IpAllowList* out) {
  r.StringList("sourceRange", &out->source_range, Need::kRequired);
  r.OptionalObject("ipStrategy", &out->ip_strategy, ReadIpStrategy);
  r.Int("rejectStatusCode", &out->reject_status_code, {.min = 100, .max = 599});
  for (size_t i = 0; i < out->source_range.size(); ++i) {
    if (!IsIpOrCidr(out->source_range[i])) {
      r.Fail(Item("sourceRange", i),
             "must be an IP address or CIDR range, got " + Quoted(out->source_range[i]));
    }
  }
}

void ReadRateLimit(CrdReader& r, RateLimit* out) {
  r.Int("average", &out->average, {.min = 0});
  r.Duration("period", &out->period);
  r.Int("burst", &out->burst, {.min = 0});
  r.OptionalObject("sourceCriterion", &out->source_criterion, ReadSourceCriterion);
  r.OptionalObject("redis", &out->redis, ReadRedis);
  CheckPositive(r, "period", out->period);
}

void ReadInFlightReq(CrdReader& r, InFlightReq* out) {
  r.Int("amount", &out->amount, {.min = 1}, Need::kRequired);
  r.OptionalObject("sourceCriterion", &out->source_criterion, ReadSourceCriterion);
}

void ReadCircuitBreaker(CrdReader& r, CircuitBreaker* out) {
  r.String("expression", &out->expression, Need::kRequired);
  r.Duration("checkPeriod", &out->check_period);
  r.Duration("fallbackDuration", &out->fallback_duration);
  r.Duration("recoveryDuration", &out->recovery_duration);
  r.Int("responseCode", &out->response_code, {.min = 100, .max = 599});
  CheckPositive(r, "checkPeriod", out->check_period);
  CheckPositive(r, "fallbackDuration", out->fallback_duration);
  CheckPositive(r, "recoveryDuration", out->recovery_duration);
}

void ReadRetry(CrdReader& r, Retry* out) {
  std::vector<std::string> status;
  r.Int("attempts", &out->attempts, {.min = 1}, Need::kRequired);
  r.Duration("initialInterval", &out->initial_interval);
  r.Duration("timeout", &out->timeout);
  r.Int("maxRequestBodyBytes", &out->max_request_body_bytes, {.min = -1});
  r.StringList("status", &status);
  r.Bool("disableRetryOnNetworkError", &out->disable_retry_on_network_error);
  r.Bool("retryNonIdempotentMethod", &out->retry_non_idempotent_method);
  if (out->initial_interval && out->initial_interval->count() < 0) {
    r.Fail("initialInterval", "must not be negative");
  }
  CheckPositive(r, "timeout", out->timeout);
  CheckStatusList(r, "status", status, &out->status);
}

void ReadBuffering(CrdReader& r, Buffering* out) {
  r.Int("maxRequestBodyBytes", &out->max_request_body_bytes, {.min = 0});
  r.Int("memRequestBodyBytes", &out->mem_request_body_bytes, {.min = 0});
  r.Int("maxResponseBodyBytes", &out->max_response_body_bytes, {.min = 0});
  r.Int("memResponseBodyBytes", &out->mem_response_body_bytes, {.min = 0});
  r.String("retryExpression", &out->retry_expression);
}

}  // namespace portico::controlplane::crd
