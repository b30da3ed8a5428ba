// The command plugin's JSON contract: what cac sends and how it reads (and refuses) the answers.
import { describe, expect, it } from 'vitest';
import { createdAtOf, createInput, parseCreateOutput, parseListOutput, parseStatusOutput } from '../../../src/adapters/vm/command-contract.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa';
const reason = (r: { ok: boolean; reason?: string }) => (r.ok ? 'ok' : r.reason);

describe('createInput', () => {
  it('sends the box, its pool, the labels (with cac.box, cac.pool, cac.created-at), the key and the public key', () => {
    const input = createInput({ boxId: 'box_1', poolKey: 'https://x/r.git#main', labels: { 'cac.test-run': 't1' }, sshPublicKey: KEY }, 'idem-1', 1234);
    expect(input).toEqual({
      boxId: 'box_1',
      pool: 'https://x/r.git#main',
      labels: { 'cac.test-run': 't1', 'cac.box': 'box_1', 'cac.pool': 'https://x/r.git#main', 'cac.created-at': '1234' },
      idempotencyKey: 'idem-1',
      sshPublicKey: KEY,
    });
  });
});

describe('parseCreateOutput', () => {
  it('reads the VM and its SSH endpoint, pinning type and key without the comment', () => {
    const r = parseCreateOutput(`${JSON.stringify({ vmRef: 'i-1', host: '10.0.0.5', port: 22, user: 'cac', hostKey: `${KEY} root@box` })}\n`);
    expect(r).toEqual({ ok: true, value: { vmRef: 'i-1', host: '10.0.0.5', port: 22, user: 'cac', hostKey: KEY } });
  });

  it('takes a port given as a string of digits', () => {
    expect(parseCreateOutput(JSON.stringify({ vmRef: 'i', host: 'h', port: '2222', user: 'u', hostKey: KEY }))).toMatchObject({ ok: true, value: { port: 2222 } });
  });

  it.each([
    ['', 'printed nothing on stdout (expected JSON)'],
    ['Creating instance…\n{"vmRef":"i"}', 'printed something that is not JSON: "Creating instance…\\n{\\"vmRef\\":\\"i\\"}"'],
    ['[]', 'printed JSON that is not an object {vmRef, host, port, user, hostKey}'],
    [`{"host":"h","port":22,"user":"u","hostKey":"${KEY}"}`, 'missing or invalid vmRef'],
    ['{"vmRef":"i"}', 'missing or invalid host (a host name or IP address), port (1-65535), user (a login name), hostKey (an OpenSSH public key line)'],
    [`{"vmRef":"i","host":"h","port":0,"user":"u","hostKey":"${KEY}"}`, 'missing or invalid port (1-65535)'],
    ['{"vmRef":"i","host":"h","port":22,"user":"u","hostKey":"AAAA"}', 'missing or invalid hostKey (an OpenSSH public key line)'],
    [`{"vmRef":"","host":"h","port":22.5,"user":"u","hostKey":"${KEY}"}`, 'missing or invalid vmRef; missing or invalid port (1-65535)'],
  ])('refuses %s', (stdout, why) => {
    expect(reason(parseCreateOutput(stdout))).toBe(why);
  });

  it.each(['10.0.0.5', '::1', 'fe80::1', 'vm-1.internal.example', 'host_1.corp', 'h', 'box.example.test.'])('accepts host %s', (host) => {
    expect(reason(parseCreateOutput(JSON.stringify({ vmRef: 'i', host, port: 22, user: 'ec2-user', hostKey: KEY })))).toBe('ok');
  });

  it.each([
    ['host', '-oProxyCommand=touch x'],
    ['host', 'h\u001b[31mred'],
    ['host', 'evil\u202eetadpu.example'],
    ['host', 'a b'],
    ['host', 'user@h'],
    ['host', '-h'],
    ['host', 'a..b'],
    ['user', '-oProxyCommand=x'],
    ['user', 'root\u001b]0;owned\u0007'],
    ['user', 'a b'],
    ['user', 'u@h'],
    ['user', 'x'.repeat(40)],
  ])('refuses a %s that is not a name: %j', (field, value) => {
    const answer = { vmRef: 'i', host: 'h', port: 22, user: 'u', hostKey: KEY, [field]: value };
    expect(reason(parseCreateOutput(JSON.stringify(answer)))).toBe(field === 'host' ? 'missing or invalid host (a host name or IP address)' : 'missing or invalid user (a login name)');
    // status may leave the endpoint out, but not give a bad one
    expect(reason(parseStatusOutput(JSON.stringify({ ...answer, state: 'running' })))).toMatch(/^missing or invalid (host|user)/);
  });

  it('cuts a long non-JSON answer in the reason', () => {
    expect(reason(parseCreateOutput('x'.repeat(500)))).toHaveLength('printed something that is not JSON: ""'.length + 121);
  });
});

describe('parseStatusOutput', () => {
  it.each(['running', 'stopped', 'gone'])('reads state %s', (state) => {
    expect(parseStatusOutput(JSON.stringify({ vmRef: 'i-1', state }))).toEqual({ ok: true, value: { vmRef: 'i-1', state } });
  });

  it('keeps an SSH endpoint the plugin repeats, and ignores an incomplete one', () => {
    const full = parseStatusOutput(JSON.stringify({ vmRef: 'i', state: 'running', host: 'h', port: 22, user: 'u', hostKey: KEY }));
    expect(full).toEqual({ ok: true, value: { vmRef: 'i', state: 'running', target: { host: 'h', port: 22, user: 'u', hostKey: KEY } } });
    expect(parseStatusOutput(JSON.stringify({ vmRef: 'i', state: 'running', host: 'h' }))).toEqual({ ok: true, value: { vmRef: 'i', state: 'running' } });
  });

  it.each([
    ['{"vmRef":"i","state":"terminated"}', 'state must be "running", "stopped" or "gone", not "terminated"'],
    ['{"vmRef":"i"}', 'state must be "running", "stopped" or "gone", not null'],
    ['{"state":"running"}', 'missing or invalid vmRef'],
    ['"running"', 'printed JSON that is not an object {vmRef, state}'],
  ])('refuses %s', (stdout, why) => {
    expect(reason(parseStatusOutput(stdout))).toBe(why);
  });
});

describe('parseListOutput', () => {
  it('reads every VM with its labels', () => {
    const vms = [
      { vmRef: 'a', labels: { 'cac.box': 'box_1' } },
      { vmRef: 'b', labels: {} },
    ];
    expect(parseListOutput(JSON.stringify(vms))).toEqual({ ok: true, value: vms });
    expect(parseListOutput('[]\n')).toEqual({ ok: true, value: [] });
  });

  it.each([
    ['{}', 'printed JSON that is not an array [{vmRef, labels}]'],
    ['[{"labels":{}}]', 'item 0: missing or invalid vmRef'],
    ['[{"vmRef":"a","labels":{}},{"vmRef":"b"}]', 'item 1 (b): labels must be an object of strings'],
    ['[{"vmRef":"a","labels":{"n":1}}]', 'item 0 (a): labels must be an object of strings'],
  ])('refuses %s', (stdout, why) => {
    expect(reason(parseListOutput(stdout))).toBe(why);
  });
});

describe('createdAtOf', () => {
  it('reads cac.created-at, and falls back (never an orphan yet) without a valid one', () => {
    expect(createdAtOf({ 'cac.created-at': '1700000000000' }, 5)).toBe(1_700_000_000_000);
    expect(createdAtOf({}, 5)).toBe(5);
    expect(createdAtOf({ 'cac.created-at': 'yesterday' }, 5)).toBe(5);
  });
});
