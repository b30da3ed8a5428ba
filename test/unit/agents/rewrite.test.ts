import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { rewriteWorkspace } from '../../../src/core/agents/rewrite.js';

describe('workspace path rewriting', () => {
  it('rewrites ~/.claude.json projects keys (the workspace and paths under it), nothing else', () => {
    const text = JSON.stringify({ projects: { '/src/app': { a: 1 }, '/src/app/pkg': { b: 2 }, '/src/application': { c: 3 }, '/other': {} }, note: '/src/app' });
    const r = rewriteWorkspace('claude-json', text, '/src/app', '/workspaces/app');
    expect(r.count).toBe(2);
    const doc = JSON.parse(r.text);
    expect(Object.keys(doc.projects)).toEqual(['/workspaces/app', '/workspaces/app/pkg', '/src/application', '/other']);
    expect(doc.projects['/workspaces/app']).toEqual({ a: 1 });
    expect(doc.note).toBe('/src/app');
  });

  it('the workspace entry wins over one the host already had at the container path', () => {
    const text = JSON.stringify({ projects: { '/workspaces/app': { old: true }, '/src/app': { fresh: true } } });
    const doc = JSON.parse(rewriteWorkspace('claude-json', text, '/src/app', '/workspaces/app').text);
    expect(doc.projects).toEqual({ '/workspaces/app': { fresh: true } });
  });

  it('leaves invalid JSON unchanged and says so; no projects → unchanged', () => {
    expect(rewriteWorkspace('claude-json', '{oops', '/a', '/b')).toEqual({ text: '{oops', count: 0, unparsed: true });
    expect(rewriteWorkspace('claude-json', '{"x":1}', '/a', '/b')).toEqual({ text: '{"x":1}', count: 0 });
  });

  it('rewrites Codex [projects."<path>"] tables, quoted either way, keeping the rest of the file byte for byte', () => {
    const text = [
      '# my config',
      'model = "o3"  # keep',
      '',
      '[projects."/src/app"]',
      'trust_level = "trusted"',
      '',
      "[ projects . '/src/app/sub' ]",
      'trust_level = "untrusted"',
      '',
      '[projects."/src/app".extra]',
      'x = 1',
      '',
      '[projects."/elsewhere"]',
      'trust_level = "trusted"',
      '',
    ].join('\n');
    const r = rewriteWorkspace('codex-toml', text, '/src/app', '/workspaces/app');
    expect(r.count).toBe(3);
    expect(r.text).toContain('# my config\nmodel = "o3"  # keep\n');
    const doc = parse(r.text) as { projects: Record<string, unknown> };
    expect(Object.keys(doc.projects).sort()).toEqual(['/elsewhere', '/workspaces/app', '/workspaces/app/sub']);
    expect(doc.projects['/workspaces/app']).toEqual({ trust_level: 'trusted', extra: { x: 1 } });
  });

  it('never creates a duplicate Codex table (that would be invalid TOML)', () => {
    const text = '[projects."/src/app"]\na = 1\n[projects."/workspaces/app"]\nb = 2\n';
    const r = rewriteWorkspace('codex-toml', text, '/src/app', '/workspaces/app');
    expect(r).toEqual({ text, count: 0 });
  });

  it('handles paths that need escaping in TOML and JSON', () => {
    const from = '/src/my "app" \\ dir';
    const text = `[projects.${JSON.stringify(from)}]\nt = 1\n`;
    const r = rewriteWorkspace('codex-toml', text, from, '/workspaces/my "app"');
    expect((parse(r.text) as { projects: Record<string, unknown> }).projects).toEqual({ '/workspaces/my "app"': { t: 1 } });
  });

  it('does nothing when the paths are equal or unknown', () => {
    expect(rewriteWorkspace('codex-toml', 'x', '/a', '/a').count).toBe(0);
    expect(rewriteWorkspace('codex-toml', 'x', '', '/a').count).toBe(0);
  });
});
