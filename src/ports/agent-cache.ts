// AgentCache: agent CLIs installed once per platform, kept as tarred install prefixes on the machine
// running cac and restored into later containers (docs/architecture.md "Agent CLI cache").
import type { Readable } from 'node:stream';
import type { AgentKind } from '../domain/kinds.js';

/** What one cached install is keyed by: a stale or foreign entry is never used silently. */
export interface AgentCacheKey {
  kind: AgentKind;
  /** An exact version (never "latest"). */
  version: string;
  /** The container's `uname -m` and libc, e.g. `x86_64-gnu`, `aarch64-musl`. */
  platform: string;
}

export interface CachedAgent extends AgentCacheKey {
  bytes: number;
  /** ISO time the entry was stored. */
  storedAt: string;
  path: string;
}

export interface AgentCache {
  /** The exact version a spec stands for: "latest" is resolved through the registry once and recorded; `refresh` asks again. */
  resolve(pkg: string, spec: string, opts?: { refresh?: boolean; signal?: AbortSignal }): Promise<string>;
  /** The cached install prefix as a tar stream; undefined when there is none. */
  open(key: AgentCacheKey): Promise<Readable | undefined>;
  /** Stores `dir` of a container (tarred out of it) under `key`; absent when the container's engine cannot stream files out. */
  save?(key: AgentCacheKey, from: { containerId: string; remoteUser: string }, dir: string, signal?: AbortSignal): Promise<void>;
  /** Removes an entry (one that failed its check). */
  drop(key: AgentCacheKey): Promise<void>;
  list(): Promise<CachedAgent[]>;
}
