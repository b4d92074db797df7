/** Moved to `http/api-errors` so backends can use it without importing the server layer; kept so existing imports compile. */
export * from '../http/api-errors';
