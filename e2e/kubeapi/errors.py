"""Kubernetes API errors: an exception that carries a `Status` object, as kube-apiserver answers."""


class ApiError(Exception):
    """A request that fails with an HTTP status and a `Status` body (kind Status, apiVersion v1)."""

    def __init__(self, code, reason, message, details=None, retry_after=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retry_after = retry_after

    def status(self):
        return status_object(self.code, self.reason, self.message, self.details)


def status_object(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


def _details(rtype, name):
    details = {"kind": rtype.plural} if rtype is not None else {}
    if rtype is not None and rtype.group:
        details["group"] = rtype.group
    if name:
        details["name"] = name
    return details


def not_found(rtype, name):
    return ApiError(404, "NotFound", f'{rtype.qualified} "{name}" not found', _details(rtype, name))


def namespace_not_found(name):
    return ApiError(404, "NotFound", f'namespaces "{name}" not found',
                    {"name": name, "kind": "namespaces"})


def already_exists(rtype, name):
    return ApiError(409, "AlreadyExists", f'{rtype.qualified} "{name}" already exists',
                    _details(rtype, name))


def conflict(rtype, name, why="the object has been modified; please apply your changes to "
                                "the latest version and try again"):
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {rtype.qualified} '
                    f'"{name}": {why}', _details(rtype, name))


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def invalid(rtype, name, causes):
    """422 Invalid; causes are (field, message) pairs."""
    details = _details(rtype, name)
    details["causes"] = [{"reason": "FieldValueInvalid", "message": f"{field}: {message}",
                          "field": field} for field, message in causes]
    text = ", ".join(f"{field}: {message}" for field, message in causes)
    return ApiError(422, "Invalid", f'{rtype.kind} "{name}" is invalid: {text}', details)


def gone(message):
    return ApiError(410, "Expired", message)


def too_old(requested, oldest):
    return gone(f"too old resource version: {requested} ({oldest})")


def forbidden(rtype, name, why):
    return ApiError(403, "Forbidden", f'{rtype.qualified} "{name}" is forbidden: {why}',
                    _details(rtype, name))


def method_not_allowed(method, what):
    return ApiError(405, "MethodNotAllowed", f"the server does not allow this method on the "
                    f"requested resource ({method} {what})")


def path_not_found():
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def unsupported_media_type(content_type):
    return ApiError(415, "UnsupportedMediaType",
                    f'the body of the request was in an unknown format - accepted media types '
                    f'include: application/json, application/merge-patch+json, '
                    f'application/strategic-merge-patch+json, application/json-patch+json, '
                    f'application/apply-patch+yaml (got "{content_type}")')
