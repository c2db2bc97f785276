"""Make PostgreSQL and Redis available to the test suite: use running servers, or start our own.

    python scripts/services.py ensure --env-file .services.env [--require]
    set -a; . ./.services.env; set +a        # exports RECEPTIONIST_TEST_POSTGRES_URL / _REDIS_URL
    python -m pytest
    python scripts/services.py stop --env-file .services.env

``ensure`` probes each service at its configured URL (``RECEPTIONIST_TEST_POSTGRES_URL`` /
``RECEPTIONIST_TEST_REDIS_URL``, else the local defaults). If nothing usable answers it starts a private
server on a free port: PostgreSQL from the Debian binaries (``/usr/lib/postgresql/*/bin``; ``apt-get
install postgresql`` first when root), a throw-away cluster with trust auth and a ``test`` database;
Redis from ``redis-server`` (installed the same way) without persistence. What it started is recorded in
the env file, so running ``ensure`` again reuses it and ``stop`` stops exactly that.

Standard library only: this runs before any virtualenv exists.
"""

# ruff: noqa: S603 - every subprocess here runs a fixed tool (apt-get, initdb, pg_ctl, redis-server)

from __future__ import annotations

import argparse
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

POSTGRES_ENV = "RECEPTIONIST_TEST_POSTGRES_URL"
REDIS_ENV = "RECEPTIONIST_TEST_REDIS_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
OWN_PREFIX = "RECEPTIONIST_SERVICES_"  # env-file keys describing servers this script started
PROBE_TIMEOUT_S = 3.0
APT_TIMEOUT_S = 1200


class Unavailable(Exception):
    """A service could not be found or started; the message says why."""


@dataclass
class Own:
    """A server this script started, as recorded in the env file (``RECEPTIONIST_SERVICES_<NAME>_<KEY>``)."""

    name: str
    values: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.values["URL"]

    def lines(self) -> list[str]:
        return [f"{OWN_PREFIX}{self.name.upper()}_{k}={v}" for k, v in self.values.items()]


# -- probes: does something usable answer at this URL? -----------------------------------------------


def probe_postgres(url: str) -> None:
    """Raise :class:`Unavailable` unless a PostgreSQL server at ``url`` lets us in (protocol 3 startup)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    user = unquote(parts.username or "postgres")
    database = unquote(parts.path.lstrip("/")) or user
    params = b"".join(f"{k}\0{v}\0".encode() for k, v in (("user", user), ("database", database))) + b"\0"
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S) as sock:
            sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
            while True:
                kind, body = _read_pg_message(sock)
                if kind == b"R":
                    (code,) = struct.unpack("!i", body[:4])
                    if code != 0 and parts.password is None:
                        raise Unavailable(f"the server wants a password (auth {code}); the URL has none")
                    if code != 0:
                        return  # a password is given; the test client will authenticate with it
                elif kind == b"E":
                    fields = dict((f[:1], f[1:].decode(errors="replace")) for f in body.split(b"\0") if f)
                    raise Unavailable(f"the server refused: {fields.get(b'M', 'unknown error')}")
                elif kind == b"Z":  # ready for query: logged in
                    sock.sendall(b"X" + struct.pack("!i", 4))
                    return
    except OSError as exc:
        raise Unavailable(f"no server answering at {host}:{port} ({exc})") from None


def _read_pg_message(sock: socket.socket) -> tuple[bytes, bytes]:
    header = _read_exactly(sock, 5)
    (length,) = struct.unpack("!i", header[1:])
    return header[:1], _read_exactly(sock, length - 4)


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise Unavailable("the server closed the connection (is it PostgreSQL?)")
        data += chunk
    return data


def probe_redis(url: str) -> None:
    """Raise :class:`Unavailable` unless a Redis server at ``url`` answers PING (after AUTH if given)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S) as sock:
            if parts.password is not None:
                auth = [parts.username, parts.password] if parts.username else [parts.password]
                reply = _redis_command(sock, "AUTH", *(unquote(a) for a in auth))
                if not reply.startswith("+"):
                    raise Unavailable(f"AUTH failed: {reply}")
            reply = _redis_command(sock, "PING")
            if reply != "+PONG":
                raise Unavailable(f"PING answered {reply!r}")
    except OSError as exc:
        raise Unavailable(f"no server answering at {host}:{port} ({exc})") from None


def _redis_command(sock: socket.socket, *args: str) -> str:
    encoded = [a.encode() for a in args]
    sock.sendall(b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in encoded))
    reply = b""
    while not reply.endswith(b"\r\n"):
        chunk = sock.recv(1024)
        if not chunk:
            raise Unavailable("the server closed the connection (is it Redis?)")
        reply += chunk
    return reply.decode(errors="replace").strip()


# -- starting and stopping our own servers ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(
    cmd: Sequence[str | Path], *, user: str | None = None, cwd: Path | None = None, timeout: float = 120
) -> str:
    """Run ``cmd``; on failure raise :class:`Unavailable` with the end of its output."""
    try:
        done = subprocess.run(
            [str(c) for c in cmd],
            user=user,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"{Path(str(cmd[0])).name} failed: {exc}") from None
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise Unavailable(f"{Path(str(cmd[0])).name} exited with {done.returncode}: {tail}")
    return done.stdout


def apt_install(*packages: str) -> None:
    if os.geteuid() != 0:
        raise Unavailable(f"not installed, and not root to `apt-get install {' '.join(packages)}`")
    apt = shutil.which("apt-get")
    if apt is None:
        raise Unavailable("not installed, and no apt-get to install it with")
    print(f"  installing {' '.join(packages)} with apt-get ...", flush=True)
    os.environ.setdefault("DEBIAN_FRONTEND", "noninteractive")
    run([apt, "update"], timeout=APT_TIMEOUT_S)
    run([apt, "install", "-y", "--no-install-recommends", *packages], timeout=APT_TIMEOUT_S)


def find_postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL bin directory, else one on PATH with initdb and pg_ctl."""

    def version(initdb: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", Path(initdb).parent.parent.name))

    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True):
        if Path(initdb).with_name("pg_ctl").exists():
            return Path(initdb).parent
    initdb_path = shutil.which("initdb")
    if initdb_path and Path(initdb_path).resolve().with_name("pg_ctl").exists():
        return Path(initdb_path).resolve().parent
    return None


def _unprivileged_user() -> str | None:
    """PostgreSQL refuses to run as root: run it as ``postgres`` (Debian's user) or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise Unavailable("running as root and there is no postgres or nobody user to run PostgreSQL as")


def start_postgres() -> Own:
    bindir = find_postgres_bin()
    if bindir is None:
        apt_install("postgresql")
        bindir = find_postgres_bin()
        if bindir is None:
            raise Unavailable("installed postgresql but found no initdb/pg_ctl")
    run_as = _unprivileged_user()
    root = Path(tempfile.mkdtemp(prefix="receptionist-pg-"))
    if run_as is not None:
        account = pwd.getpwnam(run_as)
        os.chown(root, account.pw_uid, account.pw_gid)
    data, port = root / "data", free_port()
    own = Own("postgres", {"URL": f"postgresql://postgres@127.0.0.1:{port}/test", "ROOT": str(root)})
    own.values.update({"DATA": str(data), "PG_CTL": str(bindir / "pg_ctl"), "RUN_AS": run_as or ""})
    log = root / "postgres.log"  # on failure, its end says why the server would not start
    try:
        run([bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
             "--no-sync"], user=run_as, cwd=root)  # fmt: skip
        # Test data only: no fsync. The socket goes in our directory; /var/run/postgresql may not exist.
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off"
        run(
            [bindir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"],
            user=run_as,
            cwd=root,
        )
        run([bindir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "test"], cwd=root)
        probe_postgres(own.url)
    except Unavailable as exc:
        detail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:]) if log.exists() else ""
        stop_postgres(own, quiet=True)
        raise Unavailable(f"{exc}{'; log: ' + detail if detail else ''}") from None
    own.values["BIN"] = str(bindir)
    return own


def stop_postgres(own: Own, *, quiet: bool = False) -> bool:
    data, root = Path(own.values["DATA"]), Path(own.values["ROOT"])
    if (data / "postmaster.pid").exists():
        run_as = own.values.get("RUN_AS") or None
        try:
            run([own.values["PG_CTL"], "-D", data, "-m", "fast", "-w", "stop"], user=run_as, cwd=root)
        except Unavailable as exc:
            if not quiet:
                print(f"postgres: could not stop the server in {data}: {exc}")
            return False  # keep the directory: the server may still be using it
    shutil.rmtree(root, ignore_errors=True)
    return True


def start_redis() -> Own:
    server = shutil.which("redis-server")
    if server is None:
        apt_install("redis-server")
        server = shutil.which("redis-server")
        if server is None:
            raise Unavailable("installed redis-server but it is not on PATH")
    root, port = Path(tempfile.mkdtemp(prefix="receptionist-redis-")), free_port()
    pidfile = root / "redis.pid"
    own = Own("redis", {"URL": f"redis://127.0.0.1:{port}/0", "ROOT": str(root), "PIDFILE": str(pidfile)})
    files: list[str | Path] = ["--pidfile", pidfile, "--dir", root, "--logfile", root / "redis.log"]
    run([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "yes", *files])  # fmt: skip
    problem: Unavailable | None = None
    for _ in range(100):
        try:
            probe_redis(own.url)
            if pidfile.exists() and pidfile.read_text().strip():
                own.values["PID"] = pidfile.read_text().strip()
                return own
        except Unavailable as exc:
            problem = exc
        time.sleep(0.1)
    stop_redis(own, quiet=True)
    raise Unavailable(f"redis-server did not come up: {problem}")


def stop_redis(own: Own, *, quiet: bool = False) -> bool:
    pid = int(own.values.get("PID") or _read_pid(Path(own.values["PIDFILE"])) or 0)
    if pid and _is_redis(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _is_redis(pid):
                break
            time.sleep(0.1)
        else:
            if not quiet:
                print(f"redis: process {pid} did not exit after SIGTERM")
            return False
    shutil.rmtree(own.values["ROOT"], ignore_errors=True)
    return True


def _read_pid(pidfile: Path) -> str | None:
    return pidfile.read_text().strip() if pidfile.exists() else None


def _is_redis(pid: int) -> bool:
    """Whether ``pid`` is still a redis-server (never signal a process id that was reused)."""
    try:
        return b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


# -- the env file ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    name: str
    env: str
    default: str
    probe: Callable[[str], None]
    start: Callable[[], Own]
    stop: Callable[..., bool]
    how: str  # how we start our own, for the report


POSTGRES = Service("postgres", POSTGRES_ENV, DEFAULT_POSTGRES_URL, probe_postgres, start_postgres,
                   stop_postgres, how="Debian binaries")  # fmt: skip
REDIS = Service(
    "redis", REDIS_ENV, DEFAULT_REDIS_URL, probe_redis, start_redis, stop_redis, how="redis-server"
)
SERVICES = (POSTGRES, REDIS)


def read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def recorded(values: dict[str, str], name: str) -> Own | None:
    prefix = f"{OWN_PREFIX}{name.upper()}_"
    own = Own(name, {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)})
    return own if "URL" in own.values else None


def ensure_one(service: Service, previous: Own | None) -> tuple[str, Own | None]:
    """The URL to test against, and the server we run for it if it is ours. Prints what it decided."""
    configured = os.environ.get(service.env) or service.default
    try:
        service.probe(configured)
    except Unavailable as exc:
        problem = exc
    else:
        if previous is not None and previous.url == configured:
            print(f"{service.name}: using own server started earlier at {configured}")
            return configured, previous
        if previous is not None and service.stop(previous):  # ours, but no longer needed
            print(f"{service.name}: stopped own server at {previous.url} (no longer needed)")
        print(f"{service.name}: using running server at {configured}")
        return configured, None
    if previous is not None:
        try:
            service.probe(previous.url)
            print(f"{service.name}: using own server started earlier at {previous.url}")
            return previous.url, previous
        except Unavailable:
            service.stop(previous, quiet=True)
    print(f"{service.name}: nothing usable at {configured} ({problem}); starting our own", flush=True)
    own = service.start()
    print(f"{service.name}: started own server ({service.how}) at {own.url}")
    return own.url, own


def ensure(env_file: Path, *, require: bool) -> int:
    previous = read_env_file(env_file)
    lines = [
        "# Written by scripts/services.py ensure. Export with: set -a; . ./FILE; set +a",
        "# `python scripts/services.py stop --env-file FILE` stops the servers recorded below.",
    ]
    missing = []
    for service in SERVICES:
        try:
            url, own = ensure_one(service, recorded(previous, service.name))
        except Unavailable as exc:
            print(f"{service.name}: not available: {exc}")
            missing.append(service.name)
            continue
        lines.append(f"{service.env}={url}")
        if own is not None:
            lines.extend(own.lines())
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text("\n".join(lines) + "\n")
    if missing and require:
        print(f"required but not available: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


def stop(env_file: Path) -> int:
    """Stop the servers recorded in ``env_file``, then remove it (kept if a server would not stop)."""
    values = read_env_file(env_file)
    failed = False
    for service in SERVICES:
        own = recorded(values, service.name)
        if own is None:
            continue
        if service.stop(own):
            print(f"{service.name}: stopped own server at {own.url}")
        else:
            failed = True
    if failed:
        return 1
    if env_file.exists():
        env_file.unlink()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("command", choices=["ensure", "stop"])
    parser.add_argument("--env-file", type=Path, required=True, help="KEY=VALUE file: written or read")
    parser.add_argument("--require", action="store_true", help="exit 1 if a service cannot be had")
    args = parser.parse_args(argv)
    if args.command == "ensure":
        return ensure(args.env_file, require=args.require)
    return stop(args.env_file)


if __name__ == "__main__":
    sys.exit(main())
