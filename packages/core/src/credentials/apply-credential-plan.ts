import type { CredentialPlan } from './types';

/**
 * Applies a credential plan to flat `[name, value, …]` request headers, case-insensitively:
 * stripped names go, set names replace the caller's value in place (keeping the caller's
 * spelling and position) or are appended, merged comma lists keep the caller's tokens first
 * and add only tokens not already present. No header ever leaves in two spellings.
 */
export function applyCredentialPlan(flat: readonly string[], plan: CredentialPlan): string[] {
  const strip = new Set((plan.strip ?? []).map((name) => name.toLowerCase()));
  const replacements = new Map<string, { name: string; value: string }>();
  for (const [name, value] of Object.entries(plan.set ?? {})) replacements.set(name.toLowerCase(), { name, value });
  const merges = new Map<string, { name: string; tokens: readonly string[] }>();
  for (const [name, tokens] of Object.entries(plan.merge ?? {})) merges.set(name.toLowerCase(), { name, tokens });

  // Caller's comma tokens per merged header, across repeated occurrences.
  const callerTokens = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) {
    const lower = flat[i]!.toLowerCase();
    if (merges.has(lower) && !strip.has(lower)) {
      const tokens = callerTokens.get(lower) ?? [];
      tokens.push(...splitTokens(flat[i + 1]!));
      callerTokens.set(lower, tokens);
    }
  }

  const out: string[] = [];
  const written = new Set<string>();
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const lower = name.toLowerCase();
    if (written.has(lower) && (replacements.has(lower) || merges.has(lower))) continue; // later duplicates fold into the first
    if (replacements.has(lower)) {
      out.push(name, replacements.get(lower)!.value);
      written.add(lower);
    } else if (merges.has(lower) && !strip.has(lower)) {
      out.push(name, mergeTokens(callerTokens.get(lower) ?? [], merges.get(lower)!.tokens));
      written.add(lower);
    } else if (!strip.has(lower)) {
      out.push(name, flat[i + 1]!);
    }
  }
  for (const [lower, { name, value }] of replacements) if (!written.has(lower)) out.push(name, value);
  for (const [lower, { name, tokens }] of merges) {
    if (!written.has(lower) && !replacements.has(lower)) out.push(name, mergeTokens([], tokens));
  }
  return out;
}

function splitTokens(value: string): string[] {
  return value
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

/** Caller's tokens first (as spelled), then the added ones not already present (case-insensitive). */
export function mergeTokens(caller: readonly string[], added: readonly string[]): string {
  const seen = new Set<string>();
  const merged: string[] = [];
  for (const token of [...caller, ...added]) {
    const key = token.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(token);
  }
  return merged.join(',');
}
