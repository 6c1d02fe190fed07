#!/usr/bin/env python3
"""The benchmark run behind `bench/run`: the query mix Q1-Q9 against the release server on SQLite
and on PostgreSQL, and the equivalent queries against PostGraphile on the same PostgreSQL
database, measured with wrk. Writes the results table into docs/benchmarks.md.

Everything it needs (wrk, PostgreSQL, Node 22, PostGraphile, the release build) is installed by
`bench/run`, which calls it. Standard library only."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "cluster-directory")
LUA = os.path.join(ROOT, "bench", "request.lua")
PG_DIR = os.path.join(ROOT, "bench", "postgraphile")
DOC = os.path.join(ROOT, "docs", "benchmarks.md")

DURATION = os.environ.get("DURATION", "15s")
# Every query first runs this long unmeasured: caches and (for PostGraphile) the JIT warm up.
WARMUP = os.environ.get("WARMUP", "3s")
CONNECTIONS = int(os.environ.get("CONNECTIONS", "32"))
POOL = int(os.environ.get("POOL", "8"))
SIZE = {
    "clusters": int(os.environ.get("CLUSTERS", "1000")),
    "organisations": int(os.environ.get("ORGANISATIONS", "100000")),
    "memberships": int(os.environ.get("MEMBERSHIPS", "1000000")),
    "events": int(os.environ.get("EVENTS", "100000")),
}
DEEP = int(os.environ.get("DEEP", str(min(50000, SIZE["organisations"] // 2))))
# Q7 sends writes on this many of the connections; the rest read (Q3) at the same time.
WRITERS = 4
NO_LIMIT = "1000000000000"

# The mix, as this server's queries. $vars are filled in per run.
OURS = {
    "Q1": ("first 20 clusters by name",
           "{ clusters(first: 20) { nodes { name slug } } }"),
    "Q2": ("20 clusters with region, themes and first 10 members",
           "{ clusters(first: 20) { nodes { name region { code } themes { nodes { slug } }"
           " memberships(first: 10) { nodes { organisation { name type countryCode } } } } } }"),
    "Q3": ("one organisation by id with its clusters",
           'query($id: ID!) { organisation(id: $id) { name memberships(first: 20) { nodes { cluster { name } } } } }'),
    "Q4": ("upcoming events by theme and country",
           '{ events(first: 20, filter: { themes: ["health"], country: "NL" }) { nodes { title startsAt localStartsAt } } }'),
    "Q5": ("organisations counted by type and country",
           "{ statistics(subject: ORGANISATIONS, groupBy: [TYPE, COUNTRY]) { groups { key count } } }"),
    "Q6": ("a page of organisations 50,000 rows deep, by cursor",
           "query($after: String!) { organisations(first: 20, after: $after) { nodes { name type countryCode } } }"),
    "Q7": ("update one organisation, under concurrent reads",
           "mutation($input: UpdateOrganisationInput!) { updateOrganisation(input: $input) { version } }"),
    "Q8": ("search: four queries in turn (words, filtered, prefix, misspelt)",
           "query($q: String!, $f: SearchFilter) { search(query: $q, filter: $f, first: 20) { totalCount"
           " nodes { type score snippet { html } node { ... on Organisation { name } ... on OfferNeed { title } ... on Event { title } } } } }"),
    "Q9": ("matchmaking: the 10 best needs for an offer (or offers for a need), explained",
           "query($id: ID!) { offerNeed(id: $id) { matches(first: 10) { score parts { factor value explanation }"
           " offerNeed { title } organisation { name } } } }"),
}

# Q8's searches, sent in turn.
SEARCHES = [
    {"q": "smart insoles"},
    {"q": "alpine", "f": {"types": ["ORGANISATION"], "countries": ["ES"]}},
    {"q": "climb"},
    {"q": "recyled textils"},
]

# The same queries in PostGraphile's schema (amber preset, simplified names). Q4 and Q5 have no
# equivalent there: stock PostGraphile filters a list by its own columns only (events by theme
# need the event_theme join) and has no grouped aggregates.
THEIRS = {
    "Q1": "{ clusters(first: 20, orderBy: [NAME_ASC, ROW_ID_ASC]) { nodes { name slug } } }",
    "Q2": "{ clusters(first: 20, orderBy: [NAME_ASC, ROW_ID_ASC]) { nodes { name region { code }"
          " clusterThemes { nodes { theme { slug } } }"
          " memberships(first: 10, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { nodes { organisation { name orgType countryCode } } } } } }",
    "Q3": "query($id: BigInt!) { organisation(rowId: $id) { name memberships(first: 20, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { nodes { cluster { name } } } } }",
    "Q6": "query($after: Cursor!) { organisations(first: 20, after: $after, orderBy: [NAME_ASC, ROW_ID_ASC]) { nodes { name orgType countryCode } } }",
    "Q7": "mutation($id: BigInt!, $h: Int!) { updateOrganisation(input: { rowId: $id, patch: { headcount: $h } }) { organisation { rowId } } }",
}


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def post(url, query, variables=None, key=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json", "Accept": "application/json"})
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(req, timeout=60) as res:
        answer = json.loads(res.read())
    if answer.get("errors"):
        raise RuntimeError(f"{query}: {answer['errors']}")
    return answer["data"]


def wait_healthy(url, proc, seconds=60):
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as res:
                if res.status == 200:
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.005)
    raise RuntimeError(f"{url} not healthy after {seconds} s")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_reset(pid):
    # Writing 5 to clear_refs resets the peak resident set size (VmHWM) of the process.
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def rss_peak_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def cpu_seconds(pids, reaped=()):
    """CPU time (user and system) the processes `pids` have used so far, in seconds; for those in
    `reaped` also that of their children which have ended and been waited for."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15
            if pid in reaped:
                ticks += int(fields[13]) + int(fields[14])  # cutime and cstime
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_of(pid, pg):
    """CPU seconds used so far by the server `pid` and, with `pg`, by PostgreSQL's processes (its
    postmaster and every process it started: a server's pooled connections live through a run)."""
    database = 0.0
    if pg:
        with open(os.path.join(pg.data, "postmaster.pid")) as f:
            postmaster = int(f.readline())
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == postmaster:
                            children.append(int(entry))
                except (OSError, IndexError, ValueError):
                    pass
        # A connection that closes during the measurement moves its time to the postmaster's
        # ended children, so it is counted once either way.
        database = cpu_seconds([postmaster, *children], reaped=(postmaster,))
    return cpu_seconds([pid]), database


def wrk(url, bodies, connections, headers=None, duration=DURATION):
    """Runs wrk over `bodies` (sent in turn) and returns its RESULT line as a dict."""
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as f:
        for b in bodies:
            f.write(json.dumps(b) + "\n")
        path = f.name
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}", "--timeout", "10s", "-s", LUA]
    for h in headers or []:
        cmd += ["-H", h]
    cmd += [url, "--", path]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(path)
    line = next(l for l in out.splitlines() if l.startswith("RESULT"))
    return {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


class Statements:
    """Counts the SQL statements one request causes: from this server's /metrics, or from
    PostgreSQL's own statement log for servers that do not count (PostGraphile)."""

    def __init__(self, metrics_url=None, pg=None):
        self.metrics_url = metrics_url
        self.pg = pg

    def _metric(self):
        with urllib.request.urlopen(self.metrics_url) as res:
            text = res.read().decode()
        return int(re.search(r"^cluster_directory_db_statements_total (\d+)", text, re.M).group(1))

    def count(self, send):
        send()  # once before counting, so that connection set-up is not counted
        if self.metrics_url:
            before = self._metric()
            send()
            return self._metric() - before
        return self.pg.logged_statements(send)


class Postgres:
    """A throwaway PostgreSQL cluster in a temporary directory, run as the `postgres` user."""

    def __init__(self, work):
        self.bin = os.environ.get("PG_BIN") or os.path.dirname(shutil.which("initdb") or "")
        self.dir = os.path.join(work, "pg")
        self.port = free_port()
        os.makedirs(self.dir)
        shutil.chown(self.dir, "postgres")
        self.log = os.path.join(self.dir, "server.log")

    def run(self, *args):
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, cwd=self.dir)

    def start(self):
        data = os.path.join(self.dir, "data")
        self.run(f"{self.bin}/initdb", "-D", data, "-A", "trust", "-U", "postgres")
        opts = (f"-k {self.dir} -p {self.port} -c listen_addresses=127.0.0.1 -c max_connections=200"
                " -c shared_buffers=256MB -c log_line_prefix=")
        self.run(f"{self.bin}/pg_ctl", "-D", data, "-o", opts, "-l", self.log, "-w", "start")
        self.psql("postgres", "CREATE DATABASE bench")
        self.data = data
        return f"postgres://postgres@127.0.0.1:{self.port}/bench"

    def psql(self, db, sql):
        subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "-d", db, "-qAtc", sql], check=True, capture_output=True)

    def logged_statements(self, send):
        self.psql("bench", "ALTER SYSTEM SET log_statement = 'all'; ")
        self.psql("bench", "SELECT pg_reload_conf()")
        time.sleep(0.3)
        start = os.path.getsize(self.log)
        send()
        time.sleep(0.3)
        self.psql("bench", "ALTER SYSTEM RESET log_statement")
        self.psql("bench", "SELECT pg_reload_conf()")
        with open(self.log, errors="replace") as f:
            f.seek(start)
            text = f.read()
        # One line per statement run: "statement: ..." (simple protocol) or "execute ...:" (extended).
        lines = [l for l in text.splitlines() if re.search(r"LOG:\s+(statement|execute)", l)
                 and "pg_reload_conf" not in l and "ALTER SYSTEM" not in l]
        return len(lines)

    def stop(self):
        try:
            self.run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "fast", "stop")
        except Exception:
            pass


def generate(url):
    start = time.monotonic()
    subprocess.run([BIN, "--database-url", url, "generate", "--clusters", str(SIZE["clusters"]),
                    "--organisations", str(SIZE["organisations"]), "--memberships", str(SIZE["memberships"]),
                    "--events", str(SIZE["events"]), "--seed", "42"], check=True, capture_output=True)
    return time.monotonic() - start


def start_ours(db_url):
    port = free_port()
    env = dict(os.environ, RATE_LIMIT_ANONYMOUS=NO_LIMIT, RATE_LIMIT_KEY=NO_LIMIT, RUST_LOG="warn")
    proc = subprocess.Popen([BIN, "--database-url", db_url, "--port", str(port), "--max-connections", str(POOL)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = wait_healthy(f"http://127.0.0.1:{port}/health", proc)
    return proc, port, started


def start_theirs(db_url):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=db_url, PORT=str(port), POOL_SIZE=str(POOL), NODE_ENV="production")
    node = os.path.join(PG_DIR, "node_modules", ".bin", "node")
    cli = os.path.join(PG_DIR, "node_modules", "postgraphile", "dist", "cli-run.js")
    proc = subprocess.Popen([node, cli], cwd=PG_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/graphql"
    start = time.monotonic()
    while True:
        try:
            post(url, "{ __typename }")
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() - start > 120:
                raise RuntimeError("PostGraphile did not start")
            time.sleep(0.2)
    return proc, port, time.monotonic() - start


def walk_ours(url, rows):
    """Pages through organisations by name, 100 at a time, for `rows` rows: the ids seen (for
    Q3 and Q7) and the cursor after the last one (for Q6)."""
    ids, after = [], None
    while len(ids) < rows:
        page = post(url, "query($after: String) { organisations(first: 100, after: $after) { pageInfo { endCursor } nodes { id slug } } }",
                    {"after": after})["organisations"]
        ids += [(n["id"], n["slug"]) for n in page["nodes"]]
        after = page["pageInfo"]["endCursor"]
    return ids[:rows], after


def measure(name, url, body, statements, pid, pg=None):
    """Measures one query; `body` may be a list of bodies, sent in turn (statements are counted on
    the first). With `pg`, the server's database, PostgreSQL's CPU time is counted too."""
    bodies = body if isinstance(body, list) else [body]
    statements_per_request = statements.count(lambda: post(url, bodies[0]["query"], bodies[0]["variables"]))
    wrk(url, bodies, CONNECTIONS, duration=WARMUP)
    rss_reset(pid)
    before = cpu_of(pid, pg)
    result = wrk(url, bodies, CONNECTIONS)
    after = cpu_of(pid, pg)
    # CPU time per request: steadier than requests per second when the machine's speed drifts.
    n = max(result["requests"], 1)
    result["server_us"] = (after[0] - before[0]) / n * 1e6
    result["db_us"] = (after[1] - before[1]) / n * 1e6 if pg else None
    result["statements"] = statements_per_request
    result["rss"] = rss_peak_mb(pid)
    log(f"{name}: {result}")
    return result


def measure_writes(name, url, writes, read, statements, pid, key=None):
    """Q7: `writes` sent in turn on WRITERS connections while the other connections send `read`.
    The first two writes are spent on counting statements."""
    first = iter(writes[:2])

    def send():
        body = next(first)
        post(url, body["query"], body["variables"], key)

    count = statements.count(send)
    rss_reset(pid)
    reader = subprocess.Popen([sys.executable, __file__, "--wrk", url, json.dumps([read]), str(CONNECTIONS - WRITERS)],
                              stdout=subprocess.PIPE, text=True)
    result = wrk(url, writes[2:], WRITERS, [f"Authorization: Bearer {key}"] if key else None)
    result["reads_rps"] = json.loads(reader.communicate()[0])["rps"]
    result["statements"] = count
    result["rss"] = rss_peak_mb(pid)
    log(f"{name}: {result}")
    return result


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


class Ours:
    """This server on one database, started and walked (its ids and deep cursor) once, then
    measured query by query: `main` measures each query on SQLite, on PostgreSQL and on
    PostGraphile one right after the other, so that all three see the machine in the same state
    (its speed drifts over a run, by a quarter and more)."""

    def __init__(self, db_name, db_url, key, pg=None):
        self.db_name, self.pg, self.key = db_name, pg, key
        self.proc, port, self.started = start_ours(db_url)
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.statements = Statements(metrics_url=f"http://127.0.0.1:{port}/metrics")
        self.ids, self.deep_cursor = walk_ours(self.url, DEEP)
        self.q3_id, self.q3_slug = self.ids[len(self.ids) // 3]

    def measure(self, q, results):
        if q == "Q8":
            body = [{"query": OURS["Q8"][1], "variables": v} for v in SEARCHES]
        elif q == "Q9":
            offers = post(self.url, "{ offersAndNeeds(first: 50) { nodes { id } } }")["offersAndNeeds"]["nodes"]
            body = [{"query": OURS["Q9"][1], "variables": {"id": o["id"]}} for o in offers]
        else:
            vars_of = {"Q3": {"id": self.q3_id}, "Q6": {"after": self.deep_cursor}}
            body = {"query": OURS[q][1], "variables": vars_of.get(q, {})}
        results[(self.db_name, "ours", q)] = measure(f"{self.db_name} {q}", self.url, body, self.statements,
                                                     self.proc.pid, self.pg)

    def measure_writes(self, results):
        # Q7: each organisation updated once, from version 1.
        writes = [{"query": OURS["Q7"][1], "variables": {"input": {"id": i, "version": 1, "headcount": 7}}}
                  for i, _ in self.ids]
        read = {"query": OURS["Q3"][1], "variables": {"id": self.q3_id}}
        results[(self.db_name, "ours", "Q7")] = measure_writes(f"{self.db_name} Q7", self.url, writes, read,
                                                               self.statements, self.proc.pid, self.key)

    def stop(self):
        stop(self.proc)


class Theirs:
    """PostGraphile on the PostgreSQL database, with the variables of its queries."""

    def __init__(self, db_url, pg, q3_slug, write_slugs):
        self.proc, port, self.started = start_theirs(db_url)
        self.url = f"http://127.0.0.1:{port}/graphql"
        row_id = lambda slug: post(self.url, "query($s: String!) { organisationBySlug(slug: $s) { rowId } }", {"s": slug})["organisationBySlug"]["rowId"]
        self.q3 = row_id(q3_slug)
        deep = post(self.url, "query($n: Int!) { organisations(first: 1, offset: $n, orderBy: [NAME_ASC, ROW_ID_ASC]) { pageInfo { endCursor } } }",
                    {"n": DEEP - 1})["organisations"]["pageInfo"]["endCursor"]
        self.vars_of = {"Q3": {"id": self.q3}, "Q6": {"after": deep}}
        self.write_ids = [row_id(s) for s in write_slugs[:200]]
        self.statements = Statements(pg=pg)

    def measure(self, q, results):
        body = {"query": THEIRS[q], "variables": self.vars_of.get(q, {})}
        results[("postgres", "postgraphile", q)] = measure(f"postgraphile {q}", self.url, body, self.statements,
                                                           self.proc.pid, self.statements.pg)

    def measure_writes(self, results):
        writes = [{"query": THEIRS["Q7"], "variables": {"id": i, "h": 7}} for i in self.write_ids]
        read = {"query": THEIRS["Q3"], "variables": {"id": self.q3}}
        results[("postgres", "postgraphile", "Q7")] = measure_writes("postgraphile Q7", self.url, writes, read, self.statements, self.proc.pid)

    def stop(self):
        stop(self.proc)


def table(results, timings):
    rows = []
    head = ("| query | database | server | requests/s | p50 ms | p99 ms | errors | SQL statements per request |"
            " peak RSS MB | CPU µs per request: server + PostgreSQL | ours / PostGraphile |")
    rows += [head, "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for q in OURS:
        for db, server in [("sqlite", "ours"), ("postgres", "ours"), ("postgres", "postgraphile")]:
            r = results.get((db, server, q))
            if r is None:
                if server == "postgraphile":
                    rows.append(f"| {q} | PostgreSQL | PostGraphile | no equivalent | | | | | | | |")
                continue
            ratio = ""
            if server == "ours" and db == "postgres" and ("postgres", "postgraphile", q) in results:
                ratio = f"{r['rps'] / max(results[('postgres', 'postgraphile', q)]['rps'], 1):.2f}"
            cpu = ""
            if r.get("server_us") is not None:
                cpu = f"{r['server_us']:,.0f}"
                if r.get("db_us") is not None:
                    cpu += f" + {r['db_us']:,.0f}"
            rps = f"{r['rps']:.0f}"
            if "reads_rps" in r:
                rps += f" (reads alongside: {r['reads_rps']:.0f})"
            rows.append(f"| {q} | {'SQLite' if db == 'sqlite' else 'PostgreSQL'} | {'PostGraphile' if server == 'postgraphile' else 'cluster-directory'}"
                        f" | {rps} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {int(r['errors'])} | {r['statements']} | {r['rss']} | {cpu} | {ratio} |")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {when} by `bench/run` on {os.cpu_count()} cores, load tool and servers on the same machine:",
        f"wrk, {CONNECTIONS} connections, {DURATION} per query, database pool of {POOL} connections for both servers.",
        f"Dataset: {SIZE['clusters']:,} clusters, {SIZE['organisations']:,} organisations, {SIZE['memberships']:,} memberships,"
        f" {SIZE['events']:,} events, {SIZE['organisations'] // 2:,} offers and needs. Q6 starts {DEEP:,} rows deep.",
        "",
        "| step | SQLite | PostgreSQL |",
        "| --- | ---: | ---: |",
        f"| `generate` the dataset | {timings['generate_sqlite']:.1f} s | {timings['generate_postgres']:.1f} s |",
        f"| server start to healthy, existing database | {timings['start_sqlite'] * 1000:.0f} ms | {timings['start_postgres'] * 1000:.0f} ms |",
        f"| PostGraphile start to first answer | | {timings['start_postgraphile'] * 1000:.0f} ms |",
        "",
        *rows,
        "",
        "Q7 sends the writes on 4 connections (each updates a different organisation with the version it"
        " read) while the other connections read Q3; its row shows the writes, with the reads' rate beside them.",
        "CPU per request is the CPU time the server's process (SQLite runs inside it) and PostgreSQL's processes"
        " used during the measurement, divided by the requests answered; wrk's own share is not counted.",
    ]
    return "\n".join(lines)


def write_doc(text):
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    with open(DOC) as f:
        doc = f.read()
    a, b = doc.index(start) + len(start), doc.index(end)
    with open(DOC, "w") as f:
        f.write(doc[:a] + "\n" + text + "\n" + doc[b:])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--wrk":
        # Helper mode: one wrk run, its result as JSON (Q7's concurrent readers).
        print(json.dumps(wrk(sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]))))
        return
    work = tempfile.mkdtemp(prefix="cluster-directory-bench-")
    os.chmod(work, 0o755)
    pg = Postgres(work)
    results, timings = {}, {}
    try:
        sqlite_url = f"sqlite://{work}/bench.db?mode=rwc"
        log(f"generating into SQLite ({SIZE})")
        timings["generate_sqlite"] = generate(sqlite_url)
        pg_url = pg.start()
        log("generating into PostgreSQL")
        timings["generate_postgres"] = generate(pg_url)
        # The load's pages are written out now rather than by the checkpointer in the background
        # while the SQLite server is measured; `generate` has already vacuumed and analysed.
        pg.psql("bench", "CHECKPOINT")
        servers = []
        try:
            for db_name, url in [("sqlite", sqlite_url), ("postgres", pg_url)]:
                key = subprocess.run([BIN, "--database-url", url, "keys", "create", "--name", "bench", "--role", "admin"],
                                     check=True, capture_output=True, text=True).stdout.split()[-1]
                servers.append(Ours(db_name, url, key, pg if db_name == "postgres" else None))
                timings[f"start_{db_name}"] = servers[-1].started
            on_pg = servers[-1]
            servers.append(Theirs(pg_url, pg, on_pg.q3_slug, [s for _, s in on_pg.ids]))
            timings["start_postgraphile"] = servers[-1].started
            for q in ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9"]:
                for server in servers:
                    if q == "Q7":
                        server.measure_writes(results)
                    elif isinstance(server, Ours) or q in THEIRS:
                        server.measure(q, results)
        finally:
            for server in servers:
                server.stop()
        text = table(results, timings)
        print(text)
        write_doc(text)
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
