#!/usr/bin/env python3
"""Baseline load test for the inference API.

Sends every payload in PAYLOADS (one JSON body per line) to API_URL with at
most CONCURRENCY requests in flight, records per-request latency to
LATENCY_CSV and prints P50/P95/P99.

    API_URL       default http://127.0.0.1:8000/v1/infer
    LATENCY_CSV   default latency_baseline.csv
    PAYLOADS      default workload/requests.jsonl
"""

import asyncio
import csv
import math
import os
import sys
import time

import httpx

API_URL = os.environ.get("API_URL", "http://127.0.0.1:8000/v1/infer")
LATENCY_CSV = os.environ.get("LATENCY_CSV", "latency_baseline.csv")
PAYLOADS = os.environ.get("PAYLOADS", "workload/requests.jsonl")

CONCURRENCY = 20
NUM_REQUESTS = 400
TIMEOUT_S = 30.0


def load_payloads(path, n):
    with open(path, "rb") as f:
        lines = [line.rstrip(b"\r\n") for line in f if line.strip()]
    if not lines:
        sys.exit(f"no payloads in {path}")
    # Reuse the file from the top if it has fewer lines than requests.
    return [lines[i % len(lines)] for i in range(n)]


def percentile(sorted_values, p):
    # Nearest-rank percentile.
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


async def send_one(client, sem, request_id, body, results):
    async with sem:
        timestamp_ms = int(time.time() * 1000)
        start = time.perf_counter()
        try:
            response = await client.post(
                API_URL,
                content=body,
                headers={"Content-Type": "application/json"},
            )
            status = response.status_code
        except httpx.HTTPError as exc:
            print(f"request {request_id} failed: {exc!r}", file=sys.stderr)
            status = 0
        latency_ms = (time.perf_counter() - start) * 1000
    results.append((request_id, timestamp_ms, latency_ms, status))


async def main():
    payloads = load_payloads(PAYLOADS, NUM_REQUESTS)
    sem = asyncio.Semaphore(CONCURRENCY)
    results = []
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        tasks = [
            send_one(client, sem, i, body, results)
            for i, body in enumerate(payloads)
        ]
        wall_start = time.perf_counter()
        await asyncio.gather(*tasks)
        wall_s = time.perf_counter() - wall_start

    results.sort(key=lambda r: r[0])
    with open(LATENCY_CSV, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["request_id", "timestamp_ms", "latency_ms", "status_code"])
        for request_id, timestamp_ms, latency_ms, status in results:
            writer.writerow([request_id, timestamp_ms, f"{latency_ms:.3f}", status])

    ok = [r[2] for r in results if r[3] == 200]
    latencies = sorted(r[2] for r in results)
    print(f"requests: {len(results)}  ok: {len(ok)}  failed: {len(results) - len(ok)}")
    print(f"wall time: {wall_s:.2f} s  throughput: {len(results) / wall_s:.1f} req/s")
    print(f"P50: {percentile(latencies, 50):.1f} ms")
    print(f"P95: {percentile(latencies, 95):.1f} ms")
    print(f"P99: {percentile(latencies, 99):.1f} ms")
    print(f"results written to {LATENCY_CSV}")


if __name__ == "__main__":
    asyncio.run(main())
