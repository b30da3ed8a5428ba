import { describe, expect, it } from 'vitest';
import { planBoxSyncBack, syncBackBox } from '../../../src/core/agents/box-sync-back.js';
import { boxRecordPath, readRecord } from '../../../src/core/agents/record.js';
import { injectAgents } from '../../../src/core/provision/agents.js';
import type { Box } from '../../../src/domain/box.js';
import { config, FakeDocker, HOME, makeDeps, MemFiles } from '../../fakes/agents.js';
import { makeBox } from '../../fakes/box.js';

const CREDS = `${HOME}/.claude/.credentials.json`;
const IN_CONTAINER = '/home/dev/.claude/.credentials.json';
const token = (name: string) => JSON.stringify({ claudeAiOauth: { refreshToken: `token-${name}` } });

function readyBox(over: Partial<Box> = {}): Box {
  const box = makeBox({ state: 'ready', claimant: 'me', sshTarget: { host: '127.0.0.1', port: 2222, user: 'cac', hostKey: 'ssh-ed25519 AAAA' } });
  const workspace = {
    folder: `/home/cac/cac/${box.id}/app`,
    branch: 'main',
    configFile: '.devcontainer/devcontainer.json',
    cli: '/usr/bin/devcontainer',
    containerId: `ctr-${box.id}`,
    remoteUser: 'dev',
    remoteWorkspaceFolder: '/workspaces/app',
  };
  return { ...box, workspace, ...over };
}

async function injectedBox() {
  const files = new MemFiles({ [CREDS]: token('host') });
  const docker = new FakeDocker();
  docker.bins = { claude: '/usr/bin/claude' };
  const { deps } = makeDeps({ agents: config({}, { claude: { enabled: true } }), files, docker });
  const box = readyBox();
  const ws = box.workspace as NonNullable<Box['workspace']> & { containerId: string; remoteUser: string; remoteWorkspaceFolder: string; configFile: string; cli: string };
  await injectAgents(() => deps, docker, ws, new AbortController().signal, box);
  docker.calls = [];
  const refresh = (name: string) => docker.containerFiles.set(IN_CONTAINER, { mode: 0o600, data: Buffer.from(token(name)) });
  return { files, docker, deps, box, refresh };
}

describe('box sync-back planner', () => {
  it('reads back only what this host injected into this very dev container of a box not yet released', async () => {
    const { files, box } = await injectedBox();
    const record = await readRecord(files, boxRecordPath('/state/cac', box.id));
    expect(planBoxSyncBack(box, record)).toEqual({ run: true, target: { containerId: `ctr-${box.id}`, remoteUser: 'dev' } });
    expect(planBoxSyncBack(box, undefined)).toEqual({ run: false, note: `this host injected no agent credentials into box ${box.id}` });
    expect(planBoxSyncBack({ ...box, state: 'releasing' }, record)).toEqual({ run: false, note: `box ${box.id} is releasing: its credentials went with it` });
    expect(planBoxSyncBack({ ...box, sshTarget: null }, record)).toEqual({ run: false, note: `box ${box.id} has no dev container` });
    const rebuilt = { ...box, workspace: { ...(box.workspace as NonNullable<Box['workspace']>), containerId: 'another' } };
    expect(planBoxSyncBack(rebuilt, record)).toEqual({ run: false, note: `box ${box.id}'s dev container is not the one this host injected into` });
  });
});

describe('box sync-back', () => {
  it('a login the agent refreshed in the box comes back to the host file, 0600, in one exec; a second pull has nothing to do', async () => {
    const { deps, files, docker, box, refresh } = await injectedBox();
    refresh('refreshed-in-box');
    expect(await syncBackBox(deps, box)).toEqual({ synced: [CREDS], warnings: [] });
    expect(files.text(CREDS)).toBe(token('refreshed-in-box'));
    expect(files.files.get(CREDS)?.mode).toBe(0o600);
    expect(docker.calls.map((c) => [c.what, c.argv.includes(`ctr-${box.id}`)])).toEqual([['read', true]]);
    expect(await syncBackBox(deps, box)).toEqual({ synced: [], warnings: [] });
  });

  it('both changed: the host file is kept, with a warning that never quotes either token', async () => {
    const { deps, files, box, refresh } = await injectedBox();
    refresh('box-side');
    files.put(CREDS, token('host-side'), 0o600);
    const out = await syncBackBox(deps, box);
    expect(out).toEqual({ synced: [], warnings: ['claude: ~/.claude/.credentials.json changed on the host and in the container; kept the host file'] });
    expect(files.text(CREDS)).toBe(token('host-side'));
  });

  it('a box this host injected nothing into: no exec, a note', async () => {
    const { deps, docker } = await injectedBox();
    const other = readyBox();
    expect(await syncBackBox(deps, other)).toEqual({ synced: [], warnings: [], note: `this host injected no agent credentials into box ${other.id}` });
    expect(docker.calls).toEqual([]);
  });
});
