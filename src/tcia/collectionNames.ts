import { closest, distance } from 'fastest-levenshtein';
import type { Logger } from '../core/log.ts';
import type { TciaClient } from './client.ts';

/**
 * Manifest collection names against what TCIA lists (`getCollectionValues`). Names match
 * case-insensitively and TCIA's spelling wins, so "QIN-HEADNECK" in a manifest fetches "QIN-HeadNeck"
 * if that is how TCIA spells it. A name TCIA does not list is reported with the closest listed name
 * (Levenshtein distance on lower case: fastest-levenshtein, rather than a hand-written one).
 */

export interface UnknownCollection {
  name: string;
  closest?: string;
  distance?: number;
}

export interface CollectionMatch {
  /** Manifest name → TCIA's spelling, for every name TCIA lists. */
  resolved: Map<string, string>;
  unknown: UnknownCollection[];
}

export function matchCollectionNames(wanted: readonly string[], listed: readonly string[]): CollectionMatch {
  const byLower = new Map<string, string>();
  for (const l of listed) if (!byLower.has(l.toLowerCase())) byLower.set(l.toLowerCase(), l);
  const lowers = [...byLower.keys()];
  const resolved = new Map<string, string>();
  const unknown: UnknownCollection[] = [];
  for (const name of new Set(wanted)) {
    const hit = byLower.get(name.toLowerCase());
    if (hit !== undefined) {
      resolved.set(name, hit);
      continue;
    }
    if (lowers.length === 0) {
      unknown.push({ name });
      continue;
    }
    const near = closest(name.toLowerCase(), lowers);
    unknown.push({ name, closest: byLower.get(near)!, distance: distance(name.toLowerCase(), near) });
  }
  return { resolved, unknown };
}

/** "collection "QIN LUNG CTT" is not listed at URL; closest listed name: "QIN LUNG CT" (1 edit); skipped". */
export function unknownCollectionWarning(u: UnknownCollection, apiUrl: string): string {
  const near = u.closest === undefined ? 'TCIA lists no collections' : `closest listed name: "${u.closest}" (${u.distance} edit${u.distance === 1 ? '' : 's'})`;
  return `collection "${u.name}" is not listed by getCollectionValues at ${apiUrl}; ${near}; skipped`;
}

/** Ask TCIA once, warn about each unknown name, and return the match. */
export async function resolveCollectionNames(client: TciaClient, wanted: readonly string[], log: Logger): Promise<CollectionMatch> {
  const listed = await client.getCollectionValues();
  const match = matchCollectionNames(wanted, listed);
  for (const u of match.unknown) log.warn(unknownCollectionWarning(u, client.apiUrl));
  const renamed = [...match.resolved].filter(([a, b]) => a !== b);
  if (renamed.length) log.info(`TCIA spells ${renamed.length} collection name(s) differently; using TCIA's: ${renamed.map(([a, b]) => `${a} → ${b}`).join(', ')}`);
  return match;
}
