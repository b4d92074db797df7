/**
 * The message of anything thrown. Checks the shape, not `instanceof Error`: errors from
 * plugin code loaded through jiti (or another realm) are not instances of this realm's Error.
 */
export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}
