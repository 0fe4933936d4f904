"""The engines bench.py compares, one measurement each per call.

Each function runs one repetition of one engine and returns its figures, so bench.py can
interleave ours and the reference within every repetition (this VM's speed drifts by up to a
quarter within minutes: figures taken one after another are not comparable, pairs are).
"""
import json
import os
import platform
import re
import shlex
import signal
import socket
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


def run(cmd, commands, timeout=STEP_TIMEOUT_S):
    """Runs cmd, records it in commands, returns its stdout; its stderr is shown when it fails."""
    commands.append(shlex.join(cmd))
    deadline = time.monotonic() + timeout
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          errors="replace") as p:
        err = []
        drain = threading.Thread(target=lambda: err.extend(p.stderr))
        drain.start()
        out = list(p.stdout)
        try:
            p.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            fail(f"{os.path.basename(cmd[0])} ran past {timeout} s")
        drain.join()
    if p.returncode != 0:
        sys.stderr.write("".join(err)[-4000:])
        fail(f"{os.path.basename(cmd[0])} exited with status {p.returncode}: {shlex.join(cmd)}")
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


# ---- llama.cpp's own tools --------------------------------------------------------------------

def llama_bench(a, commands):
    """One llama-bench repetition (after its own warm-up): {"pp": t/s, "tg": t/s}."""
    out = run([a.tool("llama-bench"), "-m", a.model, "-t", str(a.threads), "-p", str(a.n_prompt),
               "-n", str(a.n_gen), "-r", "1", "-o", "json"] + a.ngl_args, commands)
    res = {}
    for t in json.loads(out):
        if t["n_prompt"] > 0 and t["n_gen"] == 0:
            res["pp"] = t["avg_ts"]
        elif t["n_gen"] > 0 and t["n_prompt"] == 0:
            res["tg"] = t["avg_ts"]
    return res


def batched_bench(a, commands):
    """llama-batched-bench: decode speed of 1 and of a.parallel sequences in one batch, the
    kernels' own ceiling for concurrent/sequential on this machine. {"tg1", "tgN"} t/s, or None
    when the tool is not built."""
    exe = a.tool("llama-batched-bench")
    if not os.access(exe, os.X_OK):
        return None
    out = run([exe, "-m", a.model, "-t", str(a.threads), "-tb", str(a.threads),
               "-c", str(a.ctx * a.parallel), "-npp", "8", "-ntg", str(a.conc_predict),
               "-npl", f"1,{a.parallel}", "--output-format", "jsonl"] + a.ngl_args, commands)
    res = {}
    for line in out.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            res["tg1" if r["pl"] == 1 else "tgN"] = r["speed_tg"]
    return res


# ---- ours: wasi-nn-bench ----------------------------------------------------------------------

def wasi_nn_bench(a, commands, tests, parallel, ctx, reps=1, extra_load=None):
    """`extra_load`: load keys added to every engine's (e.g. deterministic mode's)."""
    tag = "".join(f"-{k}" for k in (extra_load or {}))
    out_json = os.path.join(a.results_dir, f"wasi-nn-bench-{tests.replace(',', '-')}{tag}.json")
    load_args = ["--load-config", json.dumps(dict(a.load, **extra_load))] if extra_load else a.load_args
    run([a.tool("wasi-nn-bench"), "--model", a.model, "--threads", str(a.threads),
         "--reps", str(reps), "--n-gen", str(a.n_gen), "--n-prompt", str(a.n_prompt),
         "--parallel", str(parallel), "--conc-predict", str(a.conc_predict),
         "--history", str(a.history), "--ctx", str(ctx), "--only", tests,
         "--json", out_json] + load_args, commands)
    with open(out_json) as f:
        return json.load(f)


def ours_single(a, commands, extra_load=None):
    """Decode and prompt on a one-sequence context sized like llama-bench's (prompt + generated
    tokens): without flash attention the V cache is stored transposed, and a larger context
    spreads its rows further apart, so a 512-token pass would run measurably slower."""
    r = wasi_nn_bench(a, commands, "decode,prompt", 1, a.n_prompt + a.n_gen + 64, extra_load=extra_load)
    return {"tg": r["decode"]["tokens_per_second"], "pp": r["prompt"]["tokens_per_second"]}


def ours_serving(a, commands, extra_load=None):
    """a.parallel requests at once, then the same requests one after another, on an engine
    holding a.parallel sequences (as llama-server -np does)."""
    r = wasi_nn_bench(a, commands, "concurrent", a.parallel, a.ctx, extra_load=extra_load)["concurrent"]
    return {"concurrent": r["tokens_per_second"], "sequential": r["sequential_tokens_per_second"],
            "latency_p50": r["latency_ms_p50"], "latency_p95": r["latency_ms_p95"],
            "ttft_p50": r["ttft_ms_p50"], "ttft_p95": r["ttft_ms_p95"]}


def ours_repetitive(a, commands, extra_load):
    """Greedy decoding after a repetitive prompt (wasi-nn-bench --only repetitive), on an engine
    loaded with `extra_load` (speculative decoding's keys) or plainly."""
    r = wasi_nn_bench(a, commands, "repetitive", 1, a.n_prompt + a.n_gen + 256, reps=1,
                      extra_load=extra_load)["repetitive"]
    return {"tg": r["tokens_per_second"], "drafted": r["drafted_tokens"], "accepted": r["accepted_tokens"]}


def ours_tenants(a, commands):
    """What per-tenant prefix isolation costs: the serving workload and a shared-prefix one with
    a.parallel conversations as one tenant, as a.parallel tenants (isolated, the default) and as
    a.parallel tenants in one operator share group (tenants_bench.cpp)."""
    r = wasi_nn_bench(a, commands, "tenants", a.parallel, a.ctx)["tenants"]
    return {layout: {"serving": r[layout]["serving"]["tokens_per_second"],
                     "prefix_ms": r[layout]["prefix"]["wall_ms"],
                     "shared_tokens": r[layout]["prefix"]["shared_tokens"]}
            for layout in ("one_tenant", "isolated", "share_group")}


def ours_ttft(a, commands):
    """Turn two with and without the KV cache, a.reps times each in one process (a ratio
    within one run, so it needs no pairing)."""
    return wasi_nn_bench(a, commands, "ttft", a.parallel, a.ctx, reps=a.reps)["ttft"]


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


class Server:
    """llama-server --parallel N, started once and kept idle between its measurements."""

    def __init__(self, a, commands):
        self.a = a
        exe = a.tool("llama-server")
        port = free_port()
        cmd = [exe, "-m", a.model, "-t", str(a.threads), "-tb", str(a.threads), "-np", str(a.parallel),
               "-c", str(a.ctx * a.parallel), "--host", "127.0.0.1", "--port", str(port)] + a.ngl_args
        helptext = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, errors="replace", timeout=60).stdout
        if "--no-webui" in helptext:
            cmd.append("--no-webui")
        commands.append(shlex.join(cmd))
        self.logf = open(os.path.join(a.results_dir, "llama-server.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{port}"
        self.prompts = [f"Story {i}: once upon a time" for i in range(a.parallel)]
        self.replaced = set()
        try:
            self._wait_ready()
            self.batch()  # warm-up; also finds prompts whose output llama-server accepts
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self):
        deadline = time.monotonic() + 600
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama-server exited with status {self.proc.returncode} (see {self.logf.name})")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama-server did not become ready in 600 s")
            time.sleep(0.5)

    def _once(self):
        """N concurrent /completion requests: (wall t/s, t/s from its timings, failed indices).

        failed lists the requests llama-server answered with its "does not match the expected
        Content-only format" error: its final output parser rejects text that is not valid
        UTF-8, which a random-weights model may produce; batch() retries them with another
        prompt of the same length."""
        a = self.a
        results, errors, failed = [None] * a.parallel, [], []
        go = threading.Event()

        def one(i):
            go.wait()
            try:
                results[i] = post(self.url + "/completion", {
                    "prompt": self.prompts[i], "n_predict": a.conc_predict,
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
            return None, None, failed
        n = sum(r["timings"]["predicted_n"] for r in results)
        span_ms = max(r["timings"]["prompt_ms"] + r["timings"]["predicted_ms"] for r in results)
        return n / wall, n * 1000.0 / span_ms, []

    def batch(self):
        """One measurement: {"concurrent": wall-clock t/s, "timings": t/s from its own timings}."""
        for attempt in range(8):
            wall, timed, failed = self._once()
            if not failed:
                return {"concurrent": wall, "timings": timed}
            for i in failed:
                self.replaced.add(i)
                self.prompts[i] = f"Story {i + 10 * (attempt + 1)}: once upon a time"
        raise RuntimeError("llama-server kept rejecting the random model's (non-UTF-8) output")

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.logf.close()


# ---- the guest through WAMR -------------------------------------------------------------------

def guest_available(a):
    return (os.path.exists(os.path.join(a.build, "src", "abi", "wasi-nn-run")) and
            os.path.exists(os.path.join(a.build, "guests", "complete.wasm")))


def wamr_guest(a, commands):
    """guests/complete.wasm under wasi-nn-run: decode t/s from the metadata the guest prints."""
    host = os.path.join(a.build, "src", "abi", "wasi-nn-run")
    wasm = os.path.join(a.build, "guests", "complete.wasm")
    request = {"mode": "raw", "temperature": 0, "ignore_eos": True, "n_predict": a.n_gen,
               "cache_prompt": False}
    load = dict(a.load, ctx_size=a.ctx, n_parallel=a.parallel, threads=a.threads, threads_batch=a.threads)
    out = run([host, "--nn-preload", f"default:GGML:AUTO:{a.model}", wasm, "default",
               "Once upon a time", json.dumps(request), "--config", json.dumps(load)], commands)
    meta = json.loads(out.rstrip("\n").rsplit("\n", 1)[-1])
    if meta["output_tokens"] != a.n_gen:
        fail(f"the guest generated {meta['output_tokens']} tokens, not {a.n_gen}")
    return {"tg": meta["timings"]["generate_tokens_per_second"]}


def native_decode(a, commands):
    """Our decode through the C ABI on the same engine shape as the guest's load config."""
    r = wasi_nn_bench(a, commands, "decode", a.parallel, a.ctx)
    return {"tg": r["decode"]["tokens_per_second"]}
