# shellcheck shell=bash
# Host daemons for the tests: Redis and an OpenSSH server, both on 127.0.0.1 with free ports.
# Sourced by scripts/infra (uses INFRA, log, die, pid_alive, stop_pid, is_root).

SSH_DIR=$INFRA/ssh

# A port counts as taken when something accepts a connection on it (bash's /dev/tcp, no extra tools).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {  # $1 = first port to try
  local p=$1
  while port_busy "$p"; do p=$((p + 1)); done
  echo "$p"
}

# ---------------------------------------------------------------------------------------- redis
redis_ping() { [ "$(timeout 5 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]; }
redis_ok() {
  local port
  port=$(cat "$INFRA/redis.port" 2>/dev/null) && pid_alive "$INFRA/redis.pid" redis-server && redis_ping "$port"
}

ensure_redis() {  # sets REDIS_PORT
  local port i
  if redis_ok; then
    REDIS_PORT=$(cat "$INFRA/redis.port")
    log "redis: running on 127.0.0.1:$REDIS_PORT"
    return
  fi
  stop_pid "$INFRA/redis.pid" redis-server redis  # recorded but not answering
  mkdir -p "$INFRA/redis"
  port=$(free_port 16379)
  # --save '' / --appendonly no: nothing persisted; --dir keeps any stray file under .infra.
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$INFRA/redis.pid" --logfile "$INFRA/redis.log" --dir "$INFRA/redis" 9>&- ||
    die "redis-server failed to start, see $INFRA/redis.log"
  for ((i = 0; i < 50; i++)); do
    redis_ping "$port" && break
    sleep 0.1
  done
  redis_ping "$port" || die "redis on 127.0.0.1:$port does not answer PING, see $INFRA/redis.log"
  echo "$port" >"$INFRA/redis.port"
  REDIS_PORT=$port
  log "redis: started on 127.0.0.1:$port (pid $(cat "$INFRA/redis.pid"))"
}

# ---------------------------------------------------------------------------------------- sshd
host_key_line() { cut -d' ' -f1,2 "$SSH_DIR/host_ed25519_key.pub"; }  # "ssh-ed25519 AAAA..."

write_known_hosts() {  # $1 = port
  printf '[127.0.0.1]:%s %s\n' "$1" "$(host_key_line)" >"$SSH_DIR/known_hosts"
}

# A real login with the client key, checking the pinned host key (what the tests will do).
ssh_check() {  # $1 = port
  timeout 10 ssh -F none -p "$1" -i "$SSH_DIR/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o ConnectTimeout=5 -o UserKnownHostsFile="$SSH_DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o StrictHostKeyChecking=yes -o LogLevel=ERROR "$(id -un)@127.0.0.1" true </dev/null >/dev/null 2>&1
}

sshd_ok() {
  local port
  port=$(cat "$INFRA/sshd.port" 2>/dev/null) && pid_alive "$INFRA/sshd.pid" sshd && ssh_check "$port"
}

# sshd refuses key logins to accounts whose password field is locked ('!'); '*' = no password, not locked.
unlock_user() {  # $1 = user
  is_root || return 0
  case "$(getent shadow "$1" | cut -d: -f2)" in
    '!'*)
      usermod -p '*' "$1"
      log "note: account $1 was locked ('!' in /etc/shadow); set its password field to '*' so key login works"
      ;;
  esac
}

ensure_sshd_keys() {
  mkdir -p "$SSH_DIR"
  chmod 700 "$SSH_DIR"
  [ -f "$SSH_DIR/host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C cac-infra-host -f "$SSH_DIR/host_ed25519_key"
  [ -f "$SSH_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C cac-infra-client -f "$SSH_DIR/id_ed25519"
  chmod 600 "$SSH_DIR/id_ed25519" "$SSH_DIR/host_ed25519_key"
  cmp -s "$SSH_DIR/id_ed25519.pub" "$SSH_DIR/authorized_keys" || cp "$SSH_DIR/id_ed25519.pub" "$SSH_DIR/authorized_keys"
}

ensure_sshd() {  # sets SSH_PORT
  local port i user
  user=$(id -un)
  ensure_sshd_keys
  unlock_user "$user"
  # known_hosts is ours to rewrite: the pinned key is our host key, on the recorded port.
  if [ -f "$INFRA/sshd.port" ]; then write_known_hosts "$(cat "$INFRA/sshd.port")"; fi
  if sshd_ok; then
    SSH_PORT=$(cat "$INFRA/sshd.port")
    log "sshd: running on 127.0.0.1:$SSH_PORT"
    return
  fi
  stop_pid "$INFRA/sshd.pid" sshd sshd
  port=$(free_port 12222)
  # StrictModes no: .infra may be group-writable or live under a shared checkout.
  cat >"$SSH_DIR/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $SSH_DIR/host_ed25519_key
PidFile $INFRA/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $SSH_DIR/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
AllowUsers $user
EOF
  if is_root; then mkdir -p /run/sshd; fi  # privilege separation dir (no systemd to create it)
  /usr/sbin/sshd -t -f "$SSH_DIR/sshd_config" 2>"$INFRA/sshd.log" || die "bad sshd config: $(cat "$INFRA/sshd.log")"
  # sshd daemonizes itself once it listens; sshd needs its absolute path to re-exec.
  /usr/sbin/sshd -f "$SSH_DIR/sshd_config" -E "$INFRA/sshd.log" 9>&- || die "sshd failed to start, see $INFRA/sshd.log"
  write_known_hosts "$port"
  for ((i = 0; i < 50; i++)); do
    ssh_check "$port" && break
    sleep 0.1
  done
  ssh_check "$port" || die "ssh to $user@127.0.0.1:$port fails, see $INFRA/sshd.log"
  echo "$port" >"$INFRA/sshd.port"
  SSH_PORT=$port
  log "sshd: started on 127.0.0.1:$port (pid $(cat "$INFRA/sshd.pid")), ssh as $user works"
}
