# MariaDB and PostgreSQL for the tests, on a Debian machine without systemd: installs what is
# missing, configures them for change data capture (binlog in ROW format; wal_level=logical),
# starts them when they do not answer, and creates the user/role and database `ferry`.
# Meant to be sourced after lib.sh (which defines log and apt_install):
#   . scripts/lib.sh; . scripts/databases.sh
#   ensure_mariadb; ensure_postgres; trap stop_databases_we_started EXIT
# A second call when all is installed and running changes nothing and takes well under a second.
# Runs as root (or with sudo); safe under set -euo pipefail.
# shellcheck shell=bash

export FERRY_TEST_MYSQL=${FERRY_TEST_MYSQL:-}
export FERRY_TEST_POSTGRES=${FERRY_TEST_POSTGRES:-}
# 1 when this shell started the server (so stop_databases_we_started stops it), else 0.
FERRY_STARTED_MARIADB=${FERRY_STARTED_MARIADB:-0}
FERRY_STARTED_POSTGRES=${FERRY_STARTED_POSTGRES:-0}
# The PostgreSQL major version in use (set by ensure_postgres).
FERRY_POSTGRES_VERSION=${FERRY_POSTGRES_VERSION:-}
# Seconds to wait for a server to answer after starting it.
FERRY_DB_TIMEOUT=${FERRY_DB_TIMEOUT:-60}

FERRY_MARIADB_PORT=3306
FERRY_MARIADB_CNF=/etc/mysql/mariadb.conf.d/99-ferry.cnf
FERRY_MARIADB_LOG=${FERRY_MARIADB_LOG:-/var/log/ferry-mariadbd.log}
FERRY_POSTGRES_PORT=5432

_ferry_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# _ferry_as_user USER COMMAND...: runs COMMAND as USER, from / (which every user may enter).
_ferry_as_user() {
  local user=$1
  shift
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u "$user" -- "$@")
  else
    (cd / && sudo -u "$user" -- "$@")
  fi
}

# _ferry_write_file FILE OWNER CONTENT: writes CONTENT (plus a newline) to FILE unless it is
# already there. Returns 0 when it wrote, 1 when the file was already up to date.
_ferry_write_file() {
  local file=$1 owner=$2 content=$3
  if [ -f "$file" ] && [ "$(cat "$file")" = "$content" ]; then
    return 1
  fi
  log "writing $file"
  _ferry_as_root mkdir -p "$(dirname "$file")"
  printf '%s\n' "$content" | _ferry_as_root tee "$file" >/dev/null
  _ferry_as_root chown "$owner" "$file"
  _ferry_as_root chmod 644 "$file"
  return 0
}

# ---------------------------------------------------------------------------------------------
# MariaDB

# Root over the unix socket (Debian's root@localhost authenticates by unix_socket).
_ferry_mariadb_root() {
  _ferry_as_root mariadb --connect-timeout=2 -N -B "$@"
}

_ferry_mariadb_alive() {
  _ferry_as_root mariadb-admin --connect-timeout=2 ping >/dev/null 2>&1
}

# The settings the server runs with, as "log_bin format row_image server_id port".
_ferry_mariadb_settings() {
  _ferry_mariadb_root -e \
    "SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id, @@port" 2>/dev/null \
    | tr '\t' ' '
}

_ferry_mariadb_settings_ok() {
  local settings
  settings=$(_ferry_mariadb_settings) || return 1
  case $settings in
    "1 ROW FULL 0 "*) return 1 ;;
    "1 ROW FULL "*" $FERRY_MARIADB_PORT") return 0 ;;
    *) return 1 ;;
  esac
}

_ferry_mariadb_datadir() {
  local line dir=/var/lib/mysql
  while IFS= read -r line; do
    case $line in --datadir=*) dir=${line#--datadir=} ;; esac
  done < <(my_print_defaults mysqld server mariadb mariadbd 2>/dev/null || true)
  printf '%s\n' "${dir%/}"
}

# Stops the server over the socket and waits until its process is gone.
_ferry_mariadb_shutdown() {
  local pidfile pid=""
  pidfile="$(_ferry_mariadb_root -e 'SELECT @@pid_file' 2>/dev/null || true)"
  case $pidfile in "" | /*) ;; *) pidfile="$(_ferry_mariadb_datadir)/$pidfile" ;; esac
  if [ -n "$pidfile" ] && [ -f "$pidfile" ]; then pid=$(cat "$pidfile" 2>/dev/null || true); fi
  _ferry_as_root mariadb-admin --connect-timeout=2 shutdown || return 1
  if [ -n "$pid" ]; then
    for _ in $(seq $((FERRY_DB_TIMEOUT * 10))); do
      kill -0 "$pid" 2>/dev/null || return 0
      sleep 0.1
    done
    log "MariaDB (pid $pid) did not stop within ${FERRY_DB_TIMEOUT}s"
    return 1
  fi
}

# Starts mariadbd in the background, detached from this shell, and waits until it answers.
_ferry_mariadb_start() {
  local datadir server pid
  server=$(command -v mariadbd || command -v mysqld) || {
    log "neither mariadbd nor mysqld is on PATH"
    return 1
  }
  datadir=$(_ferry_mariadb_datadir)
  if [ ! -d /run/mysqld ] || [ "$(stat -c %U /run/mysqld)" != mysql ]; then
    log "creating /run/mysqld for the MariaDB socket, owned by mysql"
    _ferry_as_root install -d -o mysql -g mysql -m 755 /run/mysqld
  fi
  if [ ! -d "$datadir/mysql" ]; then
    log "initialising the MariaDB data directory $datadir (mariadb-install-db)"
    _ferry_as_root mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db \
      >>"$FERRY_MARIADB_LOG" 2>&1 || {
      log "mariadb-install-db failed; the end of $FERRY_MARIADB_LOG:"
      tail -n 30 "$FERRY_MARIADB_LOG" >&2
      return 1
    }
  fi
  log "starting MariaDB ($server --user=mysql, log in $FERRY_MARIADB_LOG)"
  printf '\n==> %s: starting %s\n' "$(date -Is)" "$server" | _ferry_as_root tee -a "$FERRY_MARIADB_LOG" >/dev/null
  # setsid and a command substitution: the server is not a child of this shell, so neither a
  # `wait` nor the end of this shell touches it, and it holds none of this shell's pipes.
  local -a root=()
  [ "$(id -u)" -eq 0 ] || root=(sudo)
  pid=$("${root[@]}" setsid "$server" --user=mysql </dev/null >>"$FERRY_MARIADB_LOG" 2>&1 & echo $!)
  log "waiting for MariaDB (pid $pid) to answer"
  for _ in $(seq $((FERRY_DB_TIMEOUT * 10))); do
    if _ferry_mariadb_alive; then
      log "MariaDB answers"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  log "MariaDB did not start (within ${FERRY_DB_TIMEOUT}s); the end of $FERRY_MARIADB_LOG:"
  tail -n 30 "$FERRY_MARIADB_LOG" >&2
  return 1
}

# The user ferry (on %, 127.0.0.1 and localhost) and the database ferry exist, with the privileges
# needed, and ferry logs in over TCP.
_ferry_mariadb_user_ok() {
  local found
  found=$(_ferry_mariadb_root -e "SELECT
      (SELECT COUNT(*) FROM mysql.user WHERE User = 'ferry'
         AND Host IN ('%', '127.0.0.1', 'localhost') AND Grant_priv = 'Y'
         AND Super_priv = 'Y' AND Repl_slave_priv = 'Y' AND Repl_client_priv = 'Y')
    + (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'ferry')" \
    2>/dev/null) || return 1
  [ "$found" = 4 ] || return 1
  mariadb --connect-timeout=2 -h127.0.0.1 -P"$FERRY_MARIADB_PORT" -uferry -pferry -N -B \
    -e 'SELECT 1' ferry >/dev/null 2>&1
}

ensure_mariadb() {
  local was_running=0 wrote=0 settings
  if { command -v mariadbd || command -v mysqld; } >/dev/null 2>&1 && _ferry_mariadb_alive; then
    was_running=1
  fi
  if ! { command -v mariadbd || command -v mysqld; } >/dev/null 2>&1 \
     || ! command -v mariadb >/dev/null 2>&1; then
    log "MariaDB is not installed: installing Debian's mariadb-server and mariadb-client"
    apt_install mariadb-server mariadb-client
  fi

  if _ferry_write_file "$FERRY_MARIADB_CNF" root:root "# Written by ferry's scripts/databases.sh: a binlog for change data capture (tests).
[mysqld]
server_id        = 1
log_bin          = mysql-bin
binlog_format    = ROW
binlog_row_image = FULL
expire_logs_days = 2
bind-address     = 127.0.0.1
port             = $FERRY_MARIADB_PORT"; then
    wrote=1
  fi

  if _ferry_mariadb_alive; then
    if _ferry_mariadb_settings_ok; then
      log "MariaDB is running, with the binlog (ROW, FULL) on port $FERRY_MARIADB_PORT"
    else
      settings=$(_ferry_mariadb_settings || true)
      log "MariaDB is running without the settings needed (log_bin binlog_format binlog_row_image server_id port: ${settings:-unknown}); restarting it"
      _ferry_mariadb_shutdown || {
        log "could not stop MariaDB to restart it"
        return 1
      }
      _ferry_mariadb_start || return 1
      # Started by us now, but it was running before: stopping it would not leave the machine
      # as it was, so it is left running afterwards.
    fi
  else
    [ "$wrote" = 1 ] || log "MariaDB is installed but not running"
    _ferry_mariadb_start || return 1
    [ "$was_running" = 1 ] || FERRY_STARTED_MARIADB=1
  fi

  if _ferry_mariadb_user_ok; then
    log "MariaDB user ferry and database ferry are there"
  else
    log "creating the MariaDB user ferry (password ferry; on %, 127.0.0.1 and localhost) and database ferry"
    local host sql="CREATE DATABASE IF NOT EXISTS ferry;"
    for host in '%' '127.0.0.1' 'localhost'; do
      sql+="
        CREATE USER IF NOT EXISTS 'ferry'@'$host' IDENTIFIED BY 'ferry';
        ALTER USER 'ferry'@'$host' IDENTIFIED BY 'ferry';
        GRANT ALL PRIVILEGES ON *.* TO 'ferry'@'$host' WITH GRANT OPTION;
        GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'ferry'@'$host';"
    done
    _ferry_mariadb_root -e "$sql" || {
      log "could not create the MariaDB user ferry"
      return 1
    }
  fi

  local got
  got=$(mariadb --connect-timeout=5 -h127.0.0.1 -P"$FERRY_MARIADB_PORT" -uferry -pferry -N -B \
    -e "SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id" ferry | tr '\t' ' ') || {
    log "FAILED: cannot log in to MariaDB over TCP as ferry at 127.0.0.1:$FERRY_MARIADB_PORT"
    return 1
  }
  case $got in
    "1 ROW FULL 0") ;;
    "1 ROW FULL "[0-9]*)
      log "MariaDB checked over TCP as ferry: log_bin=1 binlog_format=ROW binlog_row_image=FULL server_id=${got##* }"
      export FERRY_TEST_MYSQL="mysql://ferry:ferry@127.0.0.1:$FERRY_MARIADB_PORT/ferry"
      return 0
      ;;
  esac
  log "FAILED: MariaDB's settings over TCP are '$got' (log_bin binlog_format binlog_row_image server_id); wanted '1 ROW FULL <non-zero>'"
  return 1
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

# psql as the superuser postgres over the cluster's unix socket.
_ferry_pg_psql() {
  _ferry_as_user postgres psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql \
    -p "$FERRY_POSTGRES_PORT" -d postgres -Atc "$1"
}

_ferry_pg_running() {
  _ferry_as_root pg_ctlcluster "$FERRY_POSTGRES_VERSION" main status >/dev/null 2>&1
}

# The server answers on our port with wal_level=logical and none of our settings awaits a restart.
_ferry_pg_settings_ok() {
  local got
  got=$(_ferry_pg_psql "SELECT current_setting('wal_level') || ' ' || count(*) FROM pg_settings
    WHERE pending_restart AND name IN ('wal_level', 'max_replication_slots', 'max_wal_senders',
                                       'listen_addresses', 'port')" 2>/dev/null) || return 1
  [ "$got" = "logical 0" ]
}

_ferry_pg_tcp() {
  PGPASSWORD=ferry PGCONNECT_TIMEOUT=5 psql -X -h 127.0.0.1 -p "$FERRY_POSTGRES_PORT" -U ferry \
    -d ferry -Atc "$1"
}

ensure_postgres() {
  local was_running=0 version wrote=0
  version=$(_ferry_pg_version)
  if [ -n "$version" ] && [ -f "/etc/postgresql/$version/main/postgresql.conf" ] \
     && _ferry_as_root pg_ctlcluster "$version" main status >/dev/null 2>&1; then
    was_running=1
  fi
  if [ -z "$version" ]; then
    log "the PostgreSQL server is not installed: installing Debian's postgresql"
    apt_install postgresql
    version=$(_ferry_pg_version)
    [ -n "$version" ] || {
      log "FAILED: no /usr/lib/postgresql/*/bin/postgres after installing postgresql"
      return 1
    }
  fi
  FERRY_POSTGRES_VERSION=$version
  local etc=/etc/postgresql/$version/main
  if [ ! -f "$etc/postgresql.conf" ]; then
    log "creating the PostgreSQL $version cluster main (pg_createcluster)"
    _ferry_as_root pg_createcluster "$version" main >/dev/null
  fi

  if _ferry_write_file "$etc/conf.d/99-ferry.conf" postgres:postgres "# Written by ferry's scripts/databases.sh: logical decoding for change data capture (tests).
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
listen_addresses = '127.0.0.1'
port = $FERRY_POSTGRES_PORT"; then
    wrote=1
  fi

  if _ferry_pg_running; then
    if [ "$wrote" = 1 ]; then
      log "reloading PostgreSQL $version's configuration"
      _ferry_as_root pg_ctlcluster "$version" main reload
    fi
    if _ferry_pg_settings_ok; then
      log "PostgreSQL $version is running, with wal_level=logical on port $FERRY_POSTGRES_PORT"
    else
      log "PostgreSQL $version is running without the settings needed (wal_level=logical on port $FERRY_POSTGRES_PORT); restarting it"
      _ferry_as_root pg_ctlcluster "$version" main restart || {
        log "could not restart PostgreSQL; the end of its log:"
        tail -n 30 "/var/log/postgresql/postgresql-$version-main.log" >&2
        return 1
      }
    fi
  else
    log "starting PostgreSQL $version (pg_ctlcluster $version main start; log in /var/log/postgresql/postgresql-$version-main.log)"
    if [ ! -d /var/run/postgresql ]; then
      _ferry_as_root install -d -o postgres -g postgres -m 2775 /var/run/postgresql
    fi
    _ferry_as_root pg_ctlcluster "$version" main start || {
      log "PostgreSQL did not start; the end of its log:"
      tail -n 30 "/var/log/postgresql/postgresql-$version-main.log" >&2
      return 1
    }
    [ "$was_running" = 1 ] || FERRY_STARTED_POSTGRES=1
  fi

  local ok=0
  for _ in $(seq $((FERRY_DB_TIMEOUT * 10))); do
    if _ferry_pg_psql 'SELECT 1' >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.1
  done
  if [ "$ok" = 0 ]; then
    log "PostgreSQL $version does not answer on port $FERRY_POSTGRES_PORT; the end of its log:"
    tail -n 30 "/var/log/postgresql/postgresql-$version-main.log" >&2
    return 1
  fi

  local have
  have=$(_ferry_pg_psql "SELECT
      (SELECT count(*) FROM pg_roles WHERE rolname = 'ferry' AND rolcanlogin AND rolsuper)
    + (SELECT count(*) FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
        WHERE d.datname = 'ferry' AND r.rolname = 'ferry')") || return 1
  if [ "$have" = 2 ] && _ferry_pg_tcp 'SELECT 1' >/dev/null 2>&1; then
    log "PostgreSQL role ferry and database ferry are there"
  else
    log "creating the PostgreSQL role ferry (password ferry; LOGIN SUPERUSER) and database ferry"
    _ferry_pg_psql "DO \$\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ferry') THEN CREATE ROLE ferry; END IF;
      END \$\$;
      ALTER ROLE ferry WITH LOGIN SUPERUSER REPLICATION CREATEDB PASSWORD 'ferry';" || return 1
    if [ "$(_ferry_pg_psql "SELECT count(*) FROM pg_database WHERE datname = 'ferry'")" = 0 ]; then
      _ferry_pg_psql 'CREATE DATABASE ferry OWNER ferry' || return 1
    else
      _ferry_pg_psql 'ALTER DATABASE ferry OWNER TO ferry' || return 1
    fi
    if ! _ferry_pg_tcp 'SELECT 1' >/dev/null 2>&1; then
      log "pg_hba.conf does not let ferry log in with a password over 127.0.0.1: adding lines for it at the top"
      local hba
      hba=$(_ferry_pg_psql 'SHOW hba_file') || return 1
      _ferry_as_root sed -i "1i # Added by ferry's scripts/databases.sh (tests).\\
host    all             ferry           127.0.0.1/32            scram-sha-256\\
host    replication     ferry           127.0.0.1/32            scram-sha-256" "$hba"
      _ferry_as_root pg_ctlcluster "$version" main reload
      # A reload is signalled, not awaited: give the server a moment to read pg_hba.conf again.
      for _ in $(seq 50); do
        ! _ferry_pg_tcp 'SELECT 1' >/dev/null 2>&1 || break
        sleep 0.1
      done
    fi
  fi

  local got
  got=$(_ferry_pg_tcp 'SHOW wal_level') || {
    log "FAILED: cannot log in to PostgreSQL over TCP as ferry at 127.0.0.1:$FERRY_POSTGRES_PORT"
    return 1
  }
  if [ "$got" != logical ]; then
    log "FAILED: PostgreSQL's wal_level over TCP is '$got', wanted 'logical'"
    return 1
  fi
  log "PostgreSQL $version checked over TCP as ferry: wal_level=logical"
  export FERRY_TEST_POSTGRES="postgres://ferry:ferry@127.0.0.1:$FERRY_POSTGRES_PORT/ferry"
}

# The newest PostgreSQL major version whose server is installed (empty: none).
_ferry_pg_version() {
  local bin version=""
  for bin in /usr/lib/postgresql/*/bin/postgres; do
    [ -x "$bin" ] || continue
    bin=${bin#/usr/lib/postgresql/}
    bin=${bin%%/*}
    if [ -z "$version" ] || [ "$bin" -gt "$version" ] 2>/dev/null; then version=$bin; fi
  done
  printf '%s\n' "$version"
}

# ---------------------------------------------------------------------------------------------

# Stops the servers that ensure_mariadb / ensure_postgres started in this shell (none other), so
# a test run leaves the machine as it found it. Fails when one of them could not be stopped.
stop_databases_we_started() {
  local status=0
  if [ "$FERRY_STARTED_POSTGRES" = 1 ]; then
    if _ferry_pg_running; then
      log "stopping PostgreSQL $FERRY_POSTGRES_VERSION (we started it)"
      _ferry_as_root pg_ctlcluster "$FERRY_POSTGRES_VERSION" main stop || {
        log "could not stop PostgreSQL $FERRY_POSTGRES_VERSION"
        status=1
      }
    fi
    [ "$status" = 1 ] || FERRY_STARTED_POSTGRES=0
  fi
  if [ "$FERRY_STARTED_MARIADB" = 1 ]; then
    if _ferry_mariadb_alive; then
      log "stopping MariaDB (we started it)"
      if _ferry_mariadb_shutdown; then
        FERRY_STARTED_MARIADB=0
      else
        log "could not stop MariaDB"
        status=1
      fi
    else
      FERRY_STARTED_MARIADB=0
    fi
  fi
  return "$status"
}
