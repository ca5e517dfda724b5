/** Child process of `moebench quality`: one request in, one response (or one error) out, over IPC. */
import { QualityInputError, scoreQuality, type QualityRequest } from "./scoreQuality.js";

export type QualityWorkerMessage =
  | { ok: true; result: Awaited<ReturnType<typeof scoreQuality>> }
  | { ok: false; message: string; hint?: string; user: boolean };

process.once("message", (req: QualityRequest) => {
  scoreQuality(req)
    .then((result) => process.send!({ ok: true, result } satisfies QualityWorkerMessage))
    .catch((e: unknown) => {
      const user = e instanceof QualityInputError;
      let message = String(e);
      if (user) message = e.message;
      else if (e instanceof Error) message = e.stack ?? e.message;
      process.send!({ ok: false, message, hint: user ? e.hint : undefined, user } satisfies QualityWorkerMessage);
    })
    .finally(() => process.disconnect());
});
