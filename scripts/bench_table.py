#!/usr/bin/env python3
"""Markdown tables (load curve, latency anatomy) of the per-rate medians of
the cluster JSON files that scripts/bench-curve.sh leaves in a folder
(rate-R-run-N.json, with rate-R-run-N.load the 1-minute load average before
the run).

usage: scripts/bench_table.py OUT_DIR
"""
import glob
import json
import os
import re
import statistics
import sys

STAGES = ["admit", "batch", "header", "certificate", "commit", "execute"]

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

def fmt(v, digits=0):
    return "–" if v is None else f"{v:.{digits}f}"

def main():
    runs = {}
    for path in glob.glob(os.path.join(sys.argv[1], "rate-*-run-*.json")):
        rate = int(re.search(r"rate-(\d+)-run", path).group(1))
        with open(path) as f:
            j = json.load(f)
        load_path = path[:-5] + ".load"
        j["_load"] = float(open(load_path).read()) if os.path.exists(load_path) else None
        runs.setdefault(rate, []).append(j)
    print("| rate (tx/s) | runs | committed TPS (steady) | p50 / p99 (ms) | rejected | lost |"
          " validator CPU per tx (µs) | signature share | tx verifs per tx per validator |"
          " load generator CPU per tx (µs) | TPS / bound | bound (tx/s) | load avg before |")
    print("|" + "---|" * 13)
    for rate in sorted(runs):
        rs = runs[rate]
        sw = [r["steady_window"] for r in rs]
        cpu_tx = [s["validator_cpu_us_per_tx"] if s["measured"] else None for s in sw]
        share = []
        for r, s in zip(rs, sw):
            if not s["measured"] or s["committed"] == 0 or s["validator_cpu_s"] <= 0:
                share.append(None)
                continue
            v = s["verifications"]
            verify_s = (v["tx_admission"] + v["tx_peer_batch"] + v["consensus"]) * \
                r["cpu"]["verify_cost_us"] / 1e6
            share.append(100 * verify_s / s["validator_cpu_s"])
        print(f"| {rate} | {len(rs)} | {fmt(med([r['tps_steady'] for r in rs]))} | "
              f"{fmt(med([r['latency_ms']['p50'] for r in rs]))} / "
              f"{fmt(med([r['latency_ms']['p99'] for r in rs]))} | "
              f"{fmt(med([r['rejected'] for r in rs]))} | {fmt(med([r['lost'] for r in rs]))} | "
              f"{fmt(med(cpu_tx))} | {fmt(med(share))} % | "
              f"{fmt(med([s['tx_verifications_per_committed_tx_per_validator'] for s in sw]), 2)} | "
              f"{fmt(med([s['harness_cpu_us_per_tx'] for s in sw]))} | "
              f"{fmt(med([r['tps_to_bound'] for r in rs]), 2)} | "
              f"{fmt(med([r['verification_bound']['tps'] for r in rs]))} | "
              f"{fmt(med([r['_load'] for r in rs]), 1)} |")
    print()
    print("| rate (tx/s) | " + " | ".join(f"{s} p50 / p99 (ms)" for s in STAGES) +
          " | sum of p50s | end-to-end p50 |")
    print("|" + "---|" * (len(STAGES) + 3))
    for rate in sorted(runs):
        rs = runs[rate]
        cells, total = [], 0.0
        for stage in STAGES:
            p50 = med([r["steady_window"]["stages_ms"].get(stage, {}).get("p50") for r in rs])
            p99 = med([r["steady_window"]["stages_ms"].get(stage, {}).get("p99") for r in rs])
            total += p50 or 0
            cells.append(f"{fmt(p50, 1)} / {fmt(p99, 1)}")
        print(f"| {rate} | " + " | ".join(cells) +
              f" | {total:.0f} | {fmt(med([r['latency_ms']['p50'] for r in rs]))} |")

if __name__ == "__main__":
    main()
