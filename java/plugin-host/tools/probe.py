#!/usr/bin/env python3
"""A by-hand self-check of ferry's Java plugin host (docs/design/java-host-protocol.md).

Starts the host, then speaks the protocol as ferry would: Hello, Scan, Describe and Validate of
connect-file's FileStreamSourceConnector, that connector started with its task on a connection of
its own (ReadOffsets answered with no offsets), lines written to its file and polled back as
records; then a FileStreamSinkConnector task that is opened, given two records and checked to
have written them. Prints what it sees and the host's start time and RSS; exits non-zero on the
first thing that is not as expected.

    python3 java/plugin-host/tools/probe.py [--host DIR] [--plugins DIR] [--verbose]

DIR defaults to $FERRY_JAVA_HOST, else the host is built with scripts/lib.sh's ensure_java_host.
Python 3 standard library only.
"""

import argparse
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

REQUEST, REPLY, ERROR_REPLY, EVENT = 1, 2, 3, 4
HELLO, SCAN, DESCRIBE, VALIDATE = 1, 2, 3, 4
START_CONNECTOR, TASK_CONFIGS, STOP_CONNECTOR = 10, 11, 12
START_SOURCE_TASK, POLL, COMMIT, STOP_TASK = 20, 21, 22, 23
READ_OFFSETS = 30
START_SINK_TASK, OPEN, CLOSE, PUT, PRE_COMMIT, SINK_CONTEXT = 40, 41, 42, 43, 44, 45

SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
STRING = "org.apache.kafka.connect.storage.StringConverter"
JSON = "org.apache.kafka.connect.json.JsonConverter"
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


class Failed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failed(what)


class HostError(Exception):
    """An error reply (kind 3): the Java throwable as JSON."""

    def __init__(self, error):
        super().__init__(f"{error.get('class')}: {error.get('message')}")
        self.error = error


class Lane:
    """One connection to the host. Answers the host's ReadOffsets with `offsets` (None: none)."""

    def __init__(self, path, name, offsets=None):
        self.name = name
        self.offsets = offsets or {}
        self.events = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)

    def _read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise Failed(f"{self.name}: the host closed the connection")
            buf += chunk
        return buf

    def _send(self, kind, ty, body):
        self.sock.sendall(struct.pack(">IBH", len(body) + 3, kind, ty) + body)

    def _read(self):
        length, kind, ty = struct.unpack(">IBH", self._read_exact(7))
        return kind, ty, self._read_exact(length - 3)

    def call(self, ty, body=b"", raw=False):
        """Sends a request and waits for its reply, answering host requests and keeping events."""
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        self._send(REQUEST, ty, body)
        while True:
            kind, rty, rbody = self._read()
            if kind == EVENT:
                self.events.append((rty, json.loads(rbody) if rbody else None))
            elif kind == REQUEST:
                self._answer(rty, rbody)
            elif kind in (REPLY, ERROR_REPLY):
                check(rty == ty, f"{self.name}: a reply of type {rty} to a request of type {ty}")
                if kind == ERROR_REPLY:
                    raise HostError(json.loads(rbody))
                if raw:
                    return rbody
                return json.loads(rbody) if rbody else None
            else:
                raise Failed(f"{self.name}: frame kind {kind}")

    def _answer(self, ty, body):
        check(ty == READ_OFFSETS, f"{self.name}: the host asked message type {ty}")
        asked = json.loads(body)["partitions"]
        print(f"  host asked ReadOffsets for {json.dumps(asked)}")
        answer = {"offsets": [{"partition": p, "offset": self.offsets.get(json.dumps(p, sort_keys=True))}
                              for p in asked]}
        self._send(REPLY, READ_OFFSETS, json.dumps(answer).encode())

    def close(self):
        self.sock.close()


class Reader:
    """Reads a binary body in DataOutputStream's conventions."""

    def __init__(self, body):
        self.body, self.at = body, 0

    def take(self, n):
        check(self.at + n <= len(self.body), "a binary body ends early")
        out = self.body[self.at:self.at + n]
        self.at += n
        return out

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def bytes(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def str(self):
        return self.bytes().decode()


def decode_records(body):
    """A Poll reply (RECORDS); an empty body is no records."""
    if not body:
        return []
    r = Reader(body)
    records = []
    for _ in range(r.i32()):
        rec = {"topic": r.str(), "partition": r.i32()}
        has_ts, ts = r.i8(), r.i64()
        rec["timestamp"] = ts if has_ts else None
        rec["key"], rec["value"] = r.bytes(), r.bytes()
        rec["headers"] = [(r.str(), r.bytes()) for _ in range(r.i32())]
        rec["source_partition"], rec["source_offset"] = json.loads(r.str()), json.loads(r.str())
        records.append(rec)
    check(r.at == len(body), "bytes left after the records")
    return records


def encode_sink_records(records):
    out = struct.pack(">i", len(records))
    for rec in records:
        topic = rec["topic"].encode()
        out += struct.pack(">i", len(topic)) + topic
        out += struct.pack(">iqqb", rec["partition"], rec["offset"], rec["timestamp"], 1)
        for field in ("key", "value"):
            v = rec[field]
            out += struct.pack(">i", -1) if v is None else struct.pack(">i", len(v)) + v
        out += struct.pack(">i", len(rec.get("headers", [])))
        for k, v in rec.get("headers", []):
            out += struct.pack(">i", len(k.encode())) + k.encode() + struct.pack(">i", len(v)) + v
    return out


def host_dir(arg):
    if arg:
        return arg
    if os.environ.get("FERRY_JAVA_HOST"):
        return os.environ["FERRY_JAVA_HOST"]
    out = subprocess.run(["bash", "-c", f'. "{REPO}/scripts/lib.sh" && ensure_java_host >&2 && echo "$FERRY_JAVA_HOST"'],
                         check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.strip()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", help="the built host: host.jar and lib/ (default $FERRY_JAVA_HOST)")
    ap.add_argument("--plugins", default=os.path.expanduser("~/.cache/ferry/kafka-4.4.0/plugins"),
                    help="plugin.path (default ~/.cache/ferry/kafka-4.4.0/plugins)")
    ap.add_argument("--verbose", action="store_true", help="show the host's stderr")
    args = ap.parse_args()

    home = host_dir(args.host)
    check(os.path.isfile(os.path.join(home, "host.jar")), f"no host.jar in {home}")
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    run_dir = tempfile.mkdtemp(prefix="ferry-probe-")
    os.chmod(run_dir, 0o700)
    sock_path = os.path.join(run_dir, "host.sock")
    stderr_lines = []
    # the JVM options ferry starts its host with when KAFKA_HEAP_OPTS etc. are unset
    jvm = ["-Xmx2G", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExplicitGCInvokesConcurrent",
           "-Djava.awt.headless=true"]
    cmd = [java, *jvm, "-cp", f"{home}/host.jar:{home}/lib/*", "dev.ferry.host.Main", "--socket", sock_path]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def pump():
        for line in proc.stderr:
            stderr_lines.append(line.rstrip("\n"))
            if args.verbose:
                print(f"  [host] {line.rstrip()}", file=sys.stderr)

    threading.Thread(target=pump, daemon=True).start()
    try:
        ready = proc.stdout.readline().strip()
        ready_ms = (time.monotonic() - started) * 1000
        check(ready == "FERRY-HOST-READY", f"the host said {ready!r} instead of FERRY-HOST-READY")
        print(f"host pid {proc.pid}: FERRY-HOST-READY after {ready_ms:.0f} ms")
        run(sock_path, args.plugins, proc.pid, ready_ms)
        # ferry's exit: stdin EOF ends the host
        proc.stdin.close()
        code = proc.wait(timeout=15)
        print(f"stdin closed: the host exited with {code}")
        check(code == 0, "the host did not exit cleanly after stdin EOF")
        check(proc.stdout.read() == "", "the host wrote to stdout after the ready line")
        print("PROBE OK")
    except (Failed, HostError) as e:
        print(f"PROBE FAILED: {e}", file=sys.stderr)
        if isinstance(e, HostError):
            print(e.error.get("trace", ""), file=sys.stderr)
        print("the host's last stderr lines:", file=sys.stderr)
        for line in stderr_lines[-40:]:
            print(f"  {line}", file=sys.stderr)
        proc.kill()
        sys.exit(1)
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(run_dir, ignore_errors=True)


def run(sock_path, plugin_path, pid, ready_ms):
    worker = {
        "bootstrap.servers": "127.0.0.1:9092",
        "key.converter": JSON,
        "value.converter": JSON,
        "key.converter.schemas.enable": "false",
        "value.converter.schemas.enable": "false",
        "plugin.path": plugin_path,
        "plugin.discovery": "service_load",
    }

    one = Lane(sock_path, "host-request")
    hello = one.call(HELLO)
    print(f"Hello: {hello}")
    check(hello["protocol"] == 1 and hello["pid"] == pid, "Hello's protocol or pid")

    t = time.monotonic()
    scan = one.call(SCAN, {"plugin_path": [plugin_path], "discovery": "service_load", "worker": worker})
    print(f"Scan: {len(scan['plugins'])} plugins in {(time.monotonic() - t) * 1000:.0f} ms")
    for p in scan["plugins"]:
        if p["location"] != "classpath" or p["type"] in ("source", "sink"):
            print(f"  {p['type']:16} {p['class']} {p['version']} @ {p['location']}")
    by_class = {(p["class"], p["type"]): p for p in scan["plugins"]}
    check((SOURCE, "source") in by_class and (SINK, "sink") in by_class, "the scan lacks connect-file")
    check(by_class[(SOURCE, "source")]["location"] != "classpath", "connect-file should come from plugin.path")
    check((STRING, "converter") in by_class and (JSON, "header_converter") in by_class,
          "the scan lacks Kafka's converters from the classpath")
    kinds = sorted({p["type"] for p in scan["plugins"]})
    print(f"  types: {kinds}; classpath plugins: {sum(p['location'] == 'classpath' for p in scan['plugins'])}")

    desc = one.call(DESCRIBE, {"class": SOURCE, "version": None})
    print(f"Describe: {desc['class']} {desc['type']} {desc['version']}: "
          + ", ".join(f"{k['name']}({k['type']}{', required' if k['required'] else ''})" for k in desc["config_def"]))
    check(desc["type"] == "source" and any(k["name"] == "topic" for k in desc["config_def"]), "Describe")

    val = one.call(VALIDATE, {"class": SOURCE, "version": None, "config": {"file": "/tmp/x.txt", "batch.size": "zero"}})
    errors = {v["name"]: v["errors"] for v in val["values"] if v["errors"]}
    print(f"Validate (batch.size=zero, no topic): errors {errors}")
    check("batch.size" in errors and "topic" in errors, "Validate should report batch.size and topic")

    try:
        one.call(DESCRIBE, {"class": "com.example.NoSuchConnector", "version": None})
        raise Failed("Describe of a missing class should fail")
    except HostError as e:
        print(f"Describe of a missing class: error reply {e.error['class']}, retriable={e.error['retriable']}, "
              f"trace {len(e.error['trace'].splitlines())} lines")
    one.close()
    rss_before = rss_kb(pid)

    # --- source ---
    source_file = "/tmp/x.txt"
    with open(source_file, "w"):
        pass
    connector_config = {"name": "file-source", "connector.class": SOURCE, "tasks.max": "1",
                        "file": source_file, "topic": "t"}
    conn = Lane(sock_path, "connector-file-source")
    started = conn.call(START_CONNECTOR, {"name": "file-source", "class": SOURCE, "version": None,
                                          "config": connector_config, "worker": worker})
    print(f"StartConnector: {started}")
    check(started["type"] == "source" and started["task_class"].endswith("FileStreamSourceTask"), "StartConnector")
    tasks = conn.call(TASK_CONFIGS, {"max_tasks": 1})["tasks"]
    print(f"TaskConfigs: {tasks}")
    check(len(tasks) == 1 and tasks[0]["file"] == source_file, "TaskConfigs")

    task_config = dict(tasks[0], **{"task.class": started["task_class"]})
    task = Lane(sock_path, "task-file-source-0")
    t = time.monotonic()
    task.call(START_SOURCE_TASK, {"connector": "file-source", "task_id": 0, "class": SOURCE, "version": None,
                                  "task_config": task_config, "connector_config": connector_config,
                                  "worker_config": worker})
    print(f"StartSourceTask: started in {(time.monotonic() - t) * 1000:.0f} ms")
    with open(source_file, "a") as f:
        f.write("hello\nworld\n")
    records = []
    deadline = time.monotonic() + 10
    while len(records) < 2 and time.monotonic() < deadline:
        records += decode_records(task.call(POLL, raw=True))
    for rec in records:
        print(f"  record topic={rec['topic']} partition={rec['partition']} ts={rec['timestamp']} "
              f"key={rec['key']} value={rec['value']} headers={rec['headers']} "
              f"partition_json={json.dumps(rec['source_partition'])} offset_json={json.dumps(rec['source_offset'])}")
    check([r["value"] for r in records] == [b'"hello"', b'"world"'], "the source records' values")
    check(records[-1]["source_offset"] == {"position": 12}, "the last source offset")
    check(records[0]["source_partition"] == {"filename": source_file}, "the source partition")
    task.call(COMMIT)
    rss_running = rss_kb(pid)
    task.call(STOP_TASK)
    task.close()
    conn.call(STOP_CONNECTOR)
    conn.close()
    print("Commit, StopTask, StopConnector: ok")

    # the task again, now resuming from a committed offset
    resume = Lane(sock_path, "task-file-source-0b",
                  offsets={json.dumps({"filename": source_file}, sort_keys=True): {"position": 6}})
    resume.call(START_SOURCE_TASK, {"connector": "file-source", "task_id": 0, "class": SOURCE, "version": None,
                                    "task_config": task_config, "connector_config": connector_config,
                                    "worker_config": worker})
    again = []
    deadline = time.monotonic() + 10
    while not again and time.monotonic() < deadline:
        again += decode_records(resume.call(POLL, raw=True))
    print(f"restarted at offset {{position: 6}}: values {[r['value'] for r in again]}")
    check([r["value"] for r in again] == [b'"world"'], "a restarted task resumes from its offset")
    resume.close()  # closing without StopTask: the host stops the task itself

    # --- sink ---
    sink_file = "/tmp/x-sink.txt"
    if os.path.exists(sink_file):
        os.remove(sink_file)
    sink_config = {"name": "file-sink", "connector.class": SINK, "tasks.max": "1", "file": sink_file,
                   "topics": "t", "key.converter": STRING, "value.converter": STRING}
    sconn = Lane(sock_path, "connector-file-sink")
    sstarted = sconn.call(START_CONNECTOR, {"name": "file-sink", "class": SINK, "version": None,
                                            "config": sink_config, "worker": worker})
    stasks = sconn.call(TASK_CONFIGS, {"max_tasks": 1})["tasks"]
    print(f"sink StartConnector: {sstarted}; TaskConfigs: {stasks}")
    stask = Lane(sock_path, "task-file-sink-0")
    stask.call(START_SINK_TASK, {"connector": "file-sink", "task_id": 0, "class": SINK, "version": None,
                                 "task_config": dict(stasks[0], **{"task.class": sstarted["task_class"]}),
                                 "connector_config": sink_config, "worker_config": worker})
    stask.call(OPEN, {"partitions": [{"topic": "t", "partition": 0}]})
    stask.call(PUT, encode_sink_records([
        {"topic": "t", "partition": 0, "offset": 0, "timestamp": 1700000000000, "key": b"k1", "value": b"first line",
         "headers": [("h", b"v")]},
        {"topic": "t", "partition": 0, "offset": 1, "timestamp": 1700000000001, "key": None, "value": b"second line"},
    ]), raw=True)
    stask.call(PUT, encode_sink_records([]), raw=True)
    committed = stask.call(PRE_COMMIT, {"offsets": [{"topic": "t", "partition": 0, "offset": 2}]})
    print(f"Open, Put (2 records), Put (none), PreCommit: {committed}")
    check(committed["offsets"] == [{"topic": "t", "partition": 0, "offset": 2}], "PreCommit's answer")
    with open(sink_file) as f:
        written = f.read()
    print(f"sink file {sink_file}: {written!r}")
    check(written == "first line\nsecond line\n", "the sink's file")
    stask.call(STOP_TASK)
    stask.close()
    sconn.call(STOP_CONNECTOR)
    sconn.close()
    check(not any(ty == SINK_CONTEXT for ty, _ in stask.events), "FileStreamSinkTask does not touch its context")
    print("sink StopTask, StopConnector: ok")

    # an exception from plugin code is an error reply with the Java trace
    bad = Lane(sock_path, "connector-bad")
    try:
        bad.call(START_CONNECTOR, {"name": "bad", "class": SOURCE, "version": None,
                                   "config": {"name": "bad", "connector.class": SOURCE, "file": "/tmp/x.txt"},
                                   "worker": worker})
        raise Failed("a source connector without a topic should fail to start")
    except HostError as e:
        print(f"StartConnector without topic: error reply {e.error['class']}: {e.error['message']}")
    bad.close()

    print(f"start to FERRY-HOST-READY: {ready_ms:.0f} ms; RSS after the scan {rss_before // 1024} MB, "
          f"with connect-file's source connector and task running {rss_running // 1024} MB")


if __name__ == "__main__":
    main()
