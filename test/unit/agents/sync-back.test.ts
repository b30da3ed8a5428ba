import { describe, expect, it } from 'vitest';
import { inject } from '../../../src/core/agents/inject.js';
import { syncBack } from '../../../src/core/agents/sync-back.js';
import { recordPath } from '../../../src/core/agents/record.js';
import { config, FakeDocker, HOME, makeDeps, MemFiles, target } from '../../fakes/agents.js';

const AUTH = `${HOME}/.codex/auth.json`;
const IN_CONTAINER = '/home/dev/.codex/auth.json';

async function injected() {
  const files = new MemFiles({ [AUTH]: '{"refresh":"r1"}', [`${HOME}/.codex/config.toml`]: 'x = 1\n' });
  const docker = new FakeDocker();
  docker.bins = { codex: '/usr/bin/codex' };
  const { deps, events } = makeDeps({ agents: config({}, { codex: { enabled: true } }), files, docker });
  await inject(deps, target, { event: 'start' });
  docker.calls = [];
  const setContainer = (text: string) => docker.containerFiles.set(IN_CONTAINER, { mode: 0o600, data: Buffer.from(text) });
  return { files, docker, deps, events, setContainer };
}

describe('credential sync-back', () => {
  it('a credential the agent refreshed in the container flows back atomically, 0600, in one exec', async () => {
    const { deps, files, docker, setContainer } = await injected();
    setContainer('{"refresh":"r2"}');
    files.put(AUTH, '{"refresh":"r1"}', 0o644);
    expect(await syncBack(deps, target)).toEqual({ synced: [AUTH], warnings: [] });
    expect(files.text(AUTH)).toBe('{"refresh":"r2"}');
    expect(files.files.get(AUTH)?.mode).toBe(0o600);
    expect(docker.calls.map((c) => c.what)).toEqual(['read']);
    // the record now holds the new state: a second pull has nothing to do
    expect(await syncBack(deps, target)).toEqual({ synced: [], warnings: [] });
  });

  it('both sides changed: a warning, and the host file is kept', async () => {
    const { deps, files, setContainer } = await injected();
    setContainer('{"refresh":"container"}');
    files.put(AUTH, '{"refresh":"host"}');
    const out = await syncBack(deps, target);
    expect(out).toEqual({ synced: [], warnings: ['codex: ~/.codex/auth.json changed on the host and in the container; kept the host file'] });
    expect(files.text(AUTH)).toBe('{"refresh":"host"}');
  });

  it('only the host changed, or nothing changed: nothing is written', async () => {
    const { deps, files } = await injected();
    expect(await syncBack(deps, target)).toEqual({ synced: [], warnings: [] });
    files.put(AUTH, '{"refresh":"host-only"}');
    expect(await syncBack(deps, target)).toEqual({ synced: [], warnings: [] });
    expect(files.text(AUTH)).toBe('{"refresh":"host-only"}');
  });

  it('both changed to the same content: no warning', async () => {
    const { deps, files, setContainer } = await injected();
    setContainer('{"refresh":"same"}');
    files.put(AUTH, '{"refresh":"same"}');
    expect(await syncBack(deps, target)).toEqual({ synced: [], warnings: [] });
  });

  it('another container (recreated without injection) or no record: nothing to bring back, no exec', async () => {
    const { deps, docker, files } = await injected();
    expect(await syncBack(deps, { ...target, containerId: 'other' })).toEqual({ synced: [], warnings: [] });
    files.files.delete(recordPath('/state/cac', '/src/app'));
    expect(await syncBack(deps, target)).toEqual({ synced: [], warnings: [] });
    expect(docker.calls).toEqual([]);
  });

  it('re-injection never overwrites a credential the agent refreshed in the container; the refresh flows back', async () => {
    const { deps, files, docker, setContainer } = await injected();
    setContainer('{"refresh":"r2"}');
    const [codex] = await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject']);
    expect(docker.containerFiles.get(IN_CONTAINER)?.data?.toString()).toBe('{"refresh":"r2"}');
    expect(files.text(AUTH)).toBe('{"refresh":"r2"}');
    expect(codex).toMatchObject({ status: 'ok', copied: ['/home/dev/.codex/config.toml'] });
    // and the next injection overwrites it again (nothing changed since)
    files.put(AUTH, '{"refresh":"r3"}');
    await inject(deps, target, { event: 'start' });
    expect(docker.containerFiles.get(IN_CONTAINER)?.data?.toString()).toBe('{"refresh":"r3"}');
  });

  it('re-injection when both changed: a warning, neither side overwritten', async () => {
    const { deps, files, docker, setContainer } = await injected();
    setContainer('{"refresh":"container"}');
    files.put(AUTH, '{"refresh":"host"}');
    const [codex] = await inject(deps, target, { event: 'start' });
    expect(codex?.warnings).toEqual(["~/.codex/auth.json changed on the host and in the container; kept both (the container's copy was not overwritten)"]);
    expect(docker.containerFiles.get(IN_CONTAINER)?.data?.toString()).toBe('{"refresh":"container"}');
    expect(files.text(AUTH)).toBe('{"refresh":"host"}');
  });

  it('a file deleted in the container is left alone on the host', async () => {
    const { deps, docker, files } = await injected();
    docker.containerFiles.delete(IN_CONTAINER);
    expect(await syncBack(deps, target)).toEqual({ synced: [], warnings: [] });
    expect(files.text(AUTH)).toBe('{"refresh":"r1"}');
  });
});

describe('sync-back takes only the same kind of credential from the container', () => {
  const KEPT = 'kept the host file';
  const cases: Array<[string, string | Buffer, string]> = [
    ['not JSON', 'rm -rf / # not a token', 'is not JSON like the host copy'],
    ['empty (truncated)', '', 'is not JSON like the host copy'],
    ['other top-level keys', '{"refresh":"r2","extra":"x"}', 'has other top-level keys than the host copy'],
    ['missing a key', '{}', 'has other top-level keys than the host copy'],
    ['an array', '["refresh"]', 'is an array, the host copy an object'],
    ['over the size cap', `{"refresh":"${'x'.repeat(1024 * 1024)}"}`, 'is larger than 1 MiB'],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'is not JSON like the host copy'],
  ];

  for (const [name, bytes, why] of cases) {
    it(`${name}: the host file is kept, a warning names the agent, the file and why (never the content)`, async () => {
      const { deps, files, docker } = await injected();
      docker.containerFiles.set(IN_CONTAINER, { mode: 0o600, data: Buffer.from(bytes) });
      const out = await syncBack(deps, target);
      expect(out).toEqual({ synced: [], warnings: [`codex: ~/.codex/auth.json not taken from the container (its copy ${why}); ${KEPT}`] });
      expect(files.text(AUTH)).toBe('{"refresh":"r1"}');
      // still refused on the next pull (the record did not take it as the new state)
      expect((await syncBack(deps, target)).warnings).toHaveLength(1);
      expect(files.text(AUTH)).toBe('{"refresh":"r1"}');
    });
  }

  it('a symbolic link in the container: never read, the host file kept, a warning', async () => {
    const { deps, files, docker } = await injected();
    docker.containerLinks.add(IN_CONTAINER);
    expect(await syncBack(deps, target)).toEqual({ synced: [], warnings: [`codex: ~/.codex/auth.json not taken from the container (its copy is a symbolic link); ${KEPT}`] });
    expect(files.text(AUTH)).toBe('{"refresh":"r1"}');
  });

  it('same keys, new values (a real refresh) still flow back; key order does not matter', async () => {
    const { deps, files, setContainer } = await injected();
    files.put(AUTH, '{"refresh":"r1","id":"a"}');
    // the injected copy's hash is what the record holds: re-inject so host and record agree
    await inject(deps, target, { event: 'start' });
    setContainer('{"id":"a","refresh":"r2"}');
    expect(await syncBack(deps, target)).toEqual({ synced: [AUTH], warnings: [] });
    expect(files.text(AUTH)).toBe('{"id":"a","refresh":"r2"}');
  });

  it('re-injection: a refreshed copy of another kind is neither taken nor overwritten, with a warning', async () => {
    const { deps, files, setContainer } = await injected();
    setContainer('not json at all');
    const [codex] = await inject(deps, target, { event: 'start' });
    expect(codex?.warnings).toEqual(["~/.codex/auth.json not taken from the container (its copy is not JSON like the host copy); kept both (the container's copy was not overwritten)"]);
    expect(files.text(AUTH)).toBe('{"refresh":"r1"}');
  });
});
