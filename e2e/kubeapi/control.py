"""The control endpoints tests use to break things on purpose (never authenticated):

    GET  /_fault/state                  resourceVersion, history, open watches, pending failures
    POST /_fault/drop-watches           cut every open watch connection
    POST /_fault/expire-history[?notify=true]
                                        forget the watch history (as an etcd compaction);
                                        notify: open watches also get a 410 ERROR and end
    POST /_fault/fail-next?count=N&code=C[&retryAfter=S][&path=PREFIX][&verb=V]
                                        the next N matching requests fail with C
    POST /_fault/clear                  forget pending failures
    POST /_fault/bookmark               a BOOKMARK now on every watch that allows them
    POST /_fault/settings?goneAs=http|event&bookmarkInterval=S
    POST /_fault/token                  body: the new bearer token ("" turns auth off)
"""

from . import errors
from .faults import Failure


def _int(query, name, default=None, low=0, high=None):
    text = query.get(name)
    if text is None:
        if default is None:
            raise errors.bad_request(f"missing query parameter {name!r}")
        return default
    try:
        value = int(text)
    except ValueError:
        raise errors.bad_request(f"{name}={text!r} is not an integer") from None
    if value < low or (high is not None and value > high):
        raise errors.bad_request(f"{name}={value} is out of range")
    return value


def handle(context, method, action, query, body):
    """The JSON answer of a control request; raises ApiError on a bad one."""
    store, faults = context.store, context.faults
    if action == "state" and method == "GET":
        return {"resourceVersion": store.hub.latest_rv, "historyFloor": store.hub.floor,
                "historySize": len(store.hub.history), "openWatches": store.hub.open_count(),
                "pendingFailures": faults.pending(), "goneAsHttp": faults.gone_as_http,
                "bookmarkIntervalSeconds": faults.bookmark_interval_s}
    if method != "POST":
        raise errors.method_not_allowed(method, f"/_fault/{action}")
    if action == "drop-watches":
        return {"dropped": store.hub.drop_all()}
    if action == "expire-history":
        notify = query.get("notify") in ("true", "1")
        notified = store.hub.expire(notify)
        store.save_now()
        return {"floor": store.hub.floor, "notified": notified if notify else 0}
    if action == "fail-next":
        failure = Failure(count=_int(query, "count", 1, low=1), code=_int(query, "code",
                                                                          low=400, high=599),
                          retry_after=_int(query, "retryAfter", 0) or None,
                          path_prefix=query.get("path", ""), verb=query.get("verb", ""))
        faults.fail_next(failure)
        return {"pendingFailures": faults.pending()}
    if action == "clear":
        faults.clear()
        return {"pendingFailures": []}
    if action == "bookmark":
        return {"sent": store.hub.bookmark_all()}
    if action == "settings":
        return _settings(faults, query)
    if action == "token":
        token = body.decode(errors="replace").strip()
        with faults.lock:
            faults.token = token or None
        return {"authentication": bool(token)}
    raise errors.path_not_found()


def _settings(faults, query):
    gone = query.get("goneAs")
    if gone not in (None, "http", "event"):
        raise errors.bad_request("goneAs must be http or event")
    interval = query.get("bookmarkInterval")
    with faults.lock:
        if gone is not None:
            faults.gone_as_http = gone == "http"
        if interval is not None:
            try:
                seconds = float(interval)
            except ValueError:
                raise errors.bad_request("bookmarkInterval must be a number") from None
            if not 0.05 <= seconds <= 3600:
                raise errors.bad_request("bookmarkInterval must be 0.05 to 3600 seconds")
            faults.bookmark_interval_s = seconds
    return {"goneAsHttp": faults.gone_as_http,
            "bookmarkIntervalSeconds": faults.bookmark_interval_s}
