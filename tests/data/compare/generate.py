#!/usr/bin/env python3
"""Writes the hand-made comparison fixtures in this directory (run once; the
outputs are committed).  Every expected figure in tests/unit/test_compare.c
follows from the tables below by hand: see the comments there."""
import hashlib, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINE_COLS = ["request_id", "timestamp_ms", "latency_ms", "status_code", "ok", "http_request_id",
               "batch_size", "client_queue_ms", "connect_ms", "ttfb_ms", "service_ms",
               "server_queue_ms", "server_compute_ms", "bytes_out", "bytes_in", "output_hash",
               "error"]

with open(os.path.join(HERE, "payloads.jsonl"), "w") as f:
    for i in range(10):
        f.write(json.dumps({"model": "example-model", "input": f"sentence {i}"}) + "\n")
PAYLOAD_SHA = hashlib.sha256(open(os.path.join(HERE, "payloads.jsonl"), "rb").read()).hexdigest()

def h(i, salt=""):
    return hashlib.sha256(f"output {i}{salt}".encode()).hexdigest()

def run(name, rows, cols=ENGINE_COLS, concurrency=4, sha=PAYLOAD_SHA, wall=2.5, save=None,
        extra_col=False):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    cols = list(cols) + (["extra_col"] if extra_col else [])
    with open(os.path.join(d, "requests.csv"), "w") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            r = dict(r, extra_col="x")
            f.write(",".join(str(r.get(c, "")) for c in cols) + "\n")
    ok = sum(1 for r in rows if r["ok"] == 1)
    summary = {"schema": "tailgate.summary/1", "tool": {"name": "tailgate", "version": "0.1.0"},
               "counts": {"inputs": len(rows), "ok": ok, "failed": len(rows) - ok,
                          "http_requests": len({r["http_request_id"] for r in rows})},
               "latency_ms": {"p95": 123456.0},   # deliberately wrong: compare uses the rows
               "payload_sha256": sha, "config": {"concurrency": concurrency, "save_outputs": save},
               "wall_time_s": wall, "throughput_rps": len(rows) / wall}
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)

def row(i, lat, ts=None, ok=1, http=None, hsh=None, err="", status=200):
    return {"request_id": i, "timestamp_ms": 1000 + 10 * i if ts is None else ts,
            "latency_ms": f"{lat:.3f}", "status_code": status, "ok": ok,
            "http_request_id": i + 1 if http is None else http, "batch_size": 1,
            "client_queue_ms": "0.000", "connect_ms": "0.000", "ttfb_ms": f"{lat:.3f}",
            "service_ms": "1.0", "server_queue_ms": "0.5", "server_compute_ms": "0.5",
            "bytes_out": 50, "bytes_in": 100, "output_hash": h(i) if hsh is None else hsh,
            "error": err}

# before: latencies 100..1000 ms, rows in completion order (not sorted by id)
BEFORE_LAT = [300, 1000, 100, 700, 500, 200, 900, 400, 800, 600]
order = [2, 5, 0, 7, 4, 9, 3, 8, 6, 1]
run("run_before", [row(i, BEFORE_LAT[i]) for i in order], extra_col=True)

# after: ties; batched (3 HTTP requests); columns in another order
AFTER_LAT = [120, 120, 120, 130, 130, 150, 150, 150, 200, 250]
batch = [7, 7, 7, 7, 8, 8, 8, 9, 9, 9]
shuffled = ENGINE_COLS[::-1]
run("run_after", [row(i, AFTER_LAT[i], http=batch[i]) for i in range(10)], cols=shuffled)

# after variants
rows = [row(i, AFTER_LAT[i], http=batch[i]) for i in range(10)]
rows[3] = row(3, AFTER_LAT[3], http=batch[3], hsh=h(3, "changed"))
rows[7] = row(7, 30000, http=batch[7], ok=0, hsh="", err="timeout", status=0)
run("run_after_diff", rows)
rows = [row(i, AFTER_LAT[i], http=batch[i]) for i in range(10)]
rows[5] = row(5, AFTER_LAT[5], http=batch[5], hsh="")
run("run_after_nohash", rows)
run("run_after_conc", [row(i, AFTER_LAT[i], http=batch[i]) for i in range(10)], concurrency=8)
run("run_after_payload", [row(i, AFTER_LAT[i], http=batch[i]) for i in range(10)],
    sha=hashlib.sha256(b"other payloads").hexdigest())
run("run_all_failed", [row(i, 5.0, ok=0, hsh="", err="connect", status=0) for i in range(10)])

# 100 inputs: before 500 + 5 i, after 100 + i (P95 = 95th = 194 ms, 0 over 800: PASS)
run("run_big_before", [row(i, 500 + 5 * i) for i in range(100)], wall=10.0)
run("run_big_after", [row(i, 100 + i) for i in range(100)], wall=5.0)
# 100 inputs, 5 over the limit (850..1000 ms), P95 = 95th = 800 ms exactly: met, INCONCLUSIVE
lat = [100 + i for i in range(94)] + [800] + [850, 900, 950, 990, 1000]
run("run_big_edge", [row(i, lat[i]) for i in range(100)], wall=5.0)

# tolerance: output 4's hash differs, its numbers by 1e-7; saved outputs relative to the run
def outputs(name, bump):
    with open(os.path.join(HERE, name, "outputs.jsonl"), "w") as f:
        for i in range(10):
            v = [0.5 + i / 100, -0.25, 0.125 + (1e-7 if (bump and i == 4) else 0)]
            f.write(json.dumps({"request_id": i, "output": v}) + "\n")
run("run_tol_before", [row(i, BEFORE_LAT[i]) for i in range(10)], save="outputs.jsonl")
outputs("run_tol_before", False)
rows = [row(i, AFTER_LAT[i]) for i in range(10)]
rows[4] = row(4, AFTER_LAT[4], hsh=h(4, "bumped"))
run("run_tol_after", rows, save="outputs.jsonl")
outputs("run_tol_after", True)

# input.py's CSV (CRLF, sorted by id): two failures (no response, 503)
with open(os.path.join(HERE, "inputpy_before.csv"), "w", newline="") as f:
    f.write("request_id,timestamp_ms,latency_ms,status_code\r\n")
    for i in range(10):
        status = 0 if i == 2 else 503 if i == 6 else 200
        f.write(f"{i},{1700000000000 + 100 * i},{BEFORE_LAT[i]:.3f},{status}\r\n")
