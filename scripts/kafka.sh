#!/usr/bin/env bash
# A real local Apache Kafka: one node in KRaft mode (broker+controller) on 127.0.0.1, no Docker.
# Jars come from Maven Central through scripts/kafka/pom.xml and the usual ~/.m2 cache.
#
#   scripts/kafka.sh fetch
#   scripts/kafka.sh start  [--port N|0] [--dir DIR] [--partitions N] [--auto-create] [--prop k=v]...
#   scripts/kafka.sh stop   [--dir DIR] [--keep]
#   scripts/kafka.sh status [--dir DIR]
#   scripts/kafka.sh perf   --bootstrap B --topic T --records N --record-size S [--throughput R] [--prop k=v]...
#   scripts/kafka.sh topics ARGS...        (org.apache.kafka.tools.TopicCommand)
#   scripts/kafka.sh run CLASS ARGS...     (any main class on the Kafka classpath)
#
# start: --port 0 picks a free port; without --dir a temp dir is made. Given a DIR that is already
# formatted, it restarts on the same data and (unless --port says otherwise) the same ports, so
# `stop --keep` + `start --dir DIR` keeps topics and committed data. stop removes the dir only if
# start created it (or found it empty) and --keep is not given. The broker logs to DIR/server.log.
# Env: UCID_KAFKA_HOME (jar cache, default ~/.cache/ucid-kafka/VERSION), UCID_KAFKA_STATE (file naming
# the last started broker), UCID_KAFKA_HEAP (default "-Xms256m -Xmx512m"), UCID_KAFKA_TIMEOUT (90 s).
set -euo pipefail

KAFKA_VERSION=4.4.0
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka"
CACHE="${UCID_KAFKA_HOME:-$HOME/.cache/ucid-kafka/$KAFKA_VERSION}"
STATE="${UCID_KAFKA_STATE:-${TMPDIR:-/tmp}/ucid-kafka.state}"
HEAP="${UCID_KAFKA_HEAP:--Xms256m -Xmx512m}"
TIMEOUT="${UCID_KAFKA_TIMEOUT:-90}"
STOP_TIMEOUT=30

die() { echo "kafka.sh: $*" >&2; exit 1; }

fetch() {
  local stamp; stamp="$KAFKA_VERSION $(sha1sum < "$HERE/pom.xml" | cut -d' ' -f1)"
  [[ -s "$CACHE/classpath" && "$(cat "$CACHE/stamp" 2>/dev/null)" == "$stamp" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  mkdir -p "$CACHE"; local tmp="$CACHE/libs.tmp.$$"
  echo "kafka.sh: fetching Kafka $KAFKA_VERSION jars into $CACHE" >&2
  mvn -q -B -f "$HERE/pom.xml" -Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" > "$CACHE/mvn.log" 2>&1 \
    || { tail -n 30 "$CACHE/mvn.log" >&2; rm -rf "$tmp"; die "mvn failed (log: $CACHE/mvn.log)"; }
  rm -rf "$CACHE/libs"; mv "$tmp" "$CACHE/libs"
  ls "$CACHE"/libs/*.jar | paste -sd: > "$CACHE/classpath"
  echo "$stamp" > "$CACHE/stamp"
}

# java with the Kafka classpath; tools log warnings to stderr
jrun() { fetch; java -Xmx512m -Dlog4j2.configurationFile="$HERE/log4j2-tools.properties" -cp "$(cat "$CACHE/classpath")" "$@"; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p; for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000)); [[ "$p" != "${1:-}" ]] && ! port_busy "$p" && { echo "$p"; return; }
  done; die "no free port found"
}
# a live broker process (not a zombie, not a recycled pid)
alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -q kafka.Kafka; }
state_dir() { sed -n 's/^dir=//p' "$STATE" 2>/dev/null || true; }
ready() {  # answers a Metadata request, not merely a TCP connect
  if command -v kcat >/dev/null; then kcat -b "127.0.0.1:$1" -L -m 2 2>/dev/null | grep -q ' 1 brokers:'
  else grep -q 'Kafka Server started' "$2/server.log" 2>/dev/null; fi
}
show_logs() { local f; for f in server.log console.log; do
  [[ -s "$1/$f" ]] && { echo "---- tail of $1/$f" >&2; tail -n 40 "$1/$f" >&2; }; done; return 0; }

start() {
  local port="" dir="" made="" partitions=1 autocreate=false props=()
  while (($#)); do case "$1" in
    --port) port="$2"; shift 2;;  --dir) dir="$2"; shift 2;;
    --partitions) partitions="$2"; shift 2;;  --auto-create) autocreate=true; shift;;
    --prop) props+=("$2"); shift 2;;  *) die "start: unknown option $1";; esac; done
  fetch
  [[ -z "$dir" ]] && { dir="$(mktemp -d "${TMPDIR:-/tmp}/ucid-kafka.XXXXXX")"; made=1; }
  mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
  [[ -z "$(ls -A "$dir")" ]] && touch "$dir/.ucid-kafka"   # ours: stop may delete it
  local pid; pid="$(cat "$dir/kafka.pid" 2>/dev/null || true)"
  alive "$pid" && die "a broker (pid $pid) is already running in $dir"
  local oldport="" cport=""
  [[ -f "$dir/ports" ]] && read -r oldport cport < "$dir/ports"
  port="${port:-${oldport:-9092}}"; [[ "$port" == 0 ]] && port="$(free_port)"
  port_busy "$port" && start_fail "port $port is in use on 127.0.0.1"
  { [[ -z "$cport" || "$cport" == "$port" ]] || port_busy "$cport"; } && cport="$(free_port "$port")"
  echo "$port $cport" > "$dir/ports"
  {
    echo "process.roles=broker,controller"
    echo "node.id=1"
    echo "controller.quorum.voters=1@127.0.0.1:$cport"
    echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port"
    echo "controller.listener.names=CONTROLLER"
    echo "inter.broker.listener.name=PLAINTEXT"
    echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    echo "log.dirs=$dir/data"
    echo "num.partitions=$partitions"
    echo "auto.create.topics.enable=$autocreate"
    echo "default.replication.factor=1"
    echo "min.insync.replicas=1"
    echo "offsets.topic.replication.factor=1"
    echo "offsets.topic.num.partitions=1"
    echo "transaction.state.log.replication.factor=1"
    echo "transaction.state.log.min.isr=1"
    echo "transaction.state.log.num.partitions=1"
    echo "share.coordinator.state.topic.replication.factor=1"
    echo "share.coordinator.state.topic.min.isr=1"
    echo "group.initial.rebalance.delay.ms=0"
    echo "num.network.threads=2"
    echo "num.io.threads=4"
    for p in ${props[@]+"${props[@]}"}; do echo "$p"; done   # later keys win
  } > "$dir/server.properties"
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    # a cluster id that starts with '-' is taken for an option by the storage tool: draw again
    local id="-"; while [[ $id == -* ]]; do id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"; done
    jrun kafka.tools.StorageTool format -c "$dir/server.properties" -t "$id" > "$dir/format.log" 2>&1 \
      || { tail -n 20 "$dir/format.log" >&2; start_fail "storage format failed"; }
  fi
  [[ -f "$dir/server.log" ]] && mv -f "$dir/server.log" "$dir/server.log.prev"
  # shellcheck disable=SC2086
  nohup java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true -Dkafka.logs.dir="$dir" \
    -Dlog4j2.configurationFile="$HERE/log4j2-broker.properties" \
    -cp "$(cat "$CACHE/classpath")" kafka.Kafka "$dir/server.properties" \
    > "$dir/console.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$dir/kafka.pid"
  local deadline=$((SECONDS + TIMEOUT))
  until ready "$port" "$dir"; do
    alive "$pid" || { show_logs "$dir"; start_fail "broker exited during startup"; }
    if ((SECONDS >= deadline)); then
      show_logs "$dir"; stop_pid "$pid"; start_fail "broker not ready on 127.0.0.1:$port after ${TIMEOUT}s"
    fi
    sleep 0.5
  done
  printf 'dir=%s\nport=%s\npid=%s\n' "$dir" "$port" "$pid" > "$STATE"
  echo "dir=$dir"
  echo "bootstrap=127.0.0.1:$port"
}

# (called from start, sees its locals) a temp dir made by this start goes, a given one stays for a look
start_fail() { rm -f "$dir/kafka.pid"; if [[ -n "$made" ]]; then rm -rf "$dir"; else echo "kafka.sh: logs in $dir" >&2; fi; die "$1"; }

stop_pid() {
  local i
  alive "$1" || return 0
  kill -TERM "$1" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do alive "$1" || return 0; sleep 0.2; done
  echo "kafka.sh: broker $1 still up ${STOP_TIMEOUT}s after SIGTERM, sending SIGKILL" >&2
  kill -KILL "$1" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$1" || return 0; sleep 0.1; done
}

stop() {
  local dir="" keep=false
  while (($#)); do case "$1" in
    --dir) dir="$2"; shift 2;;  --keep) keep=true; shift;;  *) die "stop: unknown option $1";; esac; done
  dir="${dir:-$(state_dir)}"
  [[ -n "$dir" ]] || { echo "kafka.sh: nothing to stop" >&2; return 0; }
  [[ -d "$dir" ]] && dir="$(cd "$dir" && pwd)"
  stop_pid "$(cat "$dir/kafka.pid" 2>/dev/null || true)"
  rm -f "$dir/kafka.pid"
  [[ "$(state_dir)" == "$dir" ]] && rm -f "$STATE"
  if ! $keep && [[ -f "$dir/.ucid-kafka" ]]; then rm -rf "$dir"; fi
  echo "stopped dir=$dir"
}

status() {
  local dir=""
  [[ "${1:-}" == --dir ]] && dir="$2"
  dir="${dir:-$(state_dir)}"
  local pid port; pid="$(cat "$dir/kafka.pid" 2>/dev/null || true)"; read -r port _ 2>/dev/null < "$dir/ports" || true
  if [[ -n "$dir" ]] && alive "$pid"; then echo "running pid=$pid bootstrap=127.0.0.1:$port dir=$dir"
  else echo "stopped"; return 3; fi
}

perf() {
  local bootstrap="" topic="" records="" size="" throughput=-1 props=(acks=all)
  while (($#)); do case "$1" in
    --bootstrap) bootstrap="$2"; shift 2;;  --topic) topic="$2"; shift 2;;
    --records) records="$2"; shift 2;;  --record-size) size="$2"; shift 2;;
    --throughput) throughput="$2"; shift 2;;  --prop) props+=("$2"); shift 2;;
    *) die "perf: unknown option $1";; esac; done
  [[ -n "$bootstrap" && -n "$topic" && -n "$records" && -n "$size" ]] \
    || die "usage: perf --bootstrap B --topic T --records N --record-size S"
  jrun org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$topic" >/dev/null
  jrun org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$bootstrap" --topic "$topic" \
    --num-records "$records" --record-size "$size" --throughput "$throughput" --command-property "${props[@]}"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  fetch) fetch; echo "classpath=$CACHE/classpath";;
  start|stop|status|perf) "$cmd" "$@";;
  topics) jrun org.apache.kafka.tools.TopicCommand "$@";;
  run) jrun "$@";;
  *) sed -n '2,20s/^# \{0,1\}//p' "$0" >&2; exit 2;;
esac
