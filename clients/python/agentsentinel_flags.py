"""Read AgentSentinel's fallback flags from Redis (flag contract v1) in a Python agent.

    from agentsentinel_flags import FlagClient

    with FlagClient("redis://localhost:6379/0", "billing-agent") as flags:
        path, fallback = flags.decide()          # ("primary", None) or ("fallback", "safe-model")
        span.set_attribute("agentsentinel.route", path)

The client polls ``HGETALL {prefix}flag:{agent}`` every ``poll_interval`` seconds and subscribes to
``{prefix}flags`` to poll at once when a notice names its agent. No key, ``route=primary`` or an
``expires_at`` in the past mean the primary path; ``route=fallback`` means the fallback;
``route=probe`` sends ``probe_ratio`` of the requests to primary. While Redis is unreachable it keeps
the last flag read until that flag's ``expires_at``, then goes back to primary (fail static, then open).

Parsing is strict, like the C# ``FlagReader``: an unknown route reads as primary, a missing or
malformed number (version, updated_at, expires_at, probe_ratio) makes the flag ignored (primary),
and a schema other than 1 reads as primary with a warning.

Only dependency: redis-py (tested with Debian's python3-redis 4.3.4).
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Tuple, Union

import redis

__all__ = [
    "FlagClient",
    "FlagState",
    "parse_flag",
    "effective_route",
    "choose",
    "tag_span",
    "PRIMARY",
    "FALLBACK",
    "PROBE",
    "ROUTE_ATTRIBUTE",
    "SCHEMA_VERSION",
]

__version__ = "1.0.0"

PRIMARY = "primary"
FALLBACK = "fallback"
PROBE = "probe"

#: The span attribute AgentSentinel reads to tell fallback traffic from primary traffic
#: (probe requests sent to primary are tagged ``primary``).
ROUTE_ATTRIBUTE = "agentsentinel.route"

#: The ``schema`` this module reads.
SCHEMA_VERSION = 1

#: Status of the last read: no key / a flag to follow / a bad number (ignored) / another schema.
ABSENT = "absent"
VALID = "valid"
MALFORMED = "malformed"
UNSUPPORTED_SCHEMA = "unsupported_schema"

MAX_AGENT_LENGTH = 512
_INT64_MAX = 2**63 - 1
_RATIO = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")

_log = logging.getLogger("agentsentinel_flags")


@dataclass(frozen=True)
class FlagState:
    """One agent's flag as read from ``{prefix}flag:{agent}`` (times are unix milliseconds)."""

    agent: str
    route: str
    fallback: str
    probe_ratio: Optional[float]
    reason: str
    detail: str
    trace_ids: Tuple[str, ...]
    incident: str
    version: int
    updated_at: int
    expires_at: int
    schema: int


def _digits(text: str) -> Optional[int]:
    """A non-negative 64-bit integer written as plain ASCII digits, else None."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= _INT64_MAX else None


def parse_flag(agent: str, fields: Mapping[str, str]) -> Tuple[Optional[FlagState], str, Optional[str]]:
    """Parses the fields of ``HGETALL {prefix}flag:{agent}``.

    Returns ``(state, status, problem)``: ``state`` is the flag to follow (None unless status is
    ``"valid"``), ``status`` one of ``absent``, ``valid``, ``malformed``, ``unsupported_schema``, and
    ``problem`` says which field was wrong (never its value), or None.
    """
    if not fields:
        return None, ABSENT, None

    def text(name: str) -> str:
        return fields.get(name, "")

    schema = _digits(text("schema"))
    if schema != SCHEMA_VERSION:
        return None, UNSUPPORTED_SCHEMA, f"field 'schema' is not {SCHEMA_VERSION}"

    numbers = {}
    for name in ("version", "updated_at", "expires_at"):
        value = _digits(text(name))
        if value is None:
            return None, MALFORMED, f"field '{name}' is missing or not a valid number; flag ignored"
        numbers[name] = value

    problem = None
    route = text("route")
    if route not in (PRIMARY, FALLBACK, PROBE):
        route = PRIMARY
        problem = "field 'route' is not primary, fallback or probe; read as primary"

    ratio: Optional[float] = None
    ratio_text = text("probe_ratio")
    if ratio_text:
        if not _RATIO.match(ratio_text.strip()):
            return None, MALFORMED, "field 'probe_ratio' is missing or not a valid number; flag ignored"
        ratio = float(ratio_text)
        if not 0.0 <= ratio <= 1.0:
            return None, MALFORMED, "field 'probe_ratio' is missing or not a valid number; flag ignored"
    elif route == PROBE:
        return None, MALFORMED, "field 'probe_ratio' is missing or not a valid number; flag ignored"

    trace_ids = tuple(t.strip() for t in text("trace_ids").split(",") if t.strip())
    state = FlagState(
        agent=agent,
        route=route,
        fallback=text("fallback"),
        probe_ratio=ratio,
        reason=text("reason"),
        detail=text("detail"),
        trace_ids=trace_ids,
        incident=text("incident"),
        version=numbers["version"],
        updated_at=numbers["updated_at"],
        expires_at=numbers["expires_at"],
        schema=schema,
    )
    return state, VALID, problem


def effective_route(state: Optional[FlagState], now_ms: int) -> str:
    """The route in force at ``now_ms``: ``primary``, ``fallback`` or ``probe``.

    No flag, an expired flag (``now_ms >= expires_at``) or a flag without a fallback name reads as primary.
    """
    if state is None or not state.fallback or now_ms >= state.expires_at:
        return PRIMARY
    return state.route


def choose(state: Optional[FlagState], now_ms: int, sample: float) -> Tuple[str, Optional[str]]:
    """Routes one request: ``(path, fallback)``. Under a probe, ``sample < probe_ratio`` goes to primary."""
    route = effective_route(state, now_ms)
    if route == FALLBACK:
        return FALLBACK, state.fallback
    if route == PROBE:
        ratio = min(max(state.probe_ratio or 0.0, 0.0), 1.0)
        return (PRIMARY, None) if sample < ratio else (FALLBACK, state.fallback)
    return PRIMARY, None


def tag_span(span, path: str) -> None:
    """Sets ``agentsentinel.route`` on an OpenTelemetry span (anything with ``set_attribute``); None is a no-op."""
    if span is not None:
        span.set_attribute(ROUTE_ATTRIBUTE, path)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)


def _valid_agent(agent) -> bool:
    if not isinstance(agent, str) or not 0 < len(agent) <= MAX_AGENT_LENGTH:
        return False
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in agent):
        return False
    try:
        agent.encode("utf-8")  # lone surrogates cannot name a key
    except UnicodeEncodeError:
        return False
    return True


class FlagClient:
    """Follows one agent's flag. Thread-safe; starts a poller thread and, if ``subscribe``, a pub/sub listener.

    ``redis_client`` is a ``redis.Redis`` (shared, not closed by this client; give it a ``socket_timeout``)
    or a URL (the client then owns its connection). ``clock`` returns unix seconds (inject one in tests);
    ``rng`` draws probe samples (a ``random.Random``; used under a lock).
    """

    def __init__(
        self,
        redis_client: Union["redis.Redis", str],
        agent: str,
        prefix: str = "agentsentinel:",
        poll_interval: float = 2.0,
        subscribe: bool = True,
        *,
        clock: Callable[[], float] = time.time,
        rng: Optional[random.Random] = None,
        start: bool = True,
    ) -> None:
        if not _valid_agent(agent):
            raise ValueError(f"agent must be 1-{MAX_AGENT_LENGTH} characters of valid text without control characters")
        if not isinstance(prefix, str) or not prefix.endswith(":"):
            raise ValueError("prefix must end with ':'")
        if not 0.01 <= float(poll_interval) <= 300:
            raise ValueError("poll_interval must be between 0.01 and 300 seconds")

        if isinstance(redis_client, str):
            timeout = min(max(float(poll_interval), 1.0), 5.0)
            self._redis = redis.Redis.from_url(redis_client, socket_timeout=timeout, socket_connect_timeout=timeout)
            self._owns_redis = True
        else:
            self._redis = redis_client
            self._owns_redis = False

        self.agent = agent
        self.prefix = prefix
        self.poll_interval = float(poll_interval)
        self.subscribe = subscribe
        self._key = f"{prefix}flag:{agent}"
        self._channel = f"{prefix}flags"
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._rng_lock = threading.Lock()
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list = []
        self._state: Optional[FlagState] = None
        self._status = ABSENT
        self._reachable = False
        self._last_success: Optional[float] = None
        self._failures = 0
        self._last_problem: Optional[str] = None
        self._subscribed = threading.Event()
        self._started = False
        self._closed = False
        if start:
            self.start()

    # ---- reading ------------------------------------------------------------------------------

    @property
    def state(self) -> Optional[FlagState]:
        """The last flag read that can be followed (None: none yet, no key, or ignored). Kept while Redis is down."""
        return self._state

    @property
    def status(self) -> str:
        """What the last successful read found: ``absent``, ``valid``, ``malformed`` or ``unsupported_schema``."""
        return self._status

    @property
    def reachable(self) -> bool:
        """Whether the last poll reached Redis."""
        return self._reachable

    @property
    def last_success(self) -> Optional[float]:
        """Unix seconds (by ``clock``) of the last poll Redis answered."""
        return self._last_success

    @property
    def subscribed(self) -> bool:
        """Whether the pub/sub listener is subscribed right now."""
        return self._subscribed.is_set()

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def route(self) -> str:
        """The route in force now: ``primary``, ``fallback`` or ``probe``."""
        return effective_route(self._state, self._now_ms())

    def decide(self) -> Tuple[str, Optional[str]]:
        """Routes one request now: ``("primary", None)`` or ``("fallback", name)``; under a probe, ``probe_ratio``
        of the requests go to primary. ``path`` is also the value for the ``agentsentinel.route`` span attribute."""
        state, now_ms = self._state, self._now_ms()
        sample = 0.0
        if effective_route(state, now_ms) == PROBE:
            with self._rng_lock:
                sample = self._rng.random()
        return choose(state, now_ms, sample)

    def poll_once(self) -> bool:
        """Reads the flag once. True when Redis answered; False when it was unreachable (the last flag is kept)."""
        with self._poll_lock:
            try:
                raw = self._redis.hgetall(self._key)
            except (redis.RedisError, OSError) as error:
                with self._lock:
                    self._failures += 1
                    self._reachable = False
                    first = self._failures == 1
                if first:
                    _log.warning(
                        "Redis unreachable (%s): keeping the last flag read until it expires, then primary",
                        type(error).__name__,
                    )
                return False

            fields = {_text(k): _text(v) for k, v in raw.items()}
            state, status, problem = parse_flag(self.agent, fields)
            with self._lock:
                if self._failures:
                    _log.info("Redis reachable again after %d failed polls", self._failures)
                self._state, self._status = state, status
                self._reachable, self._failures = True, 0
                self._last_success = self._clock()
            if problem != self._last_problem:
                self._last_problem = problem
                if problem is not None:
                    _log.warning("Flag not followed (%s): %s; using the primary path", status, problem)
            return True

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> "FlagClient":
        """Polls once (returns even if Redis is down), then polls and listens in daemon threads until ``close()``."""
        if self._closed:
            raise RuntimeError("the client is closed")
        if self._started:
            raise RuntimeError("the client is already started")
        self._started = True
        self.poll_once()
        poller = threading.Thread(target=self._poll_loop, name="agentsentinel-poll", daemon=True)
        self._threads.append(poller)
        if self.subscribe:
            listener = threading.Thread(target=self._listen_loop, name="agentsentinel-listen", daemon=True)
            self._threads.append(listener)
        for thread in self._threads:
            thread.start()
        return self

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.poll_once()
            except Exception:  # never let the poller die: the agent would stay on a stale flag
                _log.exception("Unexpected error while polling the flag")

    def _listen_loop(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self._channel)
                self._subscribed.set()
                backoff = 0.1
                self._wake.set()  # poll at once: a change may have been published while we were not listening
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.2)
                    if message and message.get("type") == "message" and self._names_me(message.get("data")):
                        self._wake.set()
            except (redis.RedisError, OSError, ValueError) as error:
                if self._subscribed.is_set():
                    _log.warning("Flag channel subscription lost (%s); polling only until it is back", type(error).__name__)
                self._subscribed.clear()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, max(self.poll_interval, 0.1))
            except Exception:
                self._subscribed.clear()
                _log.exception("Unexpected error in the flag channel listener")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, max(self.poll_interval, 0.1))
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # the connection is already gone
                        pass
        self._subscribed.clear()

    def _names_me(self, data) -> bool:
        try:
            notice = json.loads(_text(data))
        except ValueError:
            _log.debug("Ignored a malformed notice on the flag channel")
            return False
        return isinstance(notice, dict) and notice.get("agent") == self.agent

    def close(self) -> None:
        """Stops the threads (and closes the Redis client if this client created it). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._owns_redis:
            self._redis.close()

    def __enter__(self) -> "FlagClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
