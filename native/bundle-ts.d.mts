/** Bundles `entry` (relative to the repository root) to build/<name>.mjs; resolves to its path. */
export function bundleTs(entry: string, name: string): Promise<string>;
