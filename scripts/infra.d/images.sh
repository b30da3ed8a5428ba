# shellcheck shell=bash
# Test images without a registry: debootstrap a rootfs, configure it in a chroot, `tar | docker import`.
# Sourced by scripts/infra (uses ROOT, INFRA, LIB, BASE_IMAGE, BOX_IMAGE, log, die, now, since, is_root,
# is_debian). The box image is built by cac itself (ensure_box_image). Each image carries
# LABEL cac.recipe=<sha256 of its recipe + the host inputs>; it is
# rebuilt only when that label differs from the current hash or the image is missing.

SUITE=bookworm
HOST_CAS=/usr/local/share/ca-certificates
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
# The functions whose text is the shared part of every image's recipe (hashed with `declare -f`,
# so editing a comment does not trigger a rebuild, editing a command does).
RECIPE_COMMON=(apt_mirror apt_security_mirror debootstrap_rootfs rootfs_common copy_host_node
  add_sudoer finish_rootfs import_rootfs)

# The Debian archive apt already uses: first http(s) URI ending in /debian in the host's apt sources
# (deb822 *.sources or one-line *.list). Never hard-coded: each network has its own mirror.
apt_mirror() {
  local u
  u=$({ cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{for(i=2;i<=NF;i++)print $i}'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '/^deb /{print ($2 ~ /^\[/ ? $3 : $2)}'; } |
    grep -E '^https?://' | grep -v -- '-security' | grep -iE '/debian/?$' | head -1) || true
  [ -n "$u" ] || die "no Debian mirror found in the host's apt sources"
  echo "${u%/}"
}

# The security archive from the host's sources too; else the usual sibling of the main mirror.
apt_security_mirror() {
  local u m
  u=$({ cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{for(i=2;i<=NF;i++)print $i}'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '/^deb /{print ($2 ~ /^\[/ ? $3 : $2)}'; } |
    grep -E '^https?://.*/debian-security/?$' | head -1) || true
  if [ -n "$u" ]; then echo "${u%/}"; else m=$(apt_mirror) && echo "${m%/debian}/debian-security"; fi
}

npm_dir() { dirname "$(dirname "$(readlink -f "$(command -v npm)")")"; }  # .../node_modules/npm

# What an image takes from the host besides its recipe: mirror, Node/npm, the extra CA files.
# Computed once per run (no npm spawn) so a warm `up` stays fast; call it once outside $(...) so
# the result is kept in HOST_INPUTS.
host_inputs() {
  if [ -z "${HOST_INPUTS:-}" ]; then
    HOST_INPUTS=$(
      echo "mirror $(apt_mirror) $(apt_security_mirror)"
      echo "node $(node --version) npm $(grep -m1 '"version"' "$(npm_dir)/package.json")"
      if [ -d "$HOST_CAS" ]; then (cd "$HOST_CAS" && find . -type f | LC_ALL=C sort | xargs -r sha256sum); fi
    )
  fi
  printf '%s\n' "$HOST_INPUTS"
}

recipe_hash() {  # $1 = base
  {
    declare -f "${RECIPE_COMMON[@]}" "build_$1"
    host_inputs
  } | sha256sum | cut -c1-64
}

image_state() {  # $1 = tag, $2 = expected hash -> ok|stale|missing
  local have
  have=$(docker image inspect -f '{{index .Config.Labels "cac.recipe"}}' "$1" 2>/dev/null) || {
    echo missing
    return
  }
  if [ "$have" = "$2" ]; then echo ok; else echo stale; fi
}

# A failed debootstrap can leave /proc, /sys... mounted inside the rootfs: unmount them first and never
# let rm cross into another filesystem.
rm_rootfs() {
  local mnt
  [ -e "$1" ] || return 0
  awk -v p="$1/" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r |
    while read -r mnt; do umount -l "$mnt" || true; done
  rm -rf --one-file-system "$1"
}

debootstrap_rootfs() {  # $1 = rootfs, $2 = comma-separated extra packages
  local log_file=$INFRA/debootstrap-${1##*/rootfs-}.log t
  t=$(now)
  mkdir -p "$INFRA/cache/debs"
  debootstrap --variant=minbase --include="$2" --cache-dir="$INFRA/cache/debs" \
    "$SUITE" "$1" "$(apt_mirror)" >"$log_file" 2>&1 || die "debootstrap failed, see $log_file"
  log "  debootstrap: $(since "$t")"
}

rootfs_common() {  # $1 = rootfs: host CAs, Node
  local r=$1
  # The network inspects HTTPS with its own CA, trusted by the host via this folder; without it
  # curl/npm in a container fail (SELF_SIGNED_CERT_IN_CHAIN) or hang.
  if [ -d "$HOST_CAS" ]; then cp -a "$HOST_CAS/." "$r/usr/local/share/ca-certificates/"; fi
  # update-ca-certificates uses mktemp: a host TMPDIR that does not exist in the chroot breaks it.
  env -u TMPDIR chroot "$r" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in $r"
  # /etc/environment reaches ssh/login sessions (pam_env), where image ENV does not.
  echo "NODE_EXTRA_CA_CERTS=$CA_BUNDLE" >>"$r/etc/environment"
  copy_host_node "$r"
}

# The host's Node + npm (Debian's nodejs is 18 and far bigger); nodesource's build needs only libc/libstdc++.
copy_host_node() {  # $1 = rootfs
  local r=$1
  install -D -m 755 "$(readlink -f "$(command -v node)")" "$r/usr/local/bin/node"
  mkdir -p "$r/usr/local/lib/node_modules" "$r/usr/local/etc"
  rm -rf "$r/usr/local/lib/node_modules/npm"
  cp -a "$(npm_dir)" "$r/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$r/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$r/usr/local/bin/npx"
  echo "cafile=$CA_BUNDLE" >"$r/usr/local/etc/npmrc"  # npm's global config for prefix /usr/local
}

add_sudoer() {  # $1 = rootfs, $2 = user: passwordless sudo that keeps the CA variable
  printf '%s ALL=(ALL) NOPASSWD:ALL\nDefaults env_keep += "NODE_EXTRA_CA_CERTS"\n' "$2" >"$1/etc/sudoers.d/$2"
  chmod 440 "$1/etc/sudoers.d/$2"
}

finish_rootfs() {  # $1 = rootfs: apt sources for the same mirror, no caches or lists
  local r=$1 m s
  m=$(apt_mirror)
  s=$(apt_security_mirror)
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
    "$m" "$SUITE" "$m" "$SUITE" "$s" "$SUITE" >"$r/etc/apt/sources.list"
  rm -f "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin
  rm -rf "$r"/var/lib/apt/lists/*
  mkdir -p "$r/var/lib/apt/lists/partial"
}

import_rootfs() {  # $1 = rootfs, $2 = tag, $3 = hash, rest = extra `docker import -c` changes
  local r=$1 tag=$2 hash=$3 c t args=()
  shift 3
  for c in "LABEL cac.recipe=$hash" 'ENV LANG=C.UTF-8' "ENV NODE_EXTRA_CA_CERTS=$CA_BUNDLE" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$@"; do
    args+=(-c "$c")
  done
  t=$(now)
  tar -C "$r" -c . | docker import "${args[@]}" - "$tag" >/dev/null
  log "  tar | docker import: $(since "$t")"
}

# cac-test/base:bookworm: what devcontainers in tests start from; user dev (1000:1000).
build_base() {  # $1 = rootfs, $2 = tag, $3 = hash
  local r=$1
  debootstrap_rootfs "$r" ca-certificates,git,sudo,curl,tar,procps
  rootfs_common "$r"
  chroot "$r" groupadd -g 1000 dev
  chroot "$r" useradd -m -u 1000 -g 1000 -d /home/dev -s /bin/bash dev
  add_sudoer "$r" dev
  finish_rootfs "$r"
  import_rootfs "$r" "$2" "$3" 'CMD ["/bin/bash"]'
}

# cac-test/box:bookworm: the box image users build, made by cac's own command from the recipe the package
# ships (box-image/), so the tests run what `cac box image build --from-rootfs` makes. Its config, cache
# (debootstrap's packages) and logs stay under .infra/. The command labels the image with its recipe
# hash and reuses an image that has it.
cac_cli() {
  local tsx=$ROOT/node_modules/.bin/tsx
  [ -x "$tsx" ] || die "$tsx is missing: run npm ci first"
  CAC_CONFIG=$INFRA/cac-config.toml XDG_CACHE_HOME=$INFRA/cache XDG_STATE_HOME=$INFRA/state "$tsx" "$ROOT/src/cli/main.ts" "$@"
}

box_image_state() {  # -> ok|stale|missing
  local st
  st=$(cac_cli box image status --from-rootfs --tag "$BOX_IMAGE" --json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{try{process.stdout.write(JSON.parse(s).state)}catch{}})') || true
  case $st in current) echo ok ;; stale) echo stale ;; *) echo missing ;; esac
}

ensure_box_image() {
  local t
  t=$(now)
  # reuses a current image as any user; a build needs root on Debian (the command says what is missing)
  cac_cli box image build --from-rootfs --tag "$BOX_IMAGE" --json >"$INFRA/box-image.json" ||
    die "cac box image build --from-rootfs --tag $BOX_IMAGE failed (logs in $INFRA/state/cac/logs)"
  log "image $BOX_IMAGE: $(node -e 'const d=require(process.argv[1]);process.stdout.write(`${d.action}, recipe ${d.recipeHash.slice(0,12)}`)' "$INFRA/box-image.json") in $(since "$t")"
  # the same image under the product's default name ([boxes.docker] image unset), as a user's
  # `cac box image build` would tag it: tests that keep the default get the image the recipe makes
  local product
  product=$(cac_cli config show --json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{try{process.stdout.write(JSON.parse(s).config.boxes.docker.image)}catch{}})') || product=""
  [ -n "$product" ] && [ "$product" != "$BOX_IMAGE" ] || die "cannot read the default box image name (cac config show --json)"
  docker tag "$BOX_IMAGE" "$product" || die "docker tag $BOX_IMAGE $product failed"
}

ensure_images() {
  local kind tag hash st t built=0
  host_inputs >/dev/null
  for kind in base; do
    tag=$BASE_IMAGE
    hash=$(recipe_hash "$kind")
    st=$(image_state "$tag" "$hash")
    if [ "$st" = ok ]; then
      log "image $tag: ok"
      continue
    fi
    { is_root && is_debian; } || die "image $tag is $st; building it needs root on Debian (debootstrap, chroot)"
    log "image $tag: $st, building from $(apt_mirror) ..."
    t=$(now)
    rm_rootfs "$INFRA/rootfs-$kind"
    "build_$kind" "$INFRA/rootfs-$kind" "$tag" "$hash"
    rm_rootfs "$INFRA/rootfs-$kind"  # the image has it all now; a rootfs is ~0.2-0.6 GB
    log "image $tag: built in $(since "$t") ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1e6}'))"
    built=1
  done
  # The replaced image (if any) is now dangling; prune removes dangling images only.
  if [ "$built" = 1 ]; then docker image prune -f >/dev/null; fi
  ensure_box_image
}
