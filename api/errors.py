"""Domain exceptions, and how each becomes an HTTP answer in the reader's language.

Services raise these; they know nothing of HTTP. Every error body has the same shape
(ErrorBody): a stable `code`, a translated `message`, and machine-readable `details`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError

from api.i18n import DEFAULT_LANGUAGE, Text, pick_language, translate


class ErrorBody(BaseModel):
    """The body of every 4xx answer."""

    code: str = Field(description="Stable message id, e.g. not_found, illegal_transition")
    message: str = Field(description="What went wrong and what to do, in zh-CN or en")
    details: Any = Field(default=None, description="Machine-readable specifics")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "code": "not_found",
                    "message": "customer 42 does not exist",
                    "details": {"entity": "customer", "id": 42},
                }
            ]
        }
    }


class DomainError(Exception):
    """A refusal that the caller can act on; subclasses fix the HTTP status."""

    status_code = 400
    default_code = "bad_request"

    def __init__(self, code: str | None = None, /, **params: Any) -> None:
        self.code = code or self.default_code
        self.params = params
        super().__init__(self.message(DEFAULT_LANGUAGE))

    def message(self, language: str) -> str:
        """The text for the reader's language."""
        return translate(self.code, language, **self.params)

    def details(self, language: str) -> dict[str, Any]:
        """The params, with translatable ones rendered."""
        return {k: v.render(language) if isinstance(v, Text) else v for k, v in self.params.items()}


class NotFound(DomainError):
    """The record does not exist. Raise as NotFound(entity="customer", id=42)."""

    status_code = 404
    default_code = "not_found"


class Conflict(DomainError):
    """The request contradicts the current state. Raise as Conflict(why=Text(...) or str)."""

    status_code = 409
    default_code = "conflict"


class Forbidden(DomainError):
    """The caller is known but may not do this. Raise as Forbidden(entity=..., why=Text(...))."""

    status_code = 403
    default_code = "forbidden"


class InvalidInput(DomainError):
    """Input that passed the schema but not a domain rule. Raise as InvalidInput(field, problem)."""

    status_code = 422
    default_code = "invalid_input"


class NotAuthenticated(DomainError):
    """No valid credentials; the client should log in or refresh its token."""

    status_code = 401
    default_code = "not_authenticated"


class TooManyRequests(DomainError):
    """Throttled; retry_after (seconds) becomes the Retry-After header."""

    status_code = 429
    default_code = "too_many_requests"

    def __init__(self, code: str | None = None, /, *, retry_after: int, **params: Any) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(code, retry_after=self.retry_after, **params)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "Not signed in, or the token expired"),
        (403, "Signed in, but not allowed"),
        (404, "No such record"),
        (409, "Conflicts with the current state"),
        (422, "Invalid input"),
    )
}


def _language(request: Request) -> str:
    return pick_language(request.headers.get("accept-language"))


def _body(code: str, message: str, details: Any) -> dict[str, Any]:
    return ErrorBody(code=code, message=message, details=details).model_dump()


def _problem(error: dict[str, Any]) -> dict[str, str]:
    field = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
    problem = str(error.get("msg", "invalid"))
    # pydantic prefixes messages of our own validators; the reader needs only our text.
    problem = problem.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return {"field": field, "problem": problem, "type": str(error.get("type", ""))}


def install_error_handlers(app: FastAPI) -> None:
    """Answer domain errors, validation errors and constraint violations as ErrorBody."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        language = _language(request)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(
            _body(exc.code, exc.message(language), exc.details(language)),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_problem(e) for e in exc.errors()]
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        message = translate("validation_failed", _language(request), problems=summary)
        return JSONResponse(_body("validation_failed", message, problems), status_code=422)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot store (a NUL byte, a number out of range).
        problem = str(getattr(exc, "orig", exc)).splitlines()[0]
        error = InvalidInput(field="body", problem=problem)
        language = _language(request)
        return JSONResponse(
            _body(error.code, error.message(language), error.details(language)), status_code=422
        )

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        # A safety net: services check their own rules first and raise Conflict themselves.
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or "?"
        why = Text("conflict.constraint", {"constraint": constraint})
        error = Conflict(why=why, constraint=constraint)
        language = _language(request)
        return JSONResponse(
            _body(error.code, error.message(language), error.details(language)), status_code=409
        )
