/**
 * The user's interrupt, for one command: SIGINT (Ctrl-C, which reaches the whole process group) or
 * SIGTERM aborts the signal; the runner and the HTTP sweep stop, nothing is recorded for what was in
 * flight, and the command exits 130. A second Ctrl-C exits at once.
 */
import { EXIT } from "../util/exitCodes.js";

export interface UserInterrupt {
  signal: AbortSignal;
  dispose: () => void;
}

export function userInterrupt(): UserInterrupt {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
