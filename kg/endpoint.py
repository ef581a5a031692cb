"""Talk to a SPARQL endpoint over HTTP: Graph Store Protocol PUTs, updates and SELECT queries.

    >>> with Endpoint("http://127.0.0.1:7878/store") as endpoint:          # doctest: +SKIP
    ...     endpoint.put_graph("https://example.org/kg/article/fd26.../graph", data)
    ...     endpoint.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    [{'n': '623'}]

What every request gets, and why:

- credentials from the environment (`Credentials.from_env`), attached only to requests for the
  endpoint's own origin (scheme, host, port) and never written into a message: every message
  passes through `redact`;
- TLS verification (httpx's default; there is no switch to turn it off);
- no redirects followed: a redirect is reported, so credentials never travel to another host;
- connect, read and write timeouts;
- retries with capped exponential backoff on transport errors (refused, reset, timed out), 429
  (honouring Retry-After) and 502/503/504. Every request kg sends is idempotent (a PUT that
  replaces a graph, an update that drops then inserts one graph, a query), so sending it twice
  leaves the same data. Other statuses are not retried and show an excerpt of the server's text.
"""

from __future__ import annotations

import base64
import email.utils
import os
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from kg.errors import EndpointUnavailable, InputError, QueryError, StoreError

RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_FIRST = 0.5  # seconds before the first retry; doubled for each further one
BACKOFF_CAP = 8.0  # no backoff wait is longer than this
RETRY_AFTER_CAP = 120.0  # a server asking for a longer pause is not waited for
EXCERPT_CHARS = 300
# What `QueryEndpoint` asks for: results formats first; RDF formats for CONSTRUCT and DESCRIBE.
QUERY_ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "application/n-triples;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.5"
)

ENV_USER = "KG_ENDPOINT_USER"
ENV_PASSWORD = "KG_ENDPOINT_PASSWORD"
ENV_TOKEN = "KG_ENDPOINT_TOKEN"

# The query URL of the common endpoint URL forms: (path suffix of the endpoint, replacement).
_QUERY_URL_RULES = (
    ("/rdf-graphs/service", ""),  # GraphDB GSP: /repositories/REPO
    ("/statements", ""),  # GraphDB update: /repositories/REPO
    ("/sparql-graph-crud-auth", "/sparql"),  # Virtuoso
    ("/sparql-graph-crud", "/sparql"),  # Virtuoso
    ("/store", "/query"),  # Oxigraph GSP
    ("/data", "/query"),  # Fuseki GSP: /DATASET/data
    ("/update", "/query"),  # Oxigraph and Fuseki update
    ("/sparql", "/sparql"),  # Virtuoso, Neptune: one URL for everything
)


@dataclass(frozen=True, repr=False)
class Credentials:
    """Basic (user, password) or bearer token credentials; `repr` shows no secret."""

    user: str | None = None
    password: str | None = None
    token: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        """`KG_ENDPOINT_USER` + `KG_ENDPOINT_PASSWORD` (basic), or `KG_ENDPOINT_TOKEN` (bearer)."""
        env = os.environ if env is None else env
        user, password, token = (
            env.get(name) or None for name in (ENV_USER, ENV_PASSWORD, ENV_TOKEN)
        )
        if token and (user or password):
            raise InputError(
                f"{ENV_TOKEN} and {ENV_USER}/{ENV_PASSWORD} are both set (expected one of them)"
            )
        if bool(user) != bool(password):
            raise InputError(f"{ENV_USER} and {ENV_PASSWORD} must be set together")
        return cls(user=user, password=password, token=token)

    def secrets(self) -> list[str]:
        """The strings that must never appear in a message (a server may echo the header)."""
        header = self.header()
        encoded = header.split(" ", 1)[1] if header else None
        return [s for s in (self.password, self.token, encoded) if s]

    def header(self) -> str | None:
        """The Authorization header value, or None without credentials."""
        if self.token:
            return f"Bearer {self.token}"
        if self.user and self.password:
            pair = f"{self.user}:{self.password}".encode()
            return f"Basic {base64.b64encode(pair).decode('ascii')}"
        return None

    def __repr__(self) -> str:
        kind = "token" if self.token else "basic" if self.user else "none"
        return f"Credentials({kind})"


class _SameOriginAuth(httpx.Auth):
    """Adds the Authorization header to requests for one origin only."""

    def __init__(self, origin: tuple[str, str, int | None], header: str) -> None:
        self.origin = origin
        self.value = header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if _origin(request.url) == self.origin:
            request.headers["Authorization"] = self.value
        yield request


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


def redact_url(url: str) -> str:
    """The URL without a `user:password@` part, for messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def query_url_for(endpoint: str) -> str:
    """The SPARQL query URL that goes with a GSP or update endpoint URL.

    `http://h:7878/store` -> `http://h:7878/query` (Oxigraph), `.../DATASET/data` or
    `.../DATASET/update` -> `.../DATASET/query` (Fuseki), `.../repositories/REPO/rdf-graphs/service`
    or `.../statements` -> `.../repositories/REPO` (GraphDB), `.../sparql-graph-crud-auth` ->
    `.../sparql` (Virtuoso), `.../sparql` -> itself (Virtuoso, Neptune).
    """
    parts = urlsplit(endpoint)
    path = parts.path.rstrip("/")
    for suffix, replacement in _QUERY_URL_RULES:
        if path.endswith(suffix):
            new_path = path[: -len(suffix)] + replacement
            return urlunsplit(parts._replace(path=new_path, query="", fragment=""))
    raise InputError(
        f"{redact_url(endpoint)}: cannot tell its SPARQL query URL (give it with --query-endpoint; "
        "known forms end in /store, /data, /update, /sparql, /statements, /rdf-graphs/service, "
        "/sparql-graph-crud-auth)"
    )


def check_url(url: str) -> str:
    """Refuse what is not an absolute http(s) URL, or one carrying credentials."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{redact_url(url)}: not an endpoint URL (expected http:// or https://)")
    if "@" in parts.netloc:
        # A URL is echoed in messages, logs and process lists; secrets belong in the environment.
        raise InputError(
            f"{redact_url(url)}: credentials in the URL "
            f"(expected them in {ENV_USER}/{ENV_PASSWORD} or {ENV_TOKEN})"
        )
    return url


class Endpoint:
    """One SPARQL endpoint: its write URL (GSP or update), its query URL, and an HTTP client."""

    def __init__(
        self,
        url: str,
        *,
        query_url: str | None = None,
        credentials: Credentials | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = check_url(url)
        self.query_url = check_url(query_url) if query_url else query_url_for(url)
        self.credentials = Credentials.from_env() if credentials is None else credentials
        self.timeout = timeout
        self.retries = retries
        self.sleep = sleep
        header = self.credentials.header()
        origin = _origin(httpx.URL(self.url))
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            auth=_SameOriginAuth(origin, header) if header else None,
        )

    def __enter__(self) -> Endpoint:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def put_graph(self, graph: str, data: bytes, media_type: str = "text/turtle") -> None:
        """Replace the named graph `graph` with `data` (SPARQL 1.1 Graph Store Protocol PUT)."""
        self._send(
            "PUT",
            self.url,
            params={"graph": graph},
            content=data,
            headers={"Content-Type": media_type},
        )

    def post_update(self, update: str, graph: str | None = None) -> None:
        """Run one SPARQL 1.1 Update request (all its operations in one request); `graph`, the
        graph it replaces, is named in messages as a GSP request's URL names it."""
        self._send(
            "POST",
            self.url,
            about=f" (graph <{graph}>)" if graph else "",
            content=update.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update"},
        )

    def select(self, query: str) -> list[dict[str, str]]:
        """The rows of a SELECT query as {variable: value}, values as plain strings."""
        response = self._send(
            "POST",
            self.query_url,
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
        )
        return self._rows(response)

    def _rows(self, response: httpx.Response) -> list[dict[str, str]]:
        try:
            bindings = response.json()["results"]["bindings"]
            return [{name: value["value"] for name, value in row.items()} for row in bindings]
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"POST {self.redact(self.query_url)}: not a SPARQL JSON result "
                f"({self._excerpt(response)})"
            ) from exc

    # --- one request, with retries ----------------------------------------------------------

    def _send(self, method: str, url: str, about: str = "", **kwargs: Any) -> httpx.Response:
        where = f"{method} {self.redact(self._full_url(url, kwargs.get('params')))}{about}"
        attempt = 0
        while True:
            wait, problem = self._try(where, method, url, kwargs)
            if wait is None:
                assert isinstance(problem, httpx.Response)
                return problem
            if attempt >= self.retries:
                raise self._gave_up(where, problem, attempt + 1)
            self.sleep(wait if wait > 0 else self.backoff(attempt))
            attempt += 1

    def _try(
        self, where: str, method: str, url: str, kwargs: dict[str, Any]
    ) -> tuple[float | None, httpx.Response | Exception]:
        """(None, response) on success; (seconds to wait or 0 for the backoff, what went wrong)
        for something worth retrying; raises for the rest."""
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            return 0.0, exc
        if response.is_success:
            return None, response
        if response.status_code in RETRY_STATUSES:
            return self._retry_after(where, response), response
        raise self._refused(where, response)

    def backoff(self, attempt: int) -> float:
        """Seconds before retry `attempt` (0-based): 0.5, 1, 2, 4, 8, 8, ... (no jitter, so a
        run's timing is reproducible; kg sends one request at a time)."""
        return float(min(BACKOFF_CAP, BACKOFF_FIRST * 2**attempt))

    def _retry_after(self, where: str, response: httpx.Response) -> float:
        """The Retry-After the server asked for (seconds or an HTTP date), 0 when absent."""
        value = response.headers.get("Retry-After", "").strip()
        if not value:
            return 0.0
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return 0.0
            seconds = max(0.0, when.timestamp() - time.time())
        if seconds > RETRY_AFTER_CAP:
            raise EndpointUnavailable(
                f"{where}: {_status(response)}, retry after {seconds:.0f} s "
                f"(kg waits at most {RETRY_AFTER_CAP:.0f} s; try again later)"
            )
        return max(seconds, 0.001)  # 0 means "use the backoff"

    def _gave_up(
        self, where: str, problem: httpx.Response | Exception, attempts: int
    ) -> StoreError:
        tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
        if isinstance(problem, httpx.Response):
            return EndpointUnavailable(
                f"{where}: {_status(problem)} after {tries} ({self._excerpt(problem)})"
            )
        return EndpointUnavailable(f"{where}: {self._transport_problem(problem)} after {tries}")

    def _transport_problem(self, exc: Exception) -> str:
        if isinstance(exc, httpx.ConnectTimeout):
            return f"no connection within {self.timeout:g} s (raise --timeout?)"
        if isinstance(exc, httpx.TimeoutException):
            return f"no answer within {self.timeout:g} s (raise --timeout?)"
        detail = self.redact(str(exc)) or type(exc).__name__
        if isinstance(exc, httpx.ConnectError):
            return f"cannot connect ({detail})"
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            return f"connection lost ({detail})"
        return f"connection failed ({type(exc).__name__}: {detail})"

    def _refused(self, where: str, response: httpx.Response) -> StoreError:
        status = response.status_code
        if response.is_redirect:
            location = self.redact(redact_url(response.headers.get("Location", "?")))
            return EndpointUnavailable(
                f"{where}: {_status(response)}, redirected to {location} (kg follows no "
                "redirects, so credentials stay with the endpoint; give the final URL instead)"
            )
        message = f"{where}: {_status(response)} ({self._excerpt(response)})"
        if status in (401, 403):
            hint = "check KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD or KG_ENDPOINT_TOKEN"
            return EndpointUnavailable(f"{message[:-1]}; {hint})")
        if status in (404, 405):
            return EndpointUnavailable(message)
        if status == 413:
            # One graph is one request (so it is replaced whole): the limit has to give.
            size = len(response.request.content)
            return StoreError(
                f"{message[:-1]}; the request held {size:,} bytes: raise the endpoint's request "
                "size limit, and any proxy's, e.g. nginx client_max_body_size)"
            )
        return StoreError(message)

    def _excerpt(self, response: httpx.Response) -> str:
        """The start of the server's text, on one line, without any secret."""
        try:
            text = response.text
        except (UnicodeDecodeError, LookupError, httpx.HTTPError):
            text = ""
        text = " ".join(text.split())
        if len(text) > EXCERPT_CHARS:
            text = text[:EXCERPT_CHARS] + "..."
        return self.redact(text) or "no message"

    def redact(self, text: str) -> str:
        """`text` with every secret of the credentials replaced by ***."""
        for secret in self.credentials.secrets():
            text = text.replace(secret, "***")
        return text

    def _full_url(self, url: str, params: Mapping[str, str] | None) -> str:
        return str(httpx.URL(url).copy_merge_params(params)) if params else url


class QueryEndpoint(Endpoint):
    """`kg.query`'s client: `Endpoint` (credentials, timeouts, retries, redaction), plus the one
    thing a query needs: a 400 is the server saying the query does not parse, an input error."""

    # A QueryError (exit code 2) where Endpoint says StoreError: hence the ignore.
    def _refused(self, where: str, response: httpx.Response) -> QueryError | StoreError:  # type: ignore[override]
        if response.status_code == 400:
            return QueryError(f"{where}: {response.status_code} ({self._excerpt(response)})")
        return super()._refused(where, response)

    def post_query(self, sparql: str) -> httpx.Response:
        """One SPARQL 1.1 Protocol query: POST `application/sparql-query` to the query URL."""
        headers = {"Content-Type": "application/sparql-query", "Accept": QUERY_ACCEPT}
        return self._send("POST", self.query_url, content=sparql.encode("utf-8"), headers=headers)


def _status(response: httpx.Response) -> str:
    reason = response.reason_phrase or ""
    return f"{response.status_code} {reason}".strip()
