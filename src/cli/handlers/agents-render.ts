// Human rendering of `cac agents doctor`: one block per agent (names of env variables, never values).
import { placesText, type AgentDoctor } from '../../app/use-cases/agents.js';

export function renderDoctor(rows: readonly AgentDoctor[], container: { id: string; remoteUser: string | null; home: string | null } | null, note?: string): string {
  const head = container ? `container ${container.id.slice(0, 12)} · user ${container.remoteUser ?? '(default)'}${container.home ? ` · home ${container.home}` : ''}` : 'no running container';
  return [head, ...(note ? [note] : []), ...rows.map(block)].join('\n\n');
}

function block(r: AgentDoctor): string {
  const lines = [`${r.agent}: ${r.enabled ? 'enabled' : 'disabled'}`];
  const paths = r.host.paths.map((p) => `${p.path} ${p.found ? 'found' : 'missing'}`).join(', ');
  lines.push(`  host: ${paths || '(no paths listed)'}${r.host.files ? ` · ${r.host.files} file(s), ${kb(r.host.bytes)}` : ''}`);
  if (r.host.env.length) lines.push(`  env: ${r.host.env.map((e) => `${e.name} ${e.set ? 'set' : 'missing'}`).join(', ')}`);
  if (r.container) lines.push(`  container: ${r.container.binary ? `${r.container.binary}${r.container.version ? ` (${r.container.version})` : ''}` : 'binary not found'}`);
  if (r.cache)
    lines.push(`  cache: ${r.cache.package}@${r.cache.version} ${r.cache.problem ? `(${r.cache.problem})` : r.cache.platforms.length ? `cached for ${r.cache.platforms.join(', ')}` : 'not cached'}`);
  if (r.login) lines.push(`  login: ${r.login.file} rotates its refresh token; live in ${r.login.places.length ? placesText(r.login.places) : 'no container or box'} (on_fork = "${r.login.onFork}")`);
  for (const w of r.host.warnings) lines.push(`  warning: ${w}`);
  lines.push(`  plan: ${r.actions.join('; ')}`);
  return lines.join('\n');
}

function kb(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
