#!/usr/bin/env python3
"""Three `statemark serve --bundle` replicas behind nginx, fed by a bundle server.

Real parts on loopback: nginx (deploy/nginx.conf, ports changed) balancing three
replicas; a second nginx serving the bundle directory with ETags; a load generator
sending decisions through the balancer for the whole run. Asserts, in order:
  1. every replica starts from the signed bundle v1;
  2. publish v2: every replica serves it within two poll intervals;
  3. publish a tampered bundle, one signed by another key, and an unsigned one:
     every replica refuses each (with the reason in GET /v1/policy) and keeps v2;
  4. stop the bundle server: every replica keeps serving v2;
  5. restart a replica while the bundle server is down: it serves v2 from its cache;
  6. zero failed requests through nginx from start to end.
Usage: replicas_test.py STATEMARK SOURCE_DIR
"""
import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request

INTERVAL = 1.0  # --bundle-interval, seconds
DEADLINE = 2 * INTERVAL  # the promise: every replica within two poll intervals
# Reading a replica's state is itself a poll (50 ms) on a 2-core machine that runs the
# load generator too; allow that much on top of the promise when timing.
OBSERVE_SLACK = 0.5

STATEMARK, SOURCE = sys.argv[1], sys.argv[2]
# nginx workers run as another user when started by root: whatever they read must be
# readable by others, whatever the caller's umask.
os.umask(0o022)
WORK = tempfile.mkdtemp(prefix="statemark-replicas-")
os.chmod(WORK, 0o755)
processes = []


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def fail(message):
    log("FAIL: " + message)
    for name in ("lb/logs/error.log", "bundles/logs/error.log"):
        path = os.path.join(WORK, name)
        if os.path.exists(path):
            print(f"--- {name}\n" + open(path).read()[-3000:])
    for i in range(3):
        path = os.path.join(WORK, f"replica{i}.log")
        if os.path.exists(path):
            print(f"--- replica{i}.log\n" + open(path).read()[-3000:])
    raise SystemExit(1)


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def run(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw)


def get_json(port, path, timeout=2.0):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
    except (OSError, ValueError):
        return None, None


def wait_for(what, predicate, timeout):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    fail(f"timed out after {timeout:.1f} s waiting for {what}")


# --- The policy versions and keys --------------------------------------------------

def make_policy(name, note):
    """A copy of the default policy whose version differs by a comment."""
    path = os.path.join(WORK, name)
    shutil.copytree(os.path.join(SOURCE, "rules"), path, ignore=shutil.ignore_patterns("tests"))
    with open(os.path.join(path, "platform.yaml"), "a") as f:
        f.write(f"# {note}\n")
    return path


def bundle(policy, out, revision, key=None):
    args = [STATEMARK, "bundle", policy, "-o", out, "--revision", revision,
            "--created", "2024-07-01T12:00:00Z"]
    if key:
        args += ["--sign", key]
    result = run(*args)
    version = [l.split()[1] for l in result.stderr.splitlines() if "policy_version" in l][0]
    return version


www = os.path.join(WORK, "www")
os.makedirs(www)
os.chmod(www, 0o755)
PUBLISHED = os.path.join(www, "policy.tar.gz")
publish_count = [0]


def publish(path):
    """Publishes by rename, with a fresh modification time: nginx's ETag is built from
    the file's mtime and size, so every publication gets a new one."""
    publish_count[0] += 1
    tmp = PUBLISHED + ".new"
    shutil.copyfile(path, tmp)
    os.chmod(tmp, 0o644)
    stamp = time.time() + publish_count[0]
    os.utime(tmp, (stamp, stamp))
    os.rename(tmp, PUBLISHED)


key, pub = os.path.join(WORK, "signing.key"), os.path.join(WORK, "signing.pub")
other_key, other_pub = os.path.join(WORK, "other.key"), os.path.join(WORK, "other.pub")
run(STATEMARK, "bundle", "keygen", key, pub)
run(STATEMARK, "bundle", "keygen", other_key, other_pub)

v1_dir, v2_dir = make_policy("v1", "release 1"), make_policy("v2", "release 2")
v1 = bundle(v1_dir, os.path.join(WORK, "v1.tar.gz"), "rev-1", key)
v2 = bundle(v2_dir, os.path.join(WORK, "v2.tar.gz"), "rev-2", key)
v3_dir = make_policy("v3", "release 3")
bundle(v3_dir, os.path.join(WORK, "wrong-key.tar.gz"), "rev-3", other_key)
bundle(v3_dir, os.path.join(WORK, "unsigned.tar.gz"), "rev-3")

# Tampered: v3's files under v2's signed manifest and signature.
tampered = os.path.join(WORK, "tampered.tar.gz")
with tarfile.open(os.path.join(WORK, "v2.tar.gz")) as src, tarfile.open(tampered, "w:gz") as dst:
    for member in src.getmembers():
        data = src.extractfile(member).read()
        if member.name == "policy/platform.yaml":
            data = data.replace(b"release 2", b"release X")  # same size, other bytes
        member.size = len(data)
        dst.addfile(member, io.BytesIO(data))
assert v1 != v2

# --- The pieces ------------------------------------------------------------------

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
lb_port, bundle_port, *replica_ports = free_ports(5)


def start_nginx(name, config):
    prefix = os.path.join(WORK, name)
    for d in ("logs", "tmp"):
        os.makedirs(os.path.join(prefix, d), exist_ok=True)
    os.chmod(prefix, 0o755)
    os.chmod(os.path.join(prefix, "tmp"), 0o1777)  # the workers' buffers
    conf = os.path.join(prefix, "nginx.conf")
    if os.geteuid() == 0:
        # Started by root, nginx's workers would run as `nobody`, which may not reach the
        # test's files (a private /tmp, a restrictive parent); keep them as the caller.
        config = "user root;\n" + config
    with open(conf, "w") as f:
        f.write(config)
    p = subprocess.Popen([NGINX, "-p", prefix, "-c", conf, "-e",
                          os.path.join(prefix, "logs", "error.log"), "-g", "daemon off;"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    processes.append(p)
    return p


def start_bundle_server():
    config = f"""worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log logs/access.log;
  client_body_temp_path tmp/body; proxy_temp_path tmp/proxy; fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi; scgi_temp_path tmp/scgi;
  server {{
    listen 127.0.0.1:{bundle_port};
    root {www};
    etag on;
  }}
}}
"""
    p = start_nginx("bundles", config)
    wait_for("the bundle server", lambda: urlopen_status(bundle_port, "/policy.tar.gz") == 200, 10)
    return p


def urlopen_status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def start_replica(i):
    out = open(os.path.join(WORK, f"replica{i}.log"), "a")
    p = subprocess.Popen([STATEMARK, "serve", "--port", str(replica_ports[i]),
                          "--bundle", f"http://127.0.0.1:{bundle_port}/policy.tar.gz",
                          "--bundle-interval", str(INTERVAL),
                          "--bundle-cache", os.path.join(WORK, f"cache{i}"),
                          "--verify-key", pub, "--no-access-log"],
                         stdout=out, stderr=out)
    processes.append(p)
    return p


def get_json_post(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/decide", REQUEST.encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status, json.loads(r.read())


def policy_of(i):
    return get_json(replica_ports[i], "/v1/policy")[1] or {}


def serving(i):
    return (policy_of(i) or {}).get("policy_version")


# --- The load generator ------------------------------------------------------------

REQUEST = json.dumps({"time": "2024-07-01T12:00:00Z", "viewer": {"country": "US"},
                      "account": {"id": "xinhua"},
                      "content": {"topics": ["current_global_affairs"]}})


class Load:
    def __init__(self, port, threads=3):
        self.port, self.stop = port, threading.Event()
        self.lock = threading.Lock()
        self.ok, self.failures, self.versions, self.upstreams = 0, [], {}, set()
        self.threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(threads)]

    def worker(self):
        conn = None
        deadline = time.monotonic() + 240  # bounded even if the test hangs
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("POST", "/v1/decide", REQUEST, {"Content-Type": "application/json"})
                r = conn.getresponse()
                body = r.read()
                version = r.getheader("X-Statemark-Policy-Version")
                with self.lock:
                    if r.status == 200 and json.loads(body)["policy_version"] == version:
                        self.ok += 1
                        self.versions[version] = self.versions.get(version, 0) + 1
                        for u in (r.getheader("X-Statemark-Upstream") or "").split(","):
                            self.upstreams.add(u.strip())
                    else:
                        self.failures.append(f"HTTP {r.status}: {body[:200]!r}")
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.failures.append(f"{type(e).__name__}: {e}")
                if conn:
                    conn.close()
                conn = None
            time.sleep(0.004)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


def main():
    log(f"work dir {WORK}; balancer :{lb_port}, bundle server :{bundle_port}, "
        f"replicas {replica_ports}")
    publish(os.path.join(WORK, "v1.tar.gz"))
    bundle_server = start_bundle_server()
    replicas = [start_replica(i) for i in range(3)]
    for i in range(3):
        wait_for(f"replica {i} to serve v1", lambda i=i: serving(i) == v1, 20)
    log("1. every replica serves v1 " + v1[:19])

    with open(os.path.join(SOURCE, "deploy", "nginx.conf")) as f:
        config = f.read()
    for old, new in [("127.0.0.1:8080", lb_port)] + [
            (f"127.0.0.1:{8081 + i}", replica_ports[i]) for i in range(3)]:
        if old not in config:
            fail(f"deploy/nginx.conf no longer holds {old}")
        config = config.replace(old, f"127.0.0.1:{new}")
    start_nginx("lb", config)
    wait_for("the balancer", lambda: get_json(lb_port, "/readyz")[0] == 200, 10)

    with Load(lb_port) as load:
        time.sleep(1.0)

        # 2. A new bundle reaches every replica within two poll intervals.
        publish(os.path.join(WORK, "v2.tar.gz"))
        published = time.monotonic()
        pending = set(range(3))
        seen = {}
        while pending and time.monotonic() - published < 3 * DEADLINE:
            for i in list(pending):
                if serving(i) == v2:
                    seen[i] = time.monotonic() - published
                    pending.discard(i)
            time.sleep(0.05)
        if pending:
            fail(f"replicas {sorted(pending)} did not serve v2 within {3 * DEADLINE} s")
        slowest = max(seen.values())
        log("2. v2 published; replicas serving it after " +
            ", ".join(f"{seen[i]:.2f} s" for i in range(3)))
        if slowest > DEADLINE + OBSERVE_SLACK:
            fail(f"a replica took {slowest:.2f} s, more than two poll intervals ({DEADLINE} s)")
        for i in range(3):
            b = policy_of(i)["bundle"]
            if b["active"]["revision"] != "rev-2" or not b["in_sync"] or \
                    b["active"]["signed_by"] is None or not b["active"]["signature_verified"]:
                fail(f"replica {i} reports {b}")
        # Through the balancer, only v2 from now on.
        for _ in range(30):
            status, body = get_json_post(lb_port)
            if status != 200 or body["policy_version"] != v2:
                fail(f"through nginx after the roll-out: {status} {body}")
        # Later polls are conditional: nginx answers 304 to If-None-Match.
        wait_for("a 304 answer to replica 0's poll",
                 lambda: (policy_of(0)["bundle"]["last_poll"] or {}).get("http_status") == 304,
                 2 * DEADLINE)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{replica_ports[0]}/metrics").read()
        if b'statemark_bundle_info{revision="rev-2"' not in metrics or \
                b"statemark_bundle_in_sync 1" not in metrics:
            fail("/metrics does not report the active bundle")

        # 3. Bad bundles are refused, with the reason, and v2 keeps serving.
        for name, code in [("tampered", "bundle-file-mismatch"),
                           ("wrong-key", "bundle-unknown-key"),
                           ("unsigned", "bundle-unsigned")]:
            publish(os.path.join(WORK, f"{name}.tar.gz"))
            start = time.monotonic()
            for i in range(3):
                wait_for(f"replica {i} to refuse the {name} bundle",
                         lambda i=i: ((policy_of(i).get("bundle") or {}).get("last_error")
                                      or {}).get("code") == code
                         and policy_of(i)["bundle"]["last_poll"]["result"] == "refused",
                         3 * DEADLINE)
            for i in range(3):
                p = policy_of(i)
                if p["policy_version"] != v2 or p["last_reload"]["ok"] or \
                        p["last_reload"]["diagnostics"][0]["code"] != code or \
                        p["bundle"]["in_sync"]:
                    fail(f"replica {i} after the {name} bundle: {json.dumps(p)[:600]}")
            log(f"3. {name} bundle refused by every replica ({code}) within "
                f"{time.monotonic() - start:.2f} s; v2 still serving: "
                + p["last_reload"]["diagnostics"][0]["message"][:90])

        # 4. The bundle server goes away; the replicas keep serving.
        bundle_server.send_signal(signal.SIGQUIT)
        bundle_server.wait(10)
        time.sleep(2 * INTERVAL + 0.5)
        for i in range(3):
            p = policy_of(i)
            if p.get("policy_version") != v2 or p["bundle"]["last_poll"]["result"] != "failed":
                fail(f"replica {i} with the bundle server down: {json.dumps(p)[:600]}")
        log("4. bundle server stopped; every replica still serves v2 (last poll: " +
            p["bundle"]["last_poll"]["message"] + ")")

        # 5. A replica restarted while the bundle server is down serves its cache.
        replicas[1].send_signal(signal.SIGTERM)
        if replicas[1].wait(15) != 0:
            fail("replica 1 did not stop cleanly")
        replicas[1] = start_replica(1)
        wait_for("replica 1 to serve v2 from its cache", lambda: serving(1) == v2, 20)
        b = policy_of(1)["bundle"]
        if not b["active"]["from_cache"] or b["active"]["revision"] != "rev-2":
            fail(f"restarted replica 1 reports {b}")
        log("5. replica 1 restarted with the bundle server down; serves v2 from its cache")
        time.sleep(1.0)

    # 6. Nothing failed through the balancer, and every replica answered some of it.
    log(f"6. through nginx: {load.ok} decisions, {len(load.failures)} failed; "
        f"versions {{{', '.join(f'{v[:15]}: {n}' for v, n in load.versions.items())}}}; "
        f"upstreams {sorted(load.upstreams)}")
    if load.failures:
        fail(f"{len(load.failures)} failed requests, first: {load.failures[:5]}")
    if load.ok < 500:
        fail(f"only {load.ok} requests got through; the load generator did not run")
    if set(load.versions) != {v1, v2}:
        fail(f"versions served through nginx: {sorted(load.versions)}")
    if len(load.upstreams) < 3:
        fail(f"not every replica took traffic: {load.upstreams}")
    print("replicas_loopback: 6 passed, 0 failed")


try:
    main()
finally:
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    if os.environ.get("KEEP_WORK") is None:
        shutil.rmtree(WORK, ignore_errors=True)
