// Starting, watching and joining the workers (socket-worker.ts, net-worker.ts).
import { Worker } from "node:worker_threads";
import { ModuleError } from "./errors.js";
import { type Layout, coreRegions } from "./layout.js";
import type { AppExports } from "./modules.js";
import type { WorkerMessage } from "./socket-worker.js";

/** How long a worker may take to notice SHUTDOWN and close its connections. */
export const JOIN_TIMEOUT_MS = 3000;

export interface WorkerPool {
  /** Never resolves; rejects with a WorkerFailure when a worker throws or exits before join() (the caller then stops the rest). */
  readonly failed: Promise<never>;
  /** Waits for all workers to exit, terminating stragglers after JOIN_TIMEOUT_MS. */
  join(): Promise<void>;
}

/** A worker died: what it threw, or its exit code. */
export class WorkerFailure extends ModuleError {
  constructor(readonly core: number, message: string, options?: { cause?: unknown }) {
    super("ERR_WORKER_FAILED", `worker ${core} failed: ${message}`, options);
  }
}

/**
 * In a worker: the transport's init (`transportInit`, named for messages:
 * sock_init, net_init) and then the protocol module's app_init, each on its
 * region of `core` (of the service'th module, with several --app); a non-zero return is a ModuleError.
 */
export function initCore(
  layout: Layout,
  core: number,
  transportInit: { readonly name: string; call(control: number, core: number, base: number, size: number): number },
  app: AppExports,
  appName: string,
  service = 0,
): void {
  const regions = coreRegions(layout, core, service);
  const sizes = layout.services[service];
  const rcT = transportInit.call(layout.control, core, regions.transport, sizes.transportSize);
  if (rcT !== 0) throw new ModuleError("ERR_TRANSPORT_INIT", `core ${core}: ${transportInit.name} returned ${rcT}`);
  const rcA = app.app_init(layout.control, core, regions.app, sizes.appSize);
  if (rcA !== 0) throw new ModuleError("ERR_APP_INIT", `core ${core}: ${appName}.wasm app_init returned ${rcA}`);
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Starts one worker per init (`kind` tells the bundle which loop to run) and
 * resolves once all are ready (serving); rejects if any fails first. Then the
 * others are asked to stop with `stop` (the SHUTDOWN word) and given
 * JOIN_TIMEOUT_MS to exit before being terminated: terminating a worker in the
 * middle of its setup (koffi binding libc, DPDK attaching a queue) can abort
 * the whole process.
 */
export async function startWorkers(
  script: URL,
  inits: readonly { readonly core: number }[],
  kind: "socket-worker" | "net-worker" = "socket-worker",
  stop?: () => void,
): Promise<WorkerPool> {
  let stopping = false;
  let rejectFailed!: (err: Error) => void;
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  failed.catch(() => {}); // observed by the caller, which may be waiting for readiness instead
  const exits: Promise<void>[] = [];
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];

  for (const init of inits) {
    const worker = new Worker(script, { workerData: { kind, init }, stdout: false, stderr: false });
    workers.push(worker);
    ready.push(
      new Promise<void>((resolve) =>
        worker.on("message", (msg: WorkerMessage) => {
          if (msg.type === "ready" && msg.core === init.core) resolve();
        }),
      ),
    );
    worker.on("error", (err) => rejectFailed(new WorkerFailure(init.core, describe(err), { cause: err })));
    exits.push(
      new Promise<void>((resolve) =>
        worker.once("exit", (code) => {
          if (!stopping) rejectFailed(new WorkerFailure(init.core, code !== 0 ? `exited with code ${code}` : "stopped unexpectedly"));
          resolve();
        }),
      ),
    );
  }

  try {
    await Promise.race([Promise.all(ready), failed]);
  } catch (err) {
    stopping = true;
    if (stop) {
      stop();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, JOIN_TIMEOUT_MS)));
      await Promise.race([Promise.all(exits), timeout]);
      clearTimeout(timer);
    }
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }

  return {
    failed,
    async join(): Promise<void> {
      stopping = true;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, JOIN_TIMEOUT_MS)));
      await Promise.race([Promise.all(exits), timeout]);
      clearTimeout(timer);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
