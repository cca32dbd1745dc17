"""Tests of agentsentinel_flags against a real redis-server.

Needs AGENTSENTINEL_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0); the outage test starts its own
redis-server (AGENTSENTINEL_TEST_REDIS_SERVER, else redis-server on PATH, else /usr/bin/redis-server).
Run from clients/python:  python3 -m unittest discover -s tests -v
"""

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

import redis  # noqa: E402

import agentsentinel_flags as flags  # noqa: E402
from agentsentinel_flags import FlagClient, parse_flag  # noqa: E402

URL_VARIABLE = "AGENTSENTINEL_TEST_REDIS_URL"
START_MS = 1_700_000_000_000


def redis_url() -> str:
    url = os.environ.get(URL_VARIABLE)
    if not url:
        raise RuntimeError(f"set {URL_VARIABLE} to a redis URL (e.g. redis://127.0.0.1:6379/0) to run these tests")
    return url


class ManualClock:
    """Unix seconds that move only when told to."""

    def __init__(self, start_ms: int = START_MS):
        self._ms = start_ms
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._ms / 1000.0

    @property
    def now_ms(self) -> int:
        with self._lock:
            return self._ms

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._ms += int(seconds * 1000)


def eventually(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def write_flag(r, prefix, agent, publish=True, **overrides):
    """Writes a flag as AgentSentinel's writer does (HSET of every field, then a notice)."""
    fields = {
        "route": "fallback",
        "fallback": "safe-model",
        "probe_ratio": "",
        "reason": "token_spike",
        "detail": "tokens_per_trace 9120 vs baseline 870",
        "trace_ids": "4bf92f3577b34da6a3ce929d0e0e4736",
        "incident": "inc-1",
        "version": "1",
        "updated_at": str(START_MS),
        "expires_at": str(4_102_444_800_000),  # 2100-01-01
        "schema": "1",
    }
    fields.update({k: str(v) for k, v in overrides.items()})
    r.hset(f"{prefix}flag:{agent}", mapping=fields)
    if publish:
        notice = {"agent": agent, "route": fields["route"], "version": int(fields["version"]) if fields["version"].isdigit() else 0}
        r.publish(f"{prefix}flags", json.dumps(notice))


class ParseFlagTests(unittest.TestCase):
    """The reader rules as pure functions (no Redis)."""

    BASE = {
        "route": "fallback", "fallback": "cached", "probe_ratio": "", "reason": "token_spike", "detail": "",
        "trace_ids": "aa,bb", "incident": "inc-1", "version": "4", "updated_at": "1", "expires_at": "100", "schema": "1",
    }

    def parse(self, **overrides):
        return parse_flag("a", {**self.BASE, **overrides})

    def test_a_written_flag_parses(self):
        state, status, problem = self.parse()
        self.assertEqual(status, "valid")
        self.assertIsNone(problem)
        self.assertEqual((state.route, state.fallback, state.version, state.expires_at, state.trace_ids), ("fallback", "cached", 4, 100, ("aa", "bb")))

    def test_no_fields_is_absent(self):
        self.assertEqual(parse_flag("a", {}), (None, "absent", None))

    def test_bad_numbers_make_the_flag_ignored(self):
        for field, value in [("version", ""), ("version", "+4"), ("version", " 4"), ("version", "4.0"), ("updated_at", "1e3"),
                             ("expires_at", "soon"), ("expires_at", "-1"), ("expires_at", "99999999999999999999"),
                             ("probe_ratio", "1.5"), ("probe_ratio", "nan"), ("probe_ratio", "half"), ("probe_ratio", "-0.1")]:
            with self.subTest(field=field, value=value):
                state, status, problem = self.parse(**{field: value})
                self.assertIsNone(state)
                self.assertEqual(status, "malformed")
                self.assertIn(field, problem)

    def test_a_probe_without_a_ratio_is_ignored(self):
        self.assertEqual(self.parse(route="probe", probe_ratio="")[1], "malformed")

    def test_another_schema_reads_as_primary(self):
        for schema in ["2", "0", "", "v1"]:
            with self.subTest(schema=schema):
                state, status, _ = self.parse(schema=schema)
                self.assertIsNone(state)
                self.assertEqual(status, "unsupported_schema")

    def test_an_unknown_route_reads_as_primary(self):
        for route in ["Fallback", "off", ""]:
            with self.subTest(route=route):
                state, status, problem = self.parse(route=route)
                self.assertEqual((state.route, status), ("primary", "valid"))
                self.assertIsNotNone(problem)

    def test_choose_follows_expiry_and_probe_ratio(self):
        state, _, _ = self.parse(route="probe", probe_ratio="0.3")
        self.assertEqual(flags.choose(state, 99, 0.29), ("primary", None))
        self.assertEqual(flags.choose(state, 99, 0.3), ("fallback", "cached"))
        self.assertEqual(flags.choose(state, 100, 0.99), ("primary", None))  # at expires_at: primary
        no_name, _, _ = self.parse(fallback="")
        self.assertEqual(flags.choose(no_name, 0, 0.5), ("primary", None))  # a fallback without a name cannot be followed


class FlagClientTests(unittest.TestCase):
    """The client against the redis-server named by AGENTSENTINEL_TEST_REDIS_URL."""

    @classmethod
    def setUpClass(cls):
        cls.redis = redis.Redis.from_url(redis_url(), socket_timeout=2, decode_responses=True)
        cls.redis.ping()

    @classmethod
    def tearDownClass(cls):
        cls.redis.close()

    def setUp(self):
        self.prefix = f"t{uuid.uuid4().hex}:"

    def client(self, agent="billing-agent", **kwargs):
        kwargs.setdefault("poll_interval", 30.0)
        kwargs.setdefault("subscribe", False)
        client = FlagClient(redis_url(), agent, prefix=self.prefix, **kwargs)
        self.addCleanup(client.close)
        return client

    def test_no_key_reads_primary(self):
        client = self.client()
        self.assertTrue(client.reachable)
        self.assertIsNone(client.state)
        self.assertEqual(client.status, "absent")
        self.assertEqual(client.route(), "primary")
        self.assertEqual(client.decide(), ("primary", None))

    def test_a_fallback_flag_routes_to_the_fallback(self):
        write_flag(self.redis, self.prefix, "billing-agent", fallback="gpt-4o-mini", version=3)
        client = self.client()
        self.assertEqual(client.route(), "fallback")
        self.assertEqual(client.decide(), ("fallback", "gpt-4o-mini"))
        self.assertEqual((client.state.version, client.state.reason, client.state.incident), (3, "token_spike", "inc-1"))

    def test_a_primary_flag_routes_to_primary(self):
        write_flag(self.redis, self.prefix, "billing-agent", route="primary")
        self.assertEqual(self.client().decide(), ("primary", None))

    def test_probe_sends_probe_ratio_of_requests_to_primary(self):
        write_flag(self.redis, self.prefix, "billing-agent", route="probe", probe_ratio="0.3")
        client = self.client(rng=random.Random(7))
        self.assertEqual(client.route(), "probe")
        decisions = [client.decide() for _ in range(20_000)]
        primary = sum(1 for path, _ in decisions if path == "primary")
        self.assertTrue(5_700 <= primary <= 6_300, primary)
        self.assertEqual({d for d in decisions if d[0] == "fallback"}, {("fallback", "safe-model")})
        self.assertEqual({d for d in decisions if d[0] == "primary"}, {("primary", None)})

    def test_the_same_seed_gives_the_same_probe_decisions(self):
        write_flag(self.redis, self.prefix, "billing-agent", route="probe", probe_ratio="0.5")
        a = self.client(rng=random.Random(11))
        b = self.client(rng=random.Random(11))
        self.assertEqual([a.decide() for _ in range(200)], [b.decide() for _ in range(200)])

    def test_an_expired_flag_reads_primary(self):
        write_flag(self.redis, self.prefix, "billing-agent", expires_at=int(time.time() * 1000) - 1_000)
        client = self.client()
        self.assertIsNotNone(client.state)
        self.assertEqual(client.route(), "primary")
        self.assertEqual(client.decide(), ("primary", None))

    def test_a_flag_lapses_to_primary_at_expires_at(self):
        clock = ManualClock()
        write_flag(self.redis, self.prefix, "billing-agent", expires_at=clock.now_ms + 30_000)
        client = self.client(clock=clock)
        clock.advance(29.999)
        self.assertEqual(client.route(), "fallback")
        clock.advance(0.001)
        self.assertEqual(client.route(), "primary")

    def test_a_notice_makes_a_change_visible_well_before_the_poll_interval(self):
        client = self.client(poll_interval=60.0, subscribe=True)
        bystander = self.client(agent="bystander", poll_interval=60.0, subscribe=True)
        self.assertTrue(eventually(lambda: client.subscribed and bystander.subscribed, 5))
        started = time.monotonic()
        write_flag(self.redis, self.prefix, "billing-agent")
        self.assertTrue(eventually(lambda: client.route() == "fallback", 5))
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(bystander.route(), "primary")

    def test_without_a_notice_a_change_waits_for_the_next_poll(self):
        client = self.client(poll_interval=0.2)
        write_flag(self.redis, self.prefix, "billing-agent", publish=False)
        self.assertTrue(eventually(lambda: client.route() == "fallback", 5))

    def test_malformed_notices_are_ignored(self):
        client = self.client(poll_interval=60.0, subscribe=True)
        self.assertTrue(eventually(lambda: client.subscribed, 5))
        for junk in ["not json", "[1,2]", '{"agent": 42}', b"\xff\xfe"]:
            self.redis.publish(f"{self.prefix}flags", junk)
        write_flag(self.redis, self.prefix, "billing-agent")
        self.assertTrue(eventually(lambda: client.route() == "fallback", 5))

    def test_the_version_field_is_read_and_a_bad_version_ignores_the_flag(self):
        write_flag(self.redis, self.prefix, "billing-agent", version=41)
        client = self.client()
        self.assertEqual(client.state.version, 41)
        write_flag(self.redis, self.prefix, "billing-agent", version=42, publish=False)
        self.assertTrue(client.poll_once())
        self.assertEqual(client.state.version, 42)
        self.redis.hset(f"{self.prefix}flag:billing-agent", "version", "42x")
        with self.assertLogs("agentsentinel_flags", "WARNING") as logs:
            self.assertTrue(client.poll_once())
        self.assertEqual((client.state, client.status, client.route()), (None, "malformed", "primary"))
        self.assertIn("version", "\n".join(logs.output))

    def test_a_schema_mismatch_reads_primary_with_a_warning(self):
        write_flag(self.redis, self.prefix, "billing-agent", schema=2)
        with self.assertLogs("agentsentinel_flags", "WARNING") as logs:
            client = self.client()
        self.assertEqual((client.state, client.status, client.route()), (None, "unsupported_schema", "primary"))
        self.assertIn("schema", "\n".join(logs.output))

    def test_an_unknown_route_reads_primary(self):
        write_flag(self.redis, self.prefix, "billing-agent", route="sideways")
        client = self.client()
        self.assertEqual((client.status, client.route()), ("valid", "primary"))

    def test_a_shared_client_with_bytes_responses_works_and_is_left_open(self):
        shared = redis.Redis.from_url(redis_url(), socket_timeout=2)  # decode_responses=False: bytes
        self.addCleanup(shared.close)
        write_flag(self.redis, self.prefix, "bytes-agent", fallback="cached")
        with FlagClient(shared, "bytes-agent", prefix=self.prefix, subscribe=False) as client:
            self.assertEqual(client.decide(), ("fallback", "cached"))
        self.assertTrue(shared.ping())

    def test_close_stops_the_threads_and_is_idempotent(self):
        before = threading.active_count()
        with FlagClient(redis_url(), "billing-agent", prefix=self.prefix, poll_interval=0.05) as client:
            self.assertTrue(eventually(lambda: client.subscribed, 5))
            self.assertGreaterEqual(threading.active_count(), before + 2)
        client.close()
        self.assertTrue(eventually(lambda: threading.active_count() <= before, 5))

    def test_invalid_arguments_are_refused(self):
        for agent in ["", "two\nlines", "x" * 513, "\ud800"]:
            with self.subTest(agent=agent[:10]):
                with self.assertRaises(ValueError):
                    FlagClient(redis_url(), agent, start=False)
        with self.assertRaises(ValueError):
            FlagClient(redis_url(), "a", prefix="nocolon", start=False)
        with self.assertRaises(ValueError):
            FlagClient(redis_url(), "a", poll_interval=0, start=False)
        client = self.client()
        with self.assertRaises(RuntimeError):
            client.start()

    def test_agent_names_are_used_verbatim_in_keys(self):
        agent = 'he said "hi" \U0001F680 a:b'
        write_flag(self.redis, self.prefix, agent, fallback="human")
        self.assertEqual(self.client(agent=agent).decide(), ("fallback", "human"))

    def test_reads_a_flag_written_by_agentsentinel(self):
        """The xunit runner writes a probe flag with the real RedisFlagStore and names it here."""
        prefix = os.environ.get("AGENTSENTINEL_TEST_WRITTEN_PREFIX")
        agent = os.environ.get("AGENTSENTINEL_TEST_WRITTEN_AGENT")
        if not prefix or not agent:
            self.skipTest("run by tests/AgentSentinel.Client.Tests, which writes the flag")
        client = FlagClient(redis_url(), agent, prefix=prefix, subscribe=False)
        self.addCleanup(client.close)
        state = client.state
        self.assertEqual(client.status, "valid")
        self.assertEqual((state.route, state.fallback, state.probe_ratio, state.version, state.schema), ("probe", "gpt-4o-mini", 0.25, 9, 1))
        self.assertEqual(state.trace_ids, ("4bf92f3577b34da6a3ce929d0e0e4736",))
        self.assertEqual(client.route(), "probe")


class PrivateRedisServer:
    """A redis-server child on a free loopback port, so a test can kill it."""

    def __init__(self):
        self.binary = (os.environ.get("AGENTSENTINEL_TEST_REDIS_SERVER") or shutil.which("redis-server")
                       or "/usr/bin/redis-server")
        if not os.path.exists(self.binary):
            raise RuntimeError(f"redis-server not found (looked at {self.binary}); set AGENTSENTINEL_TEST_REDIS_SERVER")
        self.directory = tempfile.mkdtemp(prefix="agentsentinel-py-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            if not eventually(lambda: self._ping(probe), 10):
                raise RuntimeError("redis-server did not start")
        finally:
            probe.close()

    @staticmethod
    def _ping(client):
        try:
            return client.ping()
        except redis.RedisError:
            return False

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def close(self):
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


class OutageTests(unittest.TestCase):
    """Fail static, then open: Redis is killed under the client."""

    def test_killed_redis_keeps_the_last_flag_until_expires_at_then_primary_and_recovers(self):
        server = PrivateRedisServer()
        self.addCleanup(server.close)
        server.start()
        writer = redis.Redis.from_url(server.url, socket_timeout=1, socket_connect_timeout=1, decode_responses=True)
        self.addCleanup(writer.close)
        clock = ManualClock()
        write_flag(writer, "agentsentinel:", "billing-agent", expires_at=clock.now_ms + 60_000)
        client = FlagClient(server.url, "billing-agent", poll_interval=0.1, clock=clock)
        self.addCleanup(client.close)
        self.assertEqual(client.decide(), ("fallback", "safe-model"))
        last_success = client.last_success

        server.kill()
        self.assertTrue(eventually(lambda: not client.reachable, 5))
        self.assertFalse(client.poll_once())
        clock.advance(59)
        self.assertEqual(client.decide(), ("fallback", "safe-model"))  # fail static
        self.assertEqual(client.last_success, last_success)
        clock.advance(1)
        self.assertEqual(client.route(), "primary")  # then open
        self.assertEqual(client.decide(), ("primary", None))

        server.start()  # same port, empty: no key until AgentSentinel re-asserts the flag
        self.assertTrue(eventually(lambda: client.reachable and client.status == "absent", 10))
        self.assertTrue(eventually(lambda: client.subscribed, 10))
        client.poll_interval = 60.0  # from now on only a notice can bring the change in time
        time.sleep(0.2)
        write_flag(writer, "agentsentinel:", "billing-agent", version=2, expires_at=clock.now_ms + 60_000)
        self.assertTrue(eventually(lambda: client.route() == "fallback", 5))


if __name__ == "__main__":
    unittest.main()
