"""The base of every error a service raises on purpose; the API turns it into a 4xx with its message."""


class DomainError(Exception):
    code = "error"
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(DomainError):
    code = "permission_denied"
    status_code = 403


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class Conflict(DomainError):
    code = "conflict"
    status_code = 409


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    status_code = 503
