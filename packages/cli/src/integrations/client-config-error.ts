/**
 * A client config TokenPak will not edit (it does not parse, or the owned keys are in a shape
 * `integrate` does not write). The file is left untouched; the message names it and says why.
 */
export class ClientConfigError extends Error {
  override readonly name = 'ClientConfigError';
}
