// agents doctor | sync | pull: flags → app → render → exit code.
import { EXIT } from '../../errors.js';
import type { AgentKind } from '../../domain/kinds.js';
import { agentsDoctor, pullAgentCredentials, syncAgents } from '../../app/use-cases/agents.js';
import type { Handler } from '../action.js';
import { renderDoctor } from './agents-render.js';

type Workspace = [workspace: string | undefined];

export const sync: Handler<Workspace, { agent?: AgentKind[] | undefined }> = async (ctx, { args: [folder], opts }) => {
  const doc = await syncAgents(ctx, { folder, only: opts.agent });
  ctx.result(doc);
  return doc.outcome === 'warnings' ? EXIT.warnings : EXIT.ok;
};

export const pull: Handler<Workspace> = async (ctx, { args: [folder] }) => {
  const doc = await pullAgentCredentials(ctx, { folder });
  const human = doc.synced.length ? doc.synced.map((p) => `copied back ${p}`).join('\n') : 'no refreshed credentials to copy back';
  ctx.result(doc, human);
  return doc.outcome === 'warnings' ? EXIT.warnings : EXIT.ok;
};

export const doctor: Handler<Workspace> = async (ctx, { args: [folder] }) => {
  const doc = await agentsDoctor(ctx, { folder });
  ctx.result(doc, renderDoctor(doc.agents, doc.container, doc.note));
  return EXIT.ok;
};
