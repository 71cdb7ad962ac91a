"""The audit log: cost of one append, and of verifying 100,000 records.

Targets (issue 14): appending an audit record ≤ 2 ms; verifying 100,000 records ≤ 2 s.

Measured:

1. **append** — ``AuditLog.append`` on its own (a store transaction: tail check,
   insert, commit, witness line, both fsynced), median of ``--appends`` calls, on
   the disk under ``--dir`` and on tmpfs (``/dev/shm``, where fsync is free): the
   difference is the disk's fsync cost, which the script also measures alone;
2. **append in a change** — ``privlab.store.append_audit`` inside a transaction
   that already makes a change (what every audited state change pays on top of its
   own commit): the primitive alone, no commit;
3. **verify** — ``AuditLog.verify()`` over ``--records`` signed records with one
   witness line per record (the worst case: one record per transaction), the
   recorded state replayed against the tables;
4. the **floor**: the same number of SHA-256 + HMAC-SHA256 computations in a bare
   Python loop (no database, no parsing) — what any keyed chain must pay;
5. **baseline**: privlab 0.1's ``AuditLog.verify`` (one signed head, a JSON witness)
   on the same number of records, when ``--old-toolkit`` points at that release.

Usage::

    python benchmarks/bench_audit.py [--records 100000] [--appends 300] [--dir /tmp]
        [--old-toolkit /path/to/old/toolkit]

The machine has 2 cores shared with other work: rerun when quiet.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import hmac
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "bench-audit-key"


def _fresh_home(base: str) -> Path:
    home = Path(tempfile.mkdtemp(prefix="bench-audit-", dir=base))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["PRIVLAB_HOME"] = str(home)
    return home


def fsync_ms(base: str, n: int = 100) -> float:
    """Median cost of one 100-byte append + fsync on this disk."""
    folder = Path(tempfile.mkdtemp(prefix="bench-audit-", dir=base))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "f"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    times = []
    try:
        for _ in range(n):
            start = time.perf_counter()
            os.write(fd, b"x" * 100 + b"\n")
            os.fsync(fd)
            times.append(time.perf_counter() - start)
    finally:
        os.close(fd)
    return statistics.median(times) * 1e3


def append_ms(base: str, n: int) -> float:
    """Median ``AuditLog.append`` (own transaction, commit, witness) in a fresh store."""
    from privlab.governance import AuditLog

    _fresh_home(base)
    log = AuditLog()
    log.append("access", details={"warm": True})
    times = []
    for i in range(n):
        start = time.perf_counter()
        log.append("access", dataset="visits", details={"n": i, "rows": 1000})
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def append_in_change_ms(base: str, n: int) -> float:
    """Median cost of ``append_audit`` inside a transaction (no commit counted)."""
    from privlab.store import append_audit, open_store

    _fresh_home(base)
    store = open_store()
    times = []
    for i in range(n):
        with store.transaction() as conn:
            conn.execute("SELECT 1")
            start = time.perf_counter()
            append_audit(conn, "access", dataset="visits", details={"n": i, "rows": 1000})
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def build_log(base: str, records: int) -> Path:
    """*records* signed records, then the witness one line per record (as one-record
    transactions would have written it), built in bulk so the script stays quick."""
    from privlab.governance import AuditLog
    from privlab.store import append_audit, open_store

    home = _fresh_home(base)
    store = open_store()
    chunk = 10_000
    for start in range(0, records, chunk):
        with store.transaction() as conn:
            for i in range(start, min(records, start + chunk)):
                append_audit(conn, "access", dataset="visits", details={"n": i, "rows": 1000})
    log = AuditLog(store)
    header = log.witness.read_text().splitlines()[0]
    lines = [header] + [
        json.dumps(
            {"seq": e.seq, "hash": e.hash, "mac": e.mac, "key_id": e.key_id}, separators=(",", ":")
        )
        for e in log.events()
    ]
    log.witness.write_text("\n".join(lines) + "\n")
    return home


def verify_s(base: str, records: int, repeat: int = 3) -> tuple[float, float, float]:
    """(build seconds, median verify wall seconds, median verify CPU seconds).

    CPU time (``time.process_time``) is what the verify itself costs on a loaded
    machine, where wall time also counts waiting for a core."""
    from privlab.governance import AuditLog

    start = time.perf_counter()
    build_log(base, records)
    built = time.perf_counter() - start
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = AuditLog().verify()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert result.ok, result.summary()
        assert result.records == records
    return built, statistics.median(wall), statistics.median(cpu)


def floor_s(records: int) -> float:
    """CPU seconds for SHA-256 of a record-sized payload + HMAC of the digest, *records* times."""
    key = KEY.encode()
    payload = json.dumps(
        {
            "dataset": "visits",
            "details": '{"n":1,"rows":1000}',
            "event": "access",
            "prev_hash": "0" * 64,
            "principal": "bench",
            "release": None,
            "seq": 1,
            "ts": "2026-12-01T00:00:00.000000Z",
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    start = time.process_time()
    for seq in range(records):
        digest = hashlib.sha256(payload).hexdigest()
        hmac.digest(key, f"{seq}:{digest}".encode(), "sha256")
    return time.process_time() - start


_OLD = """
import os, sys, time, statistics
os.environ["PRIVLAB_HOME"] = sys.argv[1]
os.environ["PRIVLAB_AUDIT_KEY"] = sys.argv[3]
from privlab.governance import AuditLog
from privlab.store import open_store
n = int(sys.argv[2])
log = AuditLog()
times = []
for i in range(200):
    t = time.perf_counter(); log.append("access", dataset="visits", details={"n": i}); \
times.append(time.perf_counter() - t)
append = statistics.median(times)
with open_store().transaction() as conn:  # bulk, like the new build
    from privlab.governance._audit import _record_hash, _canonical
    row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = row
    for i in range(200, n):
        seq += 1
        text = _canonical({"n": i, "rows": 1000})
        ts = "2026-12-01T00:00:00.000000Z"
        h = _record_hash(seq, ts, "bench", "access", "visits", None, text, prev)
        conn.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (seq, ts, "bench", "access", "visits", None, text, prev, h))
        prev = h
log.append("access")
t, c = time.perf_counter(), time.process_time()
r = log.verify()
v, vc = time.perf_counter() - t, time.process_time() - c
assert r.ok, r.summary()
print(append * 1e3, v, vc)
"""


def baseline(old_toolkit: str, base: str, records: int) -> tuple[float, float, float]:
    """privlab 0.1: (append ms, verify wall s, verify CPU s), in a subprocess on the old code."""
    home = Path(tempfile.mkdtemp(prefix="bench-audit-old-", dir=base))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": old_toolkit}
    out = subprocess.run(
        [sys.executable, "-c", _OLD, str(home), str(records), KEY],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--appends", type=int, default=300)
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="a folder on the disk")
    parser.add_argument("--old-toolkit", default=None, help="toolkit/ of privlab 0.1")
    args = parser.parse_args()
    os.environ["PRIVLAB_AUDIT_KEY"] = KEY
    os.environ.setdefault("PRIVLAB_PROGRESS", "0")
    tmpfs = "/dev/shm" if os.path.isdir("/dev/shm") else None

    print(f"fsync of a 100-byte append on {args.dir}: {fsync_ms(args.dir):.2f} ms (median)")
    print(f"append (own transaction, disk {args.dir}): {append_ms(args.dir, args.appends):.2f} ms")
    if tmpfs:
        print(f"append (own transaction, tmpfs): {append_ms(tmpfs, args.appends):.2f} ms")
    print(
        "append_audit inside a change's transaction: "
        f"{append_in_change_ms(tmpfs or args.dir, args.appends):.3f} ms"
    )
    built, wall, cpu = verify_s(tmpfs or args.dir, args.records)
    print(
        f"verify {args.records:,} records: {wall:.2f} s wall, {cpu:.2f} s CPU "
        f"(log built in {built:.1f} s)"
    )
    print(f"floor (SHA-256 + HMAC only) for {args.records:,}: {floor_s(args.records):.2f} s CPU")
    if args.old_toolkit:
        old_append, old_wall, old_cpu = baseline(args.old_toolkit, args.dir, args.records)
        print(
            f"privlab 0.1: append {old_append:.2f} ms, verify {old_wall:.2f} s wall, "
            f"{old_cpu:.2f} s CPU"
        )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
