import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/parse.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { configSchema } from '../../src/config/schema.js';
import { STARTER_CONFIG } from '../../src/config/starter.js';
import { indexLines, lineOf } from '../../src/config/locate.js';
import { configFilePath, stateDir } from '../../src/util/paths.js';
import { CacError } from '../../src/errors.js';

function failure(text: string): CacError {
  try {
    parseConfig(text, 'cfg.toml');
  } catch (e) {
    if (e instanceof CacError) return e;
    throw e;
  }
  throw new Error('expected a config error');
}

describe('config syntax errors', () => {
  it('names file:line:col and shows the offending line', () => {
    const e = failure('[agents]\nenabled = true\non_start = tru\n');
    expect(e.code).toBe('ERR_CONFIG_SYNTAX');
    expect(e.message).toMatch(/^cfg\.toml:3:12: /);
    expect(e.details?.excerpt).toContain('3 | on_start = tru');
    expect(e.exitCode).toBe(2);
  });

  it('reports an unclosed table header', () => {
    expect(failure('[agents\nenabled = true\n').message).toMatch(/^cfg\.toml:1:\d+: /);
  });
});

describe('config schema errors', () => {
  it('names file:line, the dot path, the expected type and the value', () => {
    const e = failure('[agents]\nenabled = true\n\n[agents.codex]\ninstall = "yes"\n');
    expect(e.code).toBe('ERR_CONFIG_SCHEMA');
    expect(e.message).toBe('cfg.toml:5: agents.codex.install: expected boolean, got "yes"');
    expect(e.exitCode).toBe(2);
  });

  it('finds keys inside the right [[pools]] entry', () => {
    const e = failure('[[pools]]\nrepo_url = "a"\n[[pools]]\nrepo_url = "b"\nmin_standby = -1\n');
    expect(e.message).toBe('cfg.toml:5: pools.1.min_standby: expected number to be >=0, got -1');
  });

  it('checks min_standby against max_instances', () => {
    const e = failure('[[pools]]\nrepo_url = "a"\nmin_standby = 5\nmax_instances = 2\n');
    expect(e.message).toBe('cfg.toml:3: pools.0.min_standby: min_standby must not exceed max_instances, got 5');
  });

  it('boxes.max_live and boxes.max_per_claimant are whole numbers ≥ 0, off when absent', () => {
    expect(failure('[boxes]\nmax_live = -1\n').message).toBe('cfg.toml:2: boxes.max_live: expected number to be >=0, got -1');
    const e = failure('[boxes]\nmax_per_claimant = 1.5\nmax_live = "4"\n');
    expect([e.code, e.exitCode, e.message]).toEqual(['ERR_CONFIG_SCHEMA', 2, 'cfg.toml:3: boxes.max_live: expected number, got "4"']);
    expect(e.details?.more).toEqual(['cfg.toml:2: boxes.max_per_claimant: expected int, got 1.5']);
    expect(parseConfig('[boxes]\nmax_live = 0\nmax_per_claimant = 2\n', 'cfg.toml').config.boxes).toMatchObject({ max_live: 0, max_per_claimant: 2 });
    const defaults = parseConfig('', 'cfg.toml').config.boxes;
    expect([defaults.max_live, defaults.max_per_claimant]).toEqual([undefined, undefined]);
  });

  it('lists allowed values for enums and reports every problem', () => {
    const e = failure('[boxes]\ndriver = "k8s"\nlease_ttl = "soon"\n');
    expect(e.message).toBe('cfg.toml:2: boxes.driver: expected one of "docker", "ssh-fleet", "command", got "k8s"');
    expect(e.details?.more).toEqual(['cfg.toml:3: boxes.lease_ttl: expected a duration like "90s", "10m" or "8h", got "soon"']);
  });

  it('boxes.docker.ssh_host is an IP address (docker publishes the SSH port on it), 127.0.0.1 by default', () => {
    const e = failure('[boxes.docker]\nssh_host = "box.example; rm -rf /"\n');
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('cfg.toml:2: boxes.docker.ssh_host: must be an IP address of this host, got "box.example; rm -rf /"');
    expect(parseConfig('[boxes.docker]\nssh_host = "10.0.0.5"\n', 'cfg.toml').config.boxes.docker.ssh_host).toBe('10.0.0.5');
    expect(defaultConfig().boxes.docker.ssh_host).toBe('127.0.0.1');
  });

  it('a duration that drives a timer may not pass 24.8 days; a lease or a grace period may be long', () => {
    const e = failure('[boxes]\nprovision_timeout = "30d"\n\n[boxes.command]\ntimeout = "25d"\n');
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('cfg.toml:2: boxes.provision_timeout: expected a duration of at most 24.8 days (the longest a timer can wait), got "30d"');
    expect(e.details?.more).toEqual(['cfg.toml:5: boxes.command.timeout: expected a duration of at most 24.8 days (the longest a timer can wait), got "25d"']);
    const { config } = parseConfig('[boxes]\nlease_ttl = "30d"\norphan_grace = "90d"\n', 'c.toml');
    expect([config.boxes.lease_ttl, config.boxes.orphan_grace]).toEqual(['30d', '90d']);
    expect(failure('[boxes]\nlease_ttl = "20y"\n').message).toBe('cfg.toml:2: boxes.lease_ttl: expected a duration of at most 10 years, got "20y"');
  });

  it('[boxes] idle_timeout is off by default; a bad value exits 2 naming the key', () => {
    expect(defaultConfig().boxes.idle_timeout).toBeUndefined();
    expect(parseConfig('[boxes]\nidle_timeout = "2h"\n', 'c.toml').config.boxes.idle_timeout).toBe('2h');
    const e = failure('[boxes]\nidle_timeout = "later"\n');
    expect([e.exitCode, e.message]).toEqual([2, 'cfg.toml:2: boxes.idle_timeout: expected a duration like "90s", "10m" or "8h", got "later"']);
  });

  it('refuses env names that are not names', () => {
    expect(failure('[agents.claude]\nenv_forward = ["OK", "NOT OK"]\n').message).toMatch(/agents\.claude\.env_forward\.1: /);
  });
});

describe('agent config paths: a string or an array', () => {
  it("host_config_path takes one path as a string (the agent-injection design's form) or several as an array", () => {
    const one = parseConfig('[agents.codex]\nhost_config_path = "~/.codex"\ncontainer_config_path = "~/.codex"\n', 'cfg.toml').config.agents.codex;
    expect([one.host_config_path, one.container_config_path]).toEqual([['~/.codex'], '~/.codex']);
    const many = parseConfig('[agents.codex]\nhost_config_path = ["~/.codex/auth.json", "~/.codex/config.toml"]\ncontainer_config_path = ["~/.codex"]\n', 'cfg.toml').config.agents.codex;
    expect([many.host_config_path, many.container_config_path]).toEqual([['~/.codex/auth.json', '~/.codex/config.toml'], '~/.codex']);
  });

  it('other types are refused naming the field, exit 2', () => {
    const e = failure('[agents.codex]\nhost_config_path = 5\n');
    expect([e.code, e.exitCode, e.message]).toEqual(['ERR_CONFIG_SCHEMA', 2, 'cfg.toml:2: agents.codex.host_config_path: expected a path or an array of paths, got 5']);
    expect(failure('[agents.claude]\nhost_config_path = ""\n').message).toBe('cfg.toml:2: agents.claude.host_config_path: expected string to have >=1 characters, got ""');
    expect(failure('[agents.codex]\ncontainer_config_path = ["~/a", "~/b"]\n').message).toBe(
      'cfg.toml:2: agents.codex.container_config_path: expected a path (or an array of one path: the container has one config dir per agent), got ["~/a","~/b"]',
    );
  });

  it("the starter file shows host_config_path's string form", () => {
    expect(STARTER_CONFIG).toMatch(/^# host_config_path = "~\/\.codex"$/m);
  });
});

describe('unknown keys', () => {
  it('are warnings with the dot path, the line and the closest known key', () => {
    const { warnings, config } = parseConfig('[agents.codex]\nenabeld = true\n\n[engine]\nhots = "x"\nzzz_unrelated = 1\n', 'c.toml');
    expect(warnings).toEqual([
      { path: 'agents.codex.enabeld', line: 2, message: "unknown key 'agents.codex.enabeld' (did you mean 'enabled'?)" },
      { path: 'engine.hots', line: 5, message: "unknown key 'engine.hots' (did you mean 'host'?)" },
      { path: 'engine.zzz_unrelated', line: 6, message: "unknown key 'engine.zzz_unrelated'" },
    ]);
    expect(config.agents.codex.enabled).toBe(false);
  });

  it('inside arrays of tables', () => {
    const { warnings } = parseConfig('[[pools]]\nrepo_url = "https://example.test/a.git"\nmin_stanby = 1\n', 'c.toml');
    expect(warnings.map((w) => w.path)).toEqual(['pools.0.min_stanby']);
    expect(warnings[0]?.message).toContain("did you mean 'min_standby'");
  });
});

describe('defaults and files', () => {
  it('a missing file means all defaults', async () => {
    const loaded = await loadConfig(join(mkdtempSync(join(tmpdir(), 'cac-')), 'nope.toml'));
    expect(loaded.exists).toBe(false);
    expect(loaded.config).toEqual(defaultConfig());
    expect(loaded.config.agents).toMatchObject({ enabled: false, on_start: true, on_rebuild: true });
    expect(loaded.config.agents.codex).toMatchObject({ enabled: false, install: true, env_forward: [] });
    expect(loaded.config.boxes.driver).toBe('docker');
  });

  it('the defaults written out (defaults.ts, no zod) are exactly what the schema gives an empty file', () => {
    expect(defaultConfig()).toEqual(configSchema.parse({}));
    expect(parseConfig('', 'empty.toml').config).toEqual(defaultConfig());
    // each call a new object: a caller changing it changes no one else's
    const a = defaultConfig();
    a.boxes.fleet.push({ host: 'h', port: 22, user: 'u', host_key: 'k', labels: [] });
    expect(defaultConfig().boxes.fleet).toEqual([]);
  });

  it('the starter file parses to exactly the defaults, with no warnings', () => {
    const loaded = parseConfig(STARTER_CONFIG, 'starter.toml');
    expect(loaded.config).toEqual(defaultConfig());
    expect(loaded.warnings).toEqual([]);
  });

  it('every commented key of the starter is a real key', () => {
    const uncommented = STARTER_CONFIG.replace(/^# (\[|[a-z_]+ = )/gm, '$1');
    const dir = mkdtempSync(join(tmpdir(), 'cac-'));
    writeFileSync(join(dir, 'c.toml'), uncommented);
    const loaded = parseConfig(uncommented, 'c.toml');
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config.pools).toHaveLength(1);
    expect(loaded.config.boxes.fleet).toHaveLength(1);
  });

  it('resolves the config path: flag, $CAC_CONFIG, $XDG_CONFIG_HOME, ~/.config', () => {
    expect(configFilePath({ CAC_CONFIG: '/e.toml' }, '/flag.toml')).toBe('/flag.toml');
    expect(configFilePath({ CAC_CONFIG: '/e.toml', XDG_CONFIG_HOME: '/x' })).toBe('/e.toml');
    expect(configFilePath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/cac/config.toml');
    expect(configFilePath({ HOME: '/h' })).toBe('/h/.config/cac/config.toml');
    expect(stateDir({ HOME: '/h' })).toBe('/h/.local/state/cac');
    expect(stateDir({ XDG_STATE_HOME: '/s' })).toBe('/s/cac');
  });

  it('locates table headers, dotted keys and quoted keys', () => {
    const index = indexLines('a = 1\n[t]\n"q.k" = 2\nx.y = 3\n[[arr]]\nk = 1\n[[arr]]\n[arr.sub]\nz = 1\n');
    expect(lineOf(index, ['t', 'q.k'])).toBe(3);
    expect(lineOf(index, ['t', 'x', 'y'])).toBe(4);
    expect(lineOf(index, ['arr', 1, 'sub', 'z'])).toBe(9);
    expect(lineOf(index, ['arr', 0, 'missing'])).toBe(5);
    expect(lineOf(index, ['nope'])).toBeUndefined();
  });
});
