// Docker Compose dev containers (`dockerComposeFile`): Compose's own labels, by which cac finds a
// project's containers, networks and volumes, and the error when Compose is not installed.
import { CacError } from '../../errors.js';
import { COMPOSE_INSTALL_HINT } from '../../domain/compose.js';

/** Compose's label on every container, network and volume of a project. */
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** The devcontainer CLI could not spawn Compose: name it and how to get it. */
export function composeMissing(where: string, detail?: string): CacError {
  return new CacError('ERR_COMPOSE_MISSING', `this dev container uses Docker Compose (dockerComposeFile), but neither 'docker compose' nor 'docker-compose' runs on ${where}`, {
    hint: COMPOSE_INSTALL_HINT,
    ...(detail ? { details: { detail } } : {}),
  });
}

/** True when a devcontainer CLI failure is "Compose is not installed" (spawn ENOENT / not found). */
export function isComposeMissing(text: string): boolean {
  return /spawn \S*docker-compose ENOENT|docker-compose: (command )?not found/.test(text);
}
