// box request | list | show | renew | release | pull | exec | ssh, and the hidden worker `box _provision <id>`: flags
// (validated here, the edge) → app → render → exit code.
import { EXIT } from '../../errors.js';
import { durationMs } from '../../domain/duration.js';
import { validateBoxId, validateBranch, validateClaimant, validateRepoUrl } from '../../domain/validate.js';
import { boxLog, execInBox, listBoxes, pullBox, releaseBox, renewLease, requestBox, showBox, sshToBox } from '../../app/use-cases/boxes.js';
import { runBoxWorker } from '../../app/use-cases/box-worker.js';
import { CacError } from '../../errors.js';
import type { CommandInput, Handler } from '../action.js';
import { grantLine } from './box-lines.js';

type Id = [id: string];

export const request: Handler<
  [],
  { repo: string; branch?: string | undefined; for?: string | undefined; envFile?: string | undefined; wait?: true | undefined; timeout: string; ttl?: string | undefined }
> = async (ctx, { opts }) => {
  const repoUrl = validateRepoUrl(opts.repo, '--repo');
  if (opts.branch !== undefined) validateBranch(opts.branch, '--branch');
  const timeoutMs = durationMs(opts.timeout, '--timeout');
  const leaseMs = opts.ttl !== undefined ? durationMs(opts.ttl, '--ttl', 'stored') : undefined;
  const requestedBy = opts.for !== undefined ? validateClaimant(opts.for, '--for') : validateClaimant(ctx.env.USER ?? 'cac', '--for (from $USER)');
  const doc = await requestBox(ctx, { repoUrl, branch: opts.branch, requestedBy, envFile: opts.envFile, wait: opts.wait === true, timeoutMs, leaseMs });
  ctx.reporter.emit({ type: 'info', message: grantLine(doc.box, doc.warm, boxLog(ctx, doc.box.id)) });
  ctx.result(doc, doc.box.id);
  return EXIT.ok;
};

export const list: Handler<[], { all?: true | undefined }> = async (ctx, { opts }) => {
  const doc = await listBoxes(ctx, { all: opts.all === true });
  const human = ctx.output.json ? undefined : (await import('./box-render.js')).renderBoxList(doc.boxes, Date.now());
  ctx.result(doc, human);
  return EXIT.ok;
};

export const show: Handler<Id, { wait?: true | undefined; timeout: string }> = async (ctx, { args: [id], opts }) => {
  const input = { id: validateBoxId(id, '<id>'), timeoutMs: durationMs(opts.timeout, '--timeout'), wait: opts.wait === true };
  const doc = await showBox(ctx, input);
  const human = ctx.output.json ? undefined : (await import('./box-render.js')).renderBox(doc.box, Date.now());
  ctx.result(doc, human);
  return EXIT.ok;
};

export const renew: Handler<Id, { ttl?: string | undefined; for?: string | undefined; force?: true | undefined }> = async (ctx, { args: [id], opts }) => {
  const boxId = validateBoxId(id, '<id>');
  const leaseMs = opts.ttl !== undefined ? durationMs(opts.ttl, '--ttl', 'stored') : undefined;
  const claimant = opts.for !== undefined ? validateClaimant(opts.for, '--for') : validateClaimant(ctx.env.USER ?? 'cac', '--for (from $USER)');
  const doc = await renewLease(ctx, { id: boxId, leaseMs, claimant, force: opts.force === true });
  ctx.reporter.emit({ type: 'info', message: `renewed ${doc.box.id}: lease until ${new Date(doc.box.leaseExpiresAt ?? 0).toISOString()}` });
  ctx.result(doc);
  return EXIT.ok;
};

export const release: Handler<Id> = async (ctx, { args: [id] }) => {
  ctx.result(await releaseBox(ctx, { id: validateBoxId(id, '<id>') }));
  return EXIT.ok;
};

export const pull: Handler<Id> = async (ctx, { args: [id] }) => {
  const doc = await pullBox(ctx, { id: validateBoxId(id, '<id>') });
  const human = doc.synced.length ? doc.synced.map((p) => `copied back ${p}`).join('\n') : (doc.note ?? 'no refreshed credentials to copy back');
  ctx.result(doc, human);
  return doc.outcome === 'warnings' ? EXIT.warnings : EXIT.ok;
};

// `cac box exec <id> -- cmd args`: the words after `--`, else the operands after the id
const commandOf = (input: CommandInput<[string, string[]], object>): string[] => (input.rest.length ? input.rest : input.args[1]);

export const exec: Handler<[id: string, command: string[]]> = async (ctx, input) => {
  const id = validateBoxId(input.args[0], '<id>');
  const argv = commandOf(input);
  if (argv.length === 0) throw new CacError('ERR_USAGE', 'no command given', { hint: 'usage: cac box exec <id> -- <cmd> [args...]' });
  return execInBox(ctx, { id, argv });
};

export const ssh: Handler<[id: string, command: string[]]> = async (ctx, input) => {
  const id = validateBoxId(input.args[0], '<id>');
  return sshToBox(ctx, { id, argv: commandOf(input) });
};

/** Hidden: the detached worker started by `box request` for a cold box (its output goes to the box's log). */
export const provisionWorker: Handler<Id, { envStdin?: true | undefined }> = async (ctx, { args: [id], opts }) => {
  const doc = await runBoxWorker(ctx, { id: validateBoxId(id, '<id>'), envStdin: opts.envStdin === true });
  const failed = doc.provision === 'failed';
  ctx.result(doc, `${id} ${doc.provision}${failed ? `: ${doc.box?.error ?? ''}` : ''}`);
  return failed ? EXIT.failed : EXIT.ok;
};
