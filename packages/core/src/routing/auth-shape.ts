import { HeaderName } from '../http/header-names';

export type AuthShape = 'key' | 'bearer' | 'none';

const BEARER = /^\s*bearer\s+(\S+)/i;

/**
 * ARCHITECTURE §2.4: an API key is a non-empty `x-api-key` or a bearer `sk-…` token that
 * is not a Claude OAuth token (`sk-ant-oat…`); the current Anthropic SDK sends its key as
 * `Authorization: Bearer sk-ant-api…`. Any other bearer is `bearer`.
 */
export function authShape(headers: Headers): AuthShape {
  if ((headers.get(HeaderName.apiKey) ?? '').trim() !== '') return 'key';
  const token = BEARER.exec(headers.get(HeaderName.authorization) ?? '')?.[1];
  if (!token) return 'none';
  return token.startsWith('sk-') && !token.startsWith('sk-ant-oat') ? 'key' : 'bearer';
}
