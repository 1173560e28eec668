import { sha256File } from '../core/hash.ts';

/** Piscina worker: SHA-256 of one finished shard file. */
export default async function ({ file }: { file: string }): Promise<string> {
  return sha256File(file);
}
