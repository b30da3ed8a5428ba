// One-line human summaries of a box (the request path: no table library).
import type { Box } from '../../domain/box.js';

/** `ssh -p PORT user@host`, or a dash before sshd answered. */
export function sshLine(box: Box): string {
  const t = box.sshTarget;
  return t ? `ssh -p ${t.port} ${t.user}@${t.host}` : '-';
}

export function grantLine(box: Box, warm: boolean, log: string): string {
  if (warm) return `warm box ${box.id} claimed for ${box.claimant ?? '?'} · ${sshLine(box)}`;
  if (box.state === 'ready') return `cold box ${box.id} ready for ${box.claimant ?? '?'} · ${sshLine(box)}`;
  return `no warm box: cold box ${box.id} is ${box.state}, provisioning in the background (log: ${log}); wait with 'cac box show ${box.id} --wait'`;
}
