// The commented starter file `cac config init` writes. Every key is shown at its default, commented
// out, so the file parses to exactly the defaults (a unit test holds that).
import { DEFAULT_BOX_IMAGE } from './schema.js';

export const STARTER_CONFIG = `# cac configuration (TOML). Every key below is optional; the values shown are the defaults.
# Docs: README.md "Configuration". Check this file with: cac config validate

[agents]
# Global gate for agent injection into dev containers and boxes.
# enabled = false
# Inject on 'cac up' and 'cac start'.
# on_start = true
# Inject on 'cac rebuild'.
# on_rebuild = true
# Copy credentials an agent refreshed inside the container back to the host on stop/down (and box release).
# sync_back = true
# Warn when one agent's copied material exceeds this many MB (caches are never copied).
# max_copy_mb = 20

# One table per agent: codex, claude, cursor, gemini. Example for codex:
[agents.codex]
# enabled = false
# Install the agent CLI in the container when it is missing.
# install = true
# Host file or dir to copy (default: the preset's files); an array lists several: ["~/.codex/auth.json", "~/.codex/config.toml"].
# host_config_path = "~/.codex"
# Where they land in the container (~ is the container user's real home).
# container_config_path = "~/.codex"
# Environment variables forwarded into the container (allow-list; values never logged).
# env_forward = ["OPENAI_API_KEY"]
# install_command = "npm i -g @openai/codex"
# A rotating login (Claude OAuth, Codex with a ChatGPT login) already live in another container or box,
# about to go into a box: "warn", "refuse" (not injected), or "api_key_only" (only an API key in env_forward).
# on_fork = "warn"

[engine]
# docker CLI (or a Docker-compatible one, e.g. podman through its Docker-API socket).
# docker_path = "docker"
# Engine endpoint; default: $DOCKER_HOST, else the client's default.
# host = "unix:///var/run/docker.sock"

[local]
# 'cac up' in a folder without a devcontainer configuration runs it in this image (as 'cac up --image' does);
# unset: such a folder is ERR_NO_DEVCONTAINER.
# default_image = "mcr.microsoft.com/devcontainers/javascript-node:20"

[store]
# Where boxes and pools are recorded. Absent: SQLite at $XDG_STATE_HOME/cac/boxes.db.
# "redis://host:6379/0" when several hosts share pools; "sqlite:/path/boxes.db" for another file.
# url = "redis://127.0.0.1:6379/0"

[boxes]
# VM driver: "docker" (containers as boxes), "ssh-fleet" (your machines), "command" (your scripts).
# driver = "docker"
# What a box gets: "full" (repo, devcontainer up, agents, .env) or "vm" (the VM and SSH only).
# provision = "full"
# How the repo reaches a box: "push" (git bundle over SSH) or "clone" (the box clones);
# default: push for local paths and file:// URLs, clone otherwise.
# repo_delivery = "push"
# Images copied from the local engine into each box's engine before 'devcontainer up'.
# preload_images = []
# The image of a repo without a devcontainer configuration: cac generates a devcontainer.json naming it
# next to the checkout (never in it). "" turns it off: such boxes fail with ERR_NO_DEVCONTAINER.
# default_image = "mcr.microsoft.com/devcontainers/javascript-node:20"
# A claimed box is released after this long.
# lease_ttl = "8h"
# A box still provisioning after this long is failed and destroyed.
# provision_timeout = "15m"
# VMs labelled by cac with no record, older than this, are destroyed by reconcile.
# orphan_grace = "10m"
# Destroyed box records are kept this long, then purged by reconcile (pool totals are kept).
# keep_destroyed = "7d"
# Off unless set: a claimed box with no SSH session, no 'cac box exec' and no CPU use in its dev
# container for this long (measured on the box each reconcile round) is released.
# idle_timeout = "2h"
# Most boxes live at once across all pools (requested to ready: holding or about to hold a VM); off when unset.
# max_live = 20
# Most boxes one claimant (--for) holds at once (cold ones on their way, claimed, ready); off when unset.
# max_per_claimant = 2

[boxes.docker]
# The box image, of this cac's version; 'cac box image build' makes it.
# image = "${DEFAULT_BOX_IMAGE}"
# An IP address of this host: boxes' SSH ports are published there (hosts sharing a store reach them there).
# ssh_host = "127.0.0.1"

# [[boxes.fleet]]            # ssh-fleet driver: one table per machine
# host = "10.0.0.5"
# port = 22
# user = "cac"
# host_key = "ssh-ed25519 AAAA..."   # pinned; required
# identity_file = "~/.ssh/id_ed25519"
# labels = []

# [boxes.command]            # command driver: your executables, JSON on stdin/stdout
# create = "/usr/local/bin/my-cloud-box create"
# destroy = "/usr/local/bin/my-cloud-box destroy"
# list = "/usr/local/bin/my-cloud-box list"
# status = "/usr/local/bin/my-cloud-box status"
# timeout = "5m"
# env = ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]   # passed to the plugins beyond PATH, HOME, locale, proxies

# Warm pools kept by 'cac pool reconcile': one table per repo and base branch.
# [[pools]]
# repo_url = "https://github.com/acme/app.git"
# base_branch = "main"
# min_standby = 1
# max_instances = 10
# max_staleness = "60s"   # a claim brings a box last checked at its branch head longer ago to head first

[secrets]
# Master key file for encrypted .env payloads (must not be group/world readable);
# default: the CAC_MASTER_KEY environment variable.
# master_key_file = "~/.config/cac/master.key"
`;
