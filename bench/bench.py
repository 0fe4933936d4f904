#!/usr/bin/env python3
"""Runs every benchmark of bench/run.sh in one process run and prints the ratios.

bench/run.sh builds the tools and resolves the model, then calls:

    bench.py --build BUILD_DIR --model M.gguf --threads T --reps R [--smoke]

On the same model and thread count, R repetitions; within each one, every comparison is a pair
measured back to back (the reference first in odd repetitions, ours first in even ones):
  decode/prompt  llama-bench -p N_PROMPT -n N_GEN -r 1   and  wasi-nn-bench (seed C ABI)
  serving        llama-server --parallel N (kept running)  and  wasi-nn-bench: N at once, then
                 the same N one after another
  ceiling        llama-batched-bench -npl 1,N: what llama.cpp's kernels give N sequences in one
                 batch against one, on this machine (the bound of concurrent/sequential)
  guest          guests/complete.wasm through WAMR  and  wasi-nn-bench decode
  deterministic  wasi-nn-bench decode, prompt and serving again with "deterministic": true
                 (docs/DETERMINISM.md; CPU only: skipped with --ngl > 0), against the normal
                 figures of the same repetition
Then turn-two TTFT (a ratio within one run). Each ratio is the median of the R per-repetition
ratios (pairs cancel the machine's drift); figures are medians too. Prints the machine, the
commands and a table of ratios against their targets, and writes all figures to
BUILD_DIR/bench-results/<date>-<host>.json. Exit status 0 when every step ran (a figure below
its target is reported, not an error), 1 when a step failed.
"""
import argparse
import datetime
import json
import os
import socket
import statistics
import sys
import time
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engines as E  # noqa: E402
from engines import log, fail  # noqa: E402


def pairs(a, ref, ours):
    """Runs ref() and ours() back to back, alternating which goes first by repetition."""
    if a.rep % 2 == 0:
        return ref(), ours()
    o = ours()
    return ref(), o


def repetition(a, commands, server):
    """One repetition of every paired comparison: a dict of figures."""
    r = {}
    r["llama_bench"], r["ours_single"] = pairs(a, lambda: E.llama_bench(a, commands),
                                               lambda: E.ours_single(a, commands))
    if server:
        r["llama_server"], r["ours_serving"] = pairs(a, server.batch,
                                                     lambda: E.ours_serving(a, commands))
    else:
        r["ours_serving"] = E.ours_serving(a, commands)
    r["batched_bench"] = E.batched_bench(a, commands)
    r["tenants"] = E.ours_tenants(a, commands)
    if a.guest:
        r["native"], r["guest"] = pairs(a, lambda: E.native_decode(a, commands),
                                        lambda: E.wamr_guest(a, commands))
    if a.det:
        det = {"deterministic": True}
        r["det_single"] = E.ours_single(a, commands, det)
        r["det_serving"] = E.ours_serving(a, commands, det)
    if a.spec:
        # Plain, n-gram and self-draft decoding of one repetitive prompt, back to back.
        r["spec_plain"] = E.ours_repetitive(a, commands, None)
        r["spec_ngram"] = E.ours_repetitive(a, commands, {"speculative": "ngram", "ngram_size_n": 4, "ngram_size_m": 16})
        r["spec_self"] = E.ours_repetitive(a, commands, {"draft_model": a.model, "draft_p_min": 0.0})
    lb, us, sv = r["llama_bench"], r["ours_single"], r["ours_serving"]
    line = (f"  rep {a.rep + 1}: decode {us['tg']:.2f} vs llama-bench {lb['tg']:.2f}; prompt {us['pp']:.2f} vs "
            f"{lb['pp']:.2f}; {a.parallel} at once {sv['concurrent']:.2f}, one after another {sv['sequential']:.2f}")
    if server:
        line += f", llama-server {r['llama_server']['concurrent']:.2f}"
    if r["batched_bench"]:
        line += f"; batched-bench npl1 {r['batched_bench']['tg1']:.2f} npl{a.parallel} {r['batched_bench']['tgN']:.2f}"
    if a.guest:
        line += f"; guest {r['guest']['tg']:.2f} vs native {r['native']['tg']:.2f}"
    if a.det:
        line += (f"; deterministic decode {r['det_single']['tg']:.2f}, prompt {r['det_single']['pp']:.2f}, "
                 f"{a.parallel} at once {r['det_serving']['concurrent']:.2f}")
    if a.spec:
        line += (f"; repetitive prompt plain {r['spec_plain']['tg']:.2f}, n-gram {r['spec_ngram']['tg']:.2f} "
                 f"({r['spec_ngram']['accepted']}/{r['spec_ngram']['drafted']} drafts kept), self-draft "
                 f"{r['spec_self']['tg']:.2f} ({r['spec_self']['accepted']}/{r['spec_self']['drafted']})")
    log(line + " (t/s)")
    return r


def series(reps, path):
    """The values at path (e.g. "ours_single.tg") over the repetitions that have them."""
    out = []
    for r in reps:
        v = r
        for k in path.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        if v is not None:
            out.append(v)
    return out


def row(reps, name, ours_path, ref_path, unit, target, higher_is_better=True):
    """A ratio row: medians of both figures and the median of the per-repetition ratios."""
    ours_v, ref_v = series(reps, ours_path), series(reps, ref_path)
    ratios = [x / y for x, y in zip(ours_v, ref_v) if x and y] if len(ours_v) == len(ref_v) else []
    ratio = statistics.median(ratios) if ratios else None
    ok = None if ratio is None or target is None else (ratio >= target if higher_is_better else ratio <= target)
    return {"figure": name, "ours": statistics.median(ours_v) if ours_v else None,
            "reference": statistics.median(ref_v) if ref_v else None, "unit": unit, "ratio": ratio,
            "ratios": ratios,
            "target": "-" if target is None else (">= " if higher_is_better else "<= ") + f"{target:g}",
            "meets_target": ok}


def table(rows):
    head = ["figure", "ours", "reference", "ratio", "range", "target", ""]
    lines = []
    for r in rows:
        rng = f"{min(r['ratios']):.3f}-{max(r['ratios']):.3f}" if r.get("ratios") else "-"
        lines.append([r["figure"],
                      "-" if r["ours"] is None else f"{r['ours']:.2f} {r['unit']}",
                      "-" if r["reference"] is None else f"{r['reference']:.2f} {r['unit']}",
                      "-" if r["ratio"] is None else f"{r['ratio']:.3f}x", rng, r["target"],
                      {True: "ok", False: "BELOW TARGET", None: "n/a" if r["target"] != "-" else "info"}[r["meets_target"]]])
    widths = [max(len(x[i]) for x in lines + [head]) for i in range(len(head))]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    out += ["  ".join(c.ljust(w) for c, w in zip(x, widths)) for x in lines]
    return "\n".join(out)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--n-gen", type=int, default=128)
    p.add_argument("--n-prompt", type=int, default=512)
    p.add_argument("--parallel", type=int, default=8)
    p.add_argument("--conc-predict", type=int, default=64)
    p.add_argument("--history", type=int, default=1000)
    p.add_argument("--smoke", action="store_true", help="tiny sizes, one repetition: checks the suite runs")
    p.add_argument("--skip", default="", help="comma list of: server, wamr, det (deterministic mode's rows), spec (speculative decoding's)")
    p.add_argument("--ngl", type=int, default=None,
                   help="layers on the GPU for every engine (llama-bench/llama-server -ngl, our "
                        "n_gpu_layers); default: each one's own default")
    p.add_argument("--fa", choices=["on", "off"], default=None,
                   help="flash attention for every engine (llama-bench/llama-server -fa, our "
                        "flash_attn); default: off on the CPU (--ngl unset or 0), on with GPU "
                        "layers -- what our \"auto\" resolves to there (llama.cpp's own \"auto\" "
                        "turns it on for the CPU too), so all engines run the same kernels")
    a = p.parse_args()
    if a.fa is None:
        a.fa = "on" if a.ngl else "off"
    a.ngl_args = ([] if a.ngl is None else ["-ngl", str(a.ngl)]) + ["-fa", a.fa]
    a.load = {"flash_attn": a.fa}
    if a.ngl is not None:
        a.load["n_gpu_layers"] = a.ngl
    a.load_args = ["--load-config", json.dumps(a.load)]
    if a.smoke:
        a.reps, a.n_gen, a.n_prompt, a.conc_predict, a.history = 1, 16, 64, 8, 128
    a.ctx = max(2048, a.history + 256, a.n_prompt + a.n_gen + 64)
    a.build = os.path.abspath(a.build)
    a.model = os.path.abspath(a.model)
    tools = {"llama-bench": "bin", "llama-batched-bench": "bin", "llama-server": "bin", "wasi-nn-bench": "bench"}
    a.tool = lambda name: os.path.join(a.build, tools[name], name)
    for name in ("llama-bench", "llama-server", "wasi-nn-bench"):
        if not os.access(a.tool(name), os.X_OK):
            fail(f"{a.tool(name)} is missing (build the 'bench' target, or run bench/run.sh without --no-build)")
    a.skip = set(filter(None, a.skip.split(",")))
    a.guest = "wamr" not in a.skip and E.guest_available(a)
    a.det = "det" not in a.skip and not a.ngl  # the mode refuses layers on a GPU
    a.spec = "spec" not in a.skip
    return a


def main():
    a = parse_args()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    a.results_dir = os.path.join(a.build, "bench-results", f"{stamp}-{socket.gethostname()}")
    os.makedirs(a.results_dir, exist_ok=True)
    info = E.machine_info()
    log(f"machine: {info['nproc']} CPUs, {info['cpu']}, {info['mem_gib']} GiB, "
        f"load average {' '.join(f'{x:.2f}' for x in info['load_average'])}")
    log(f"model:   {a.model} ({os.path.getsize(a.model) / 2**20:.0f} MiB)")
    log(f"gpu layers: {'each engine default' if a.ngl is None else a.ngl}; flash attention {a.fa} for every engine")
    log(f"threads: {a.threads}, repetitions: {a.reps} (interleaved pairs), decode {a.n_gen} tokens, prompt "
        f"{a.n_prompt} tokens, {a.parallel} sessions x {a.conc_predict} tokens, history {a.history} tokens, "
        f"ctx {a.ctx} per sequence")
    if not a.guest and "wamr" not in a.skip:
        log("  (wasi-nn-run or guests/complete.wasm not built: guest figure skipped)")
    commands, reps = [], []
    t0 = time.monotonic()
    server = None
    try:
        if "server" not in a.skip:
            try:
                server = E.Server(a, commands)
            except (RuntimeError, OSError, urllib.error.URLError) as e:
                fail(f"llama-server: {e}")
        for a.rep in range(a.reps):
            try:
                reps.append(repetition(a, commands, server))
            except (RuntimeError, OSError, urllib.error.URLError) as e:
                fail(f"llama-server: {e}")
    finally:
        if server:
            server.stop()
    ttft = E.ours_ttft(a, commands)
    log(f"  turn two: {ttft['reuse_ms']:.1f} ms reusing {ttft['cached_tokens']} of {ttft['history_tokens']} "
        f"tokens, {ttft['full_ms']:.1f} ms re-processing them (median of {a.reps})")

    n = a.parallel
    rows = [
        row(reps, f"decode tg{a.n_gen}: ours / llama-bench", "ours_single.tg", "llama_bench.tg", "t/s", 0.97),
        row(reps, f"prompt pp{a.n_prompt}: ours / llama-bench", "ours_single.pp", "llama_bench.pp", "t/s", 0.97),
        row(reps, f"{n} concurrent / sequential", "ours_serving.concurrent", "ours_serving.sequential", "t/s", 3),
        row(reps, f"  the kernels' bound: llama-batched-bench npl{n} / npl1", "batched_bench.tgN",
            "batched_bench.tg1", "t/s", None),
        row(reps, f"{n} concurrent: ours / llama-server -np {n}", "ours_serving.concurrent",
            "llama_server.concurrent", "t/s", 1.1),
        row(reps, f"{n} concurrent: ours / llama-batched-bench npl{n}", "ours_serving.concurrent",
            "batched_bench.tgN", "t/s", None),
        row(reps, f"{n} concurrent: {n} tenants / one tenant (isolation cost)", "tenants.isolated.serving",
            "tenants.one_tenant.serving", "t/s", 0.95),
        row(reps, f"shared prefix, {n - 1} at once: {n} tenants / one tenant", "tenants.isolated.prefix_ms",
            "tenants.one_tenant.prefix_ms", "ms", None, higher_is_better=False),
        row(reps, f"shared prefix, {n - 1} at once: share group / one tenant", "tenants.share_group.prefix_ms",
            "tenants.one_tenant.prefix_ms", "ms", None, higher_is_better=False),
        {**row([ttft], "turn-two TTFT: KV reuse / full history", "reuse_ms", "full_ms", "ms", 0.1,
               higher_is_better=False), "ratios": None},
        row(reps, f"decode tg{a.n_gen}: WAMR guest / native ABI", "guest.tg", "native.tg", "t/s", 0.99),
        row(reps, f"speculative n-gram / plain: decode tg{a.n_gen}, repetitive prompt", "spec_ngram.tg",
            "spec_plain.tg", "t/s", None),
        row(reps, f"speculative self-draft / plain: decode tg{a.n_gen}, repetitive prompt", "spec_self.tg",
            "spec_plain.tg", "t/s", None),
        row(reps, f"deterministic / normal: decode tg{a.n_gen}", "det_single.tg", "ours_single.tg", "t/s", 0.95),
        row(reps, f"deterministic / normal: prompt pp{a.n_prompt}", "det_single.pp", "ours_single.pp", "t/s", None),
        row(reps, f"deterministic / normal: {n} concurrent", "det_serving.concurrent", "ours_serving.concurrent",
            "t/s", 0.8),
        row(reps, f"deterministic / normal: {n} concurrent, request latency p50", "det_serving.latency_p50",
            "ours_serving.latency_p50", "ms", None, higher_is_better=False),
        row(reps, f"deterministic / normal: {n} concurrent, request latency p95", "det_serving.latency_p95",
            "ours_serving.latency_p95", "ms", None, higher_is_better=False),
        row(reps, f"deterministic / normal: {n} concurrent, time to first token p50", "det_serving.ttft_p50",
            "ours_serving.ttft_p50", "ms", None, higher_is_better=False),
    ]
    info["load_average_end"] = list(os.getloadavg())
    log("")
    log("commands (each run once per repetition):")
    for c in dict.fromkeys(commands):
        log("  " + c)
    log("")
    log(table(rows))
    log(f"(ratio rows: decode ours/llama-bench, prompt ours/llama-bench, concurrent/sequential, "
        f"ours/llama-server, reuse/full, guest/native, deterministic/normal; median of {a.reps} interleaved pairs, range = "
        f"lowest-highest pair; {time.monotonic() - t0:.0f} s in all)")
    result = {"date": stamp, "machine": info, "model": a.model, "threads": a.threads, "reps": a.reps,
              "n_gpu_layers": a.ngl, "flash_attn": a.fa, "parallel": a.parallel, "smoke": a.smoke,
              "commands": list(dict.fromkeys(commands)), "table": rows, "repetitions": reps, "ttft": ttft,
              "server_prompts_replaced": sorted(server.replaced) if server else None}
    path = os.path.join(a.build, "bench-results", f"{stamp}-{socket.gethostname()}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    log(f"results: {path}")


if __name__ == "__main__":
    main()
