// Lanes: unit (no engines), integration (real dockerd, sshd, Redis), e2e (the built bin/cac), and
// podman (the e2e subset against a Podman socket).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000, fileParallelism: false },
      },
      // the e2e subset against Podman's Docker-compatible socket (CAC_TEST_PODMAN_HOST); not in `just test`
      {
        test: { name: 'podman', include: ['test/podman/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000, fileParallelism: false },
      },
    ],
  },
});
