#!/usr/bin/env python3
"""Writes recorded records (the JSON lines dump.py makes) back into Kafka with Apache Kafka's own
ConsoleProducer (from the jars in KAFKA_LIBS), one topic per file, in the recorded order:

  produce.py BOOTSTRAP [--skip TOPIC:OFFSET,...] FILE.jsonl...

--skip leaves out the records recorded at those offsets of partition 0 (the records after them
then get offsets one lower than recorded).

Each record becomes one line for ConsoleProducer's default reader with parse.key and
parse.headers on:

  name<0x1c>value<0x1d>name<0x1c>value...<0x1e>key<0x1f>value

where key and value are the recorded JSON (JsonConverter envelopes) written out again as compact
JSON (json.dumps with separators "," and ":", ensure_ascii off: UTF-8 as it is), header values
are the recorded strings, and a null key, value or header value is the single character 0x1a
(null.marker). The separators are control characters, which JSON text always escapes, so they
cannot occur inside a key, value or header. The topic is created first (1 partition, the
broker's defaults); the records keep their recorded order, so partition 0 gets the same offsets.
"""
import json
import os
import subprocess
import sys

LIBS = os.environ.get("KAFKA_LIBS", os.path.expanduser("~/.cache/ferry/kafka-4.4.0/libs"))
HERE = os.path.dirname(os.path.abspath(__file__))
LOG4J = os.path.join(HERE, "..", "..", "scripts", "kafka", "log4j2.properties")

KEY_SEP, HEADERS_END, HEADER_SEP, HEADER_KEY_SEP, NULL = "\x1f", "\x1e", "\x1d", "\x1c", "\x1a"


def java(main, *args, stdin=None):
    cmd = ["java", "-Xmx256m", f"-Dlog4j2.configurationFile={LOG4J}", "-cp", f"{LIBS}/*", main, *args]
    out = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    if out.returncode != 0:
        sys.stderr.write(out.stderr.decode("utf-8", "replace"))
        raise SystemExit(f"{main} failed with exit code {out.returncode}")
    return out.stdout.decode("utf-8")


def text(value):
    if value is None:
        return NULL
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def line(record):
    headers = HEADER_SEP.join(
        name + HEADER_KEY_SEP + (NULL if value is None else value)
        for name, value in (record.get("headers") or {}).items()
    )
    out = headers + HEADERS_END + text(record["key"]) + KEY_SEP + text(record["value"])
    assert "\n" not in out and "\r" not in out
    return out


def produce(bootstrap, path, skip):
    records = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    records = [r for r in records if (r["topic"], r["offset"]) not in skip]
    topics = {r["topic"] for r in records}
    if len(topics) != 1:
        raise SystemExit(f"{path}: expected the records of one topic, found {sorted(topics)}")
    topic = topics.pop()
    java("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--create",
         "--if-not-exists", "--topic", topic, "--partitions", "1", "--replication-factor", "1")
    lines = "".join(line(r) + "\n" for r in records).encode("utf-8")
    java(
        "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", bootstrap, "--topic", topic,
        "--reader-property", "parse.key=true", "--reader-property", "parse.headers=true",
        "--reader-property", f"key.separator={KEY_SEP}",
        "--reader-property", f"headers.delimiter={HEADERS_END}",
        "--reader-property", f"headers.separator={HEADER_SEP}",
        "--reader-property", f"headers.key.separator={HEADER_KEY_SEP}",
        "--reader-property", f"null.marker={NULL}",
        stdin=lines,
    )
    print(f"{topic}\t{len(records)}")


def main():
    args = sys.argv[1:]
    skip = set()
    if len(args) >= 3 and args[1] == "--skip":
        for item in filter(None, args[2].split(",")):
            topic, offset = item.rsplit(":", 1)
            skip.add((topic, int(offset)))
        args = args[:1] + args[3:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    for path in args[1:]:
        produce(args[0], path, skip)


if __name__ == "__main__":
    main()
