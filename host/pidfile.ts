// -P: the pid file, written and removed as memcached does (memcached.c
// save_pid, remove_pidfile): a pid already there that names a running
// process is warned about, the file is written beside and renamed so no
// reader sees it empty, and failures are reported but do not stop the server.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";

export type Warn = (message: string) => void;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
}

/** Writes `pid` and a newline to `path`. */
export function writePidFile(path: string, pid: number, warn: Warn): void {
  try {
    const old = Number.parseInt(readFileSync(path, "utf8"), 10);
    if (Number.isSafeInteger(old) && old > 0 && old !== pid && running(old)) {
      warn(`WARNING: The pid file contained the following (running) pid: ${old}`);
    }
  } catch {
    // no pid file yet
  }
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, `${pid}\n`);
  } catch (err) {
    warn(`Could not open the pid file ${tmp} for writing: ${(err as Error).message}`);
    return;
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    warn(`Could not rename the pid file from ${tmp} to ${path}: ${(err as Error).message}`);
  }
}

/** Removes the pid file if it still names `pid` (a later server may have taken the path over). */
export function removePidFile(path: string, pid: number, warn: Warn): void {
  try {
    if (Number.parseInt(readFileSync(path, "utf8"), 10) !== pid) return;
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") warn(`Could not remove the pid file ${path}: ${(err as Error).message}`);
  }
}
