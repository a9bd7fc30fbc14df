#!/usr/bin/env python3
"""Reads Kafka topics with Apache Kafka's own tools (GetOffsetShell, ConsoleConsumer from the jars
in KAFKA_LIBS) and writes them as JSON lines, one record a line:

  {"topic", "partition", "offset", "key": <parsed JSON or null>, "value": <parsed JSON or null>,
   "headers": {name: value}}

A key or value that is not JSON is kept as a string; header values are strings (their bytes as
UTF-8) or null.

  dump.py topics BOOTSTRAP                   the topics (not internal ones) with their record counts
  dump.py topic BOOTSTRAP TOPIC [OUT.jsonl]  every record of TOPIC (to stdout without OUT)
"""
import json
import os
import subprocess
import sys

LIBS = os.environ.get("KAFKA_LIBS", os.path.expanduser("~/.cache/ferry/kafka-4.4.0/libs"))
HERE = os.path.dirname(os.path.abspath(__file__))
LOG4J = os.path.join(HERE, "..", "..", "scripts", "kafka", "log4j2.properties")

# Separators no JSON text holds (JSON escapes every control character below 0x20).
FIELD, LINE, HEADER, NULL = "\x1f", "\x1e", "\x1d", "\x1a"


def java(main, *args, timeout=120):
    cmd = ["java", "-Xmx256m", f"-Dlog4j2.configurationFile={LOG4J}", "-cp", f"{LIBS}/*", main, *args]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if out.returncode != 0:
        sys.stderr.write(out.stderr.decode("utf-8", "replace"))
        raise SystemExit(f"{main} failed with exit code {out.returncode}")
    return out.stdout.decode("utf-8")


def offsets(bootstrap, time, topic=None):
    """{(topic, partition): offset} at time -1 (the end) or -2 (the start)."""
    args = ["--bootstrap-server", bootstrap, "--time", str(time), "--exclude-internal-topics"]
    if topic:
        args += ["--topic", topic.replace(".", "\\.")]  # a regular expression
    found = {}
    for line in java("org.apache.kafka.tools.GetOffsetShell", *args).splitlines():
        if not line.strip():
            continue
        name, partition, offset = line.rsplit(":", 2)
        if topic is None or name == topic:
            found[(name, int(partition))] = int(offset)
    return found


def counts(bootstrap, topic=None):
    end = offsets(bootstrap, -1, topic)
    start = offsets(bootstrap, -2, topic)
    return {k: end[k] - start.get(k, 0) for k in end}


def parse(text):
    if text == NULL:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_partition(bootstrap, topic, partition, count):
    if count == 0:
        return []
    out = java(
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        "--bootstrap-server", bootstrap, "--topic", topic, "--partition", str(partition),
        "--offset", "earliest", "--max-messages", str(count), "--timeout-ms", "20000",
        "--formatter-property", "print.partition=true", "--formatter-property", "print.offset=true",
        "--formatter-property", "print.headers=true", "--formatter-property", "print.key=true",
        "--formatter-property", "print.value=true",
        "--formatter-property", f"key.separator={FIELD}", "--formatter-property", f"line.separator={LINE}",
        "--formatter-property", f"headers.separator={HEADER}", "--formatter-property", f"null.literal={NULL}",
    )
    records = []
    for chunk in out.split(LINE):
        if not chunk.strip("\n"):
            continue
        part, off, headers, key, value = chunk.lstrip("\n").split(FIELD)
        assert part.startswith("Partition:") and off.startswith("Offset:"), chunk
        parsed_headers = {}
        if headers != "NO_HEADERS":
            for h in headers.split(HEADER):
                name, _, raw = h.partition(":")
                parsed_headers[name] = None if raw == NULL else raw
        records.append({
            "topic": topic,
            "partition": int(part[len("Partition:"):]),
            "offset": int(off[len("Offset:"):]),
            "key": parse(key),
            "value": parse(value),
            "headers": parsed_headers,
        })
    if len(records) != count:
        raise SystemExit(f"{topic}-{partition}: read {len(records)} records, expected {count}")
    return records


def read_topic(bootstrap, topic):
    records = []
    for (_, partition), count in sorted(counts(bootstrap, topic).items()):
        records += read_partition(bootstrap, topic, partition, count)
    return records


def main(argv):
    if len(argv) >= 3 and argv[1] == "topics":
        per_topic = {}
        for (topic, _), count in counts(argv[2]).items():
            per_topic[topic] = per_topic.get(topic, 0) + count
        for topic in sorted(per_topic):
            print(f"{topic}\t{per_topic[topic]}")
    elif len(argv) >= 4 and argv[1] == "topic":
        lines = [json.dumps(r, ensure_ascii=False) for r in read_topic(argv[2], argv[3])]
        text = "".join(line + "\n" for line in lines)
        if len(argv) >= 5:
            with open(argv[4], "w", encoding="utf-8") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
