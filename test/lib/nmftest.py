# SPDX-License-Identifier: PostgreSQL
"""Helpers for the script tests in test/t (run by test/run.sh).

A script prints one TAP-like line per case, "ok N - name" or "not ok N - name",
diagnostics as "# ..." lines, a closing plan "1..N", and exits 1 when a case
failed. It connects with libpq's environment (PGHOST, PGPORT, PGUSER) to a
database of its own, created at the start and dropped at the end.
"""

import os
import sys
import threading
import time
import traceback

import psycopg2
import psycopg2.errors  # noqa: F401  (makes psycopg2.errors.* available)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, name), flush=True)
        if diag:
            self.diag(diag)
        return cond

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line, flush=True)

    def case(self, name):
        """Decorator-free guard: `with tap.case("name") as c:` ... c.ok(cond)."""
        return _Case(self, name)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed or self.n == 0 else 0)


class _Case:
    """Runs a block as one case; an unexpected exception makes it 'not ok'."""

    def __init__(self, tap, name):
        self.tap, self.name = tap, name
        self.result, self.diag = None, None

    def __enter__(self):
        return self

    def ok(self, cond, diag=None):
        # The last call wins; a case is ok only if every call was ok.
        self.result = bool(cond) if self.result is None else (self.result and bool(cond))
        if diag:
            self.diag = (self.diag + "\n" if self.diag else "") + diag

    def __exit__(self, etype, exc, tb):
        if etype is not None:
            self.tap.ok(False, self.name, "unexpected %s: %s" % (etype.__name__, str(exc).strip()))
            self.tap.diag("".join(traceback.format_tb(tb)[-3:]).rstrip())
            return True  # go on with the next case
        if self.result is None:
            self.tap.ok(False, self.name, "the case checked nothing")
        else:
            self.tap.ok(self.result, self.name, self.diag)
        return False


def main(body):
    """Runs body(tap); an exception that escapes it is one more failed case."""
    tap = Tap()
    try:
        body(tap)
    except Exception as e:
        tap.ok(False, "the script ran to its end", "aborted by %s: %s" % (type(e).__name__, str(e).strip()))
        tap.diag("".join(traceback.format_tb(e.__traceback__)[-3:]).rstrip())
    tap.done()


def connect(dbname=None, autocommit=True, **kw):
    conn = psycopg2.connect(dbname=dbname or os.environ.get("PGDATABASE", "postgres"), **kw)
    conn.autocommit = autocommit
    return conn


class TestDatabase:
    """A database for one script: `with TestDatabase("cancel") as db: c = db.connect()`."""

    def __init__(self, name):
        self.name = "nmf_t_" + name
        self.conns = []

    def __enter__(self):
        admin = connect()
        with admin.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS "%s"' % self.name)
            cur.execute('CREATE DATABASE "%s"' % self.name)
        admin.close()
        try:
            with self.connect().cursor() as cur:
                cur.execute("CREATE EXTENSION IF NOT EXISTS nmf")
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def connect(self, autocommit=True):
        conn = connect(self.name, autocommit)
        self.conns.append(conn)
        return conn

    def __exit__(self, *exc):
        for c in self.conns:
            try:
                c.close()
            except Exception:
                pass
        admin = connect()
        with admin.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name)
        admin.close()
        return False


def run(conn, sql, args=None):
    """Runs sql; returns its rows, or None for a statement without any."""
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def scalar(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def sqlstate_of(conn, sql, args=None):
    """Runs sql; returns (sqlstate, message) of its error, or (None, None)."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            if cur.description:
                cur.fetchall()
        return None, None
    except psycopg2.Error as e:
        if not conn.autocommit:
            conn.rollback()
        return e.pgcode, (e.pgerror or str(e)).strip()


def proc_status(pid, key):
    """A number field of /proc/PID/status (RssAnon, VmHWM in kB; Threads), or
    None when the process is gone or its status unreadable (a remote server)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class MemorySampler(threading.Thread):
    """Polls a process's memory until stopped: the largest RssAnon and the last VmHWM (kB)."""

    def __init__(self, pid, every=0.02):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.anon_kb, self.hwm_kb = 0, 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            a, h = proc_status(self.pid, "RssAnon"), proc_status(self.pid, "VmHWM")
            if a is not None:
                self.anon_kb = max(self.anon_kb, a)
            if h is not None:
                self.hwm_kb = max(self.hwm_kb, h)
            self._halt.wait(self.every)

    def stop(self):
        self._halt.set()
        self.join()


def peak_during(cur, pid, sql, every=0.02):
    """Runs sql on cur, whose backend is pid, sampling that backend's RssAnon every
    `every` seconds. Returns (the first column of its row, seconds, the idle
    RssAnon, the peak RssAnon), memory in kB."""
    base = proc_status(pid, "RssAnon") or 0
    sampler = MemorySampler(pid, every=every)
    sampler.start()
    t0 = time.time()
    cur.execute(sql)
    result = cur.fetchone()[0]
    elapsed = time.time() - t0
    sampler.stop()
    return result, elapsed, base, max(base, sampler.anon_kb)
