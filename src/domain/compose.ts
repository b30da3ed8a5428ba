// How to get Docker Compose, for `dockerComposeFile` dev containers: the doctor row and ERR_COMPOSE_MISSING
// give the same hint.
export const COMPOSE_INSTALL_HINT = "install Docker Compose on the engine's host: apt-get install docker-compose (Debian), or Docker's compose plugin (docker compose); then run 'cac doctor'";
