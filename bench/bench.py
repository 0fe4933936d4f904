#!/usr/bin/env python3
"""Runs every benchmark of bench/run.sh in one process run and prints the ratios.

bench/run.sh builds the tools and resolves the model, then calls:

    bench.py --build BUILD_DIR --model M.gguf --threads T --reps R [--smoke]

In the same run, on the same model and thread count:
  llama-bench   -p N_PROMPT -n N_GEN -r R -o json          (llama.cpp's reference figures)
  wasi-nn-bench the seed C ABI: decode, prompt, concurrency, turn-two TTFT
  llama-server  --parallel N: the same N concurrent requests over HTTP
  wasi-nn-run   guests/complete.wasm through WAMR: decode tokens/s
Prints the machine, the commands, a table of ratios against their targets, and writes all
figures to BUILD_DIR/bench-results/<date>-<host>.json. Exit status 0 when every step ran
(a figure below its target is reported, not an error), 1 when a step failed.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

STEP_TIMEOUT_S = 3600


def log(msg):
    print(msg, flush=True)


def fail(msg):
    print(f"run.sh: error: {msg}", flush=True)
    sys.exit(1)


def run(cmd, commands, timeout=STEP_TIMEOUT_S, echo=False):
    """Runs cmd, records it in commands, returns its stdout (echoed line by line, indented, when
    echo is set); its stderr is shown when it fails."""
    commands.append(shlex.join(cmd))
    log(f"$ {shlex.join(cmd)}")
    deadline = time.monotonic() + timeout
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          errors="replace") as p:
        err = []
        drain = threading.Thread(target=lambda: err.extend(p.stderr))
        drain.start()
        out = []
        for line in p.stdout:
            out.append(line)
            if echo:
                log("  " + line.rstrip("\n"))
        try:
            p.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            fail(f"{os.path.basename(cmd[0])} ran past {timeout} s")
        drain.join()
    if p.returncode != 0:
        sys.stderr.write("".join(err)[-4000:])
        fail(f"{os.path.basename(cmd[0])} exited with status {p.returncode}")
    return "".join(out)


def machine_info():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            cpu = m.group(1) if m else cpu
    except OSError:
        pass
    mem_gib = 0.0
    try:
        with open("/proc/meminfo") as f:
            mem_gib = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1)) / 2**20
    except (OSError, AttributeError):
        pass
    return {"host": socket.gethostname(), "nproc": os.cpu_count(), "cpu": cpu,
            "mem_gib": round(mem_gib, 1), "load_average": list(os.getloadavg()),
            "kernel": platform.release()}


# ---- llama-bench ------------------------------------------------------------------------------

def llama_bench(a, commands):
    out = run([a.tool("llama-bench"), "-m", a.model, "-t", str(a.threads), "-p", str(a.n_prompt),
               "-n", str(a.n_gen), "-r", str(a.reps), "-o", "json"] + a.ngl_args, commands)
    res = {"runs": json.loads(out)}
    for t in res["runs"]:
        if t["n_prompt"] > 0 and t["n_gen"] == 0:
            res["pp_tokens_per_second"] = t["avg_ts"]
        elif t["n_gen"] > 0 and t["n_prompt"] == 0:
            res["tg_tokens_per_second"] = t["avg_ts"]
    log(f"  llama-bench: pp{a.n_prompt} {res['pp_tokens_per_second']:.2f} t/s, "
        f"tg{a.n_gen} {res['tg_tokens_per_second']:.2f} t/s (mean of {a.reps})")
    return res


# ---- wasi-nn-bench ----------------------------------------------------------------------------

def ours(a, commands):
    """Single-stream figures (decode, prompt) on a one-sequence context, as llama-bench measures
    them; serving figures (concurrent, ttft) on an engine holding a.parallel sequences, as
    llama-server -np does. One JSON: the serving run's, with the single-stream tests merged in."""
    res = {}
    # llama-bench sizes its context to its test (prompt + generated tokens); so does the
    # single-stream engine here. Without flash attention the V cache is stored transposed, and a
    # larger context spreads its rows further apart: a 512-token pass then runs measurably slower.
    single_ctx = a.n_prompt + a.n_gen + 64
    for tests, parallel, ctx in (("decode,prompt", 1, single_ctx), ("concurrent,ttft", a.parallel, a.ctx)):
        out_json = os.path.join(a.results_dir, f"wasi-nn-bench-{tests.replace(',', '-')}.json")
        run([a.tool("wasi-nn-bench"), "--model", a.model, "--threads", str(a.threads),
             "--reps", str(a.reps), "--n-gen", str(a.n_gen), "--n-prompt", str(a.n_prompt),
             "--parallel", str(parallel), "--conc-predict", str(a.conc_predict),
             "--history", str(a.history), "--ctx", str(ctx), "--only", tests,
             "--json", out_json] + a.load_args, commands, echo=True)
        with open(out_json) as f:
            part = json.load(f)
        part[f"load_config_{tests.replace(',', '_')}"] = part.pop("load_config", None)
        res.update(part)
    return res


# ---- llama-server -----------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, timeout):
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def server_batch(url, a, prompts):
    """N concurrent /completion requests; returns (wall tokens/s, timings tokens/s, tokens, failed).

    failed lists the requests llama-server answered with its "does not match the expected
    Content-only format" error: its final output parser rejects text that is not valid UTF-8,
    which a random-weights model may produce; the caller retries those with another prompt."""
    results, errors, failed = [None] * a.parallel, [], []
    go = threading.Event()

    def one(i):
        go.wait()
        try:
            results[i] = post(url + "/completion", {
                "prompt": prompts[i], "n_predict": a.conc_predict,
                "ignore_eos": True, "temperature": 0, "cache_prompt": False}, timeout=1800)
        except urllib.error.HTTPError as e:
            body = e.read().decode(errors="replace")
            if "does not match the expected" in body:
                failed.append(i)
            else:
                errors.append(f"request {i}: {e}: {body[:300]}")
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(f"request {i}: {e}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(a.parallel)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    go.set()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    if errors:
        raise RuntimeError("; ".join(errors))
    if failed:
        return None, None, 0, failed
    n = sum(r["timings"]["predicted_n"] for r in results)
    span_ms = max(r["timings"]["prompt_ms"] + r["timings"]["predicted_ms"] for r in results)
    return n / wall, n * 1000.0 / span_ms, n, []


def server_batch_valid(url, a, prompts, replaced):
    """server_batch, retried with other prompts (same length) for requests llama-server fails."""
    for attempt in range(8):
        w, t, n, failed = server_batch(url, a, prompts)
        if not failed:
            return w, t, n
        for i in failed:
            replaced.add(i)
            prompts[i] = f"Story {i + 10 * (attempt + 1)}: once upon a time"
    raise RuntimeError("llama-server kept rejecting the random model's (non-UTF-8) output")


def llama_server(a, commands):
    exe = a.tool("llama-server")
    port = free_port()
    cmd = [exe, "-m", a.model, "-t", str(a.threads), "-tb", str(a.threads), "-np", str(a.parallel),
           "-c", str(a.ctx * a.parallel), "--host", "127.0.0.1", "--port", str(port)] + a.ngl_args
    helptext = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace", timeout=60).stdout
    if "--no-webui" in helptext:
        cmd.append("--no-webui")
    commands.append(shlex.join(cmd))
    log(f"$ {shlex.join(cmd)}")
    logf = open(os.path.join(a.results_dir, "llama-server.log"), "w")
    proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama-server exited with status {proc.returncode} (see {logf.name})")
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama-server did not become ready in 600 s")
            time.sleep(0.5)
        # The first batch warms up and finds prompts whose output llama-server accepts.
        prompts = [f"Story {i}: once upon a time" for i in range(a.parallel)]
        replaced = set()
        server_batch_valid(url, a, prompts, replaced)
        wall, timed, n = [], [], 0
        for _ in range(a.reps):
            w, t, n = server_batch_valid(url, a, prompts, replaced)
            wall.append(w)
            timed.append(t)
        res = {"tokens_per_second": statistics.median(wall), "runs": wall,
               "timings_tokens_per_second": statistics.median(timed), "timings_runs": timed,
               "tokens": n, "prompts": prompts, "prompts_replaced": sorted(replaced), "source": "wall clock from the common start to the last response; "
               "timings_*: sum predicted_n / max(prompt_ms + predicted_ms)"}
        log(f"  llama-server: {a.parallel}x{a.conc_predict} {res['tokens_per_second']:.2f} t/s aggregate "
            f"(wall clock; from its timings {res['timings_tokens_per_second']:.2f}; median of {a.reps})")
        return res
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        logf.close()


# ---- the guest through WAMR -------------------------------------------------------------------

def wamr_guest(a, commands):
    host = os.path.join(a.build, "src", "abi", "wasi-nn-run")
    wasm = os.path.join(a.build, "guests", "complete.wasm")
    if not (os.path.exists(host) and os.path.exists(wasm)):
        log("  (wasi-nn-run or guests/complete.wasm not built: guest figure skipped)")
        return None
    request = {"mode": "raw", "temperature": 0, "ignore_eos": True, "n_predict": a.n_gen,
               "cache_prompt": False}
    load = dict(a.load, ctx_size=a.ctx, n_parallel=a.parallel, threads=a.threads, threads_batch=a.threads)
    # Each guest run is paired with a native decode run right after it, so both see the same
    # machine load (on a shared machine, figures taken minutes apart are not comparable).
    tps, native = [], []
    for _ in range(a.reps):
        out = run([host, "--nn-preload", f"default:GGML:AUTO:{a.model}", wasm, "default",
                   "Once upon a time", json.dumps(request), "--config", json.dumps(load)], commands)
        meta = json.loads(out.rstrip("\n").rsplit("\n", 1)[-1])
        if meta["output_tokens"] != a.n_gen:
            fail(f"the guest generated {meta['output_tokens']} tokens, not {a.n_gen}")
        tps.append(meta["timings"]["generate_tokens_per_second"])
        out_json = os.path.join(a.results_dir, "native-decode.json")
        run([a.tool("wasi-nn-bench"), "--model", a.model, "--threads", str(a.threads), "--reps", "1",
             "--n-gen", str(a.n_gen), "--parallel", str(a.parallel), "--ctx", str(a.ctx),
             "--only", "decode", "--json", out_json] + a.load_args, commands)
        with open(out_json) as f:
            native.append(json.load(f)["decode"]["tokens_per_second"])
    res = {"tokens_per_second": statistics.median(tps), "runs": tps,
           "native_tokens_per_second": statistics.median(native), "native_runs": native,
           "source": "metadata timings.generate_tokens_per_second printed by the guest; native: "
                     "wasi-nn-bench --only decode run right after each guest run"}
    log(f"  wamr guest: tg{a.n_gen} {res['tokens_per_second']:.2f} t/s, native right after "
        f"{res['native_tokens_per_second']:.2f} t/s (median of {a.reps} pairs)")
    return res


# ---- report -----------------------------------------------------------------------------------

def row(name, ours_v, ref_v, unit, target, higher_is_better=True):
    ratio = ours_v / ref_v if ours_v and ref_v else None
    ok = None if ratio is None else (ratio >= target if higher_is_better else ratio <= target)
    return {"figure": name, "ours": ours_v, "reference": ref_v, "unit": unit, "ratio": ratio,
            "target": (">= " if higher_is_better else "<= ") + f"{target:g}", "meets_target": ok}


def table(rows):
    head = ["figure", "ours", "reference", "ratio", "target", ""]
    lines = []
    for r in rows:
        lines.append([r["figure"],
                      "-" if r["ours"] is None else f"{r['ours']:.2f} {r['unit']}",
                      "-" if r["reference"] is None else f"{r['reference']:.2f} {r['unit']}",
                      "-" if r["ratio"] is None else f"{r['ratio']:.3f}x",
                      r["target"],
                      {True: "ok", False: "BELOW TARGET", None: "n/a"}[r["meets_target"]]])
    widths = [max(len(x[i]) for x in lines + [head]) for i in range(len(head))]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    out += ["  ".join(c.ljust(w) for c, w in zip(x, widths)) for x in lines]
    return "\n".join(out)


def main():
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
    p.add_argument("--skip", default="", help="comma list of: server, wamr")
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
    tools = {"llama-bench": "bin", "llama-server": "bin", "wasi-nn-bench": "bench"}
    a.tool = lambda name: os.path.join(a.build, tools[name], name)
    for name in tools:
        if not os.access(a.tool(name), os.X_OK):
            fail(f"{a.tool(name)} is missing (build the 'bench' target, or run bench/run.sh without --no-build)")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    a.results_dir = os.path.join(a.build, "bench-results", f"{stamp}-{socket.gethostname()}")
    os.makedirs(a.results_dir, exist_ok=True)

    info = machine_info()
    log(f"machine: {info['nproc']} CPUs, {info['cpu']}, {info['mem_gib']} GiB, "
        f"load average {' '.join(f'{x:.2f}' for x in info['load_average'])}")
    log(f"model:   {a.model} ({os.path.getsize(a.model) / 2**20:.0f} MiB)")
    log(f"gpu layers: {'each engine default' if a.ngl is None else a.ngl}; flash attention {a.fa} for every engine")
    log(f"threads: {a.threads}, repetitions: {a.reps}, decode {a.n_gen} tokens, prompt {a.n_prompt} tokens, "
        f"{a.parallel} sessions x {a.conc_predict} tokens, history {a.history} tokens, ctx {a.ctx} per sequence")
    commands = []
    skip = set(filter(None, a.skip.split(",")))
    t0 = time.monotonic()
    lb = llama_bench(a, commands)
    us = ours(a, commands)
    try:
        srv = None if "server" in skip else llama_server(a, commands)
    except (RuntimeError, OSError, urllib.error.URLError) as e:
        fail(f"llama-server: {e}")
    guest = None if "wamr" in skip else wamr_guest(a, commands)

    conc = us["concurrent"]
    rows = [
        row(f"decode tg{a.n_gen}: ours / llama-bench", us["decode"]["tokens_per_second"],
            lb["tg_tokens_per_second"], "t/s", 0.97),
        row(f"prompt pp{a.n_prompt}: ours / llama-bench", us["prompt"]["tokens_per_second"],
            lb["pp_tokens_per_second"], "t/s", 0.97),
        row(f"{a.parallel} concurrent / sequential", conc["tokens_per_second"],
            conc["sequential_tokens_per_second"], "t/s", 3),
        row(f"{a.parallel} concurrent: ours / llama-server -np {a.parallel}", conc["tokens_per_second"],
            srv["tokens_per_second"] if srv else None, "t/s", 1.1),
        row(f"turn-two TTFT: KV reuse / full history", us["ttft"]["reuse_ms"], us["ttft"]["full_ms"],
            "ms", 0.1, higher_is_better=False),
        row(f"decode tg{a.n_gen}: WAMR guest / native ABI", guest["tokens_per_second"] if guest else None,
            guest["native_tokens_per_second"] if guest else None, "t/s", 0.99),
    ]
    info["load_average_end"] = list(os.getloadavg())
    log("")
    log("commands:")
    commands = list(dict.fromkeys(commands))  # a command repeated R times is shown once
    for c in commands:
        log("  " + c)
    log("")
    log(table(rows))
    log(f"(ratio rows: decode ours/llama-bench, prompt ours/llama-bench, concurrent/sequential, "
        f"ours/llama-server, reuse/full, guest/native; {time.monotonic() - t0:.0f} s in all)")
    result = {"date": stamp, "machine": info, "model": a.model, "threads": a.threads, "reps": a.reps,
              "n_gpu_layers": a.ngl, "flash_attn": a.fa, "parallel": a.parallel,
              "smoke": a.smoke, "commands": commands, "table": rows, "llama_bench": lb,
              "wasi_nn_bench": us, "llama_server": srv, "wamr_guest": guest}
    path = os.path.join(a.build, "bench-results", f"{stamp}-{socket.gethostname()}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    log(f"results: {path}")


if __name__ == "__main__":
    main()
