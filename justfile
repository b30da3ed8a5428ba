# cac tasks. `npx just --list` shows them all.
set shell := ["bash", "-euo", "pipefail", "-c"]

# the main job on the embedded default: engine up, build, then cac at work
demo: infra-up build
    scripts/demo

# lint (format, lint rules, dead code), then every lane against real engines: infra up, build, unit +
# integration + e2e, one total line
test: lint infra-up build
    scripts/test-lanes unit integration e2e

# the unit lane only (no engines)
test-unit:
    scripts/test-lanes unit

test-integration: infra-up build
    scripts/test-lanes integration

test-e2e: infra-up build
    scripts/test-lanes e2e

# the e2e subset against Podman's Docker-compatible socket: export CAC_TEST_PODMAN_HOST first (README: Podman)
test-podman: infra-up build
    scripts/test-lanes podman

# build dist/ (esbuild bundle + .d.ts)
build:
    node scripts/build.mjs

typecheck:
    npx tsc --noEmit -p .

# format and lint check (biome), then unused files, exports and dependencies (knip); the layering rules
# (.dependency-cruiser.cjs) run in the unit lane
lint:
    npx biome ci .
    npx knip

# rewrite the code in the project's format (biome.json), and apply biome's safe lint fixes
fmt:
    npx biome check --write .

# start dockerd, Redis and sshd on loopback and build the test images (idempotent)
infra-up:
    scripts/infra up

# stop what infra-up started, by PID
infra-down:
    scripts/infra down

infra-status:
    scripts/infra status

# regenerate completions/ after changing commands
completions:
    npx tsx scripts/completions.ts

# benchmarks, printed as tables with each target beside what was measured: start-up, cac up vs the raw
# devcontainer CLI, agent injection, box claims (16 processes against each store's floor) and planPool,
# box request warm vs cold. A bench whose output is wrong fails; exits 1 when any target is missed.
bench: infra-up build
    #!/usr/bin/env bash
    set -uo pipefail
    failed=()
    for b in startup lifecycle agents agent-cache claims boxes box-provision; do
      node --import tsx "bench/$b.ts" || failed+=("$b")
    done
    if [ ${#failed[@]} -gt 0 ]; then echo "bench: failed or missed a target: ${failed[*]}" >&2; exit 1; fi
    echo "bench: every target met"
