import autocannon from 'autocannon';
import { LatencyRecorder } from './latency-recorder';
import type { RequestShape } from './scenarios';

/** One autocannon run against one URL. */
export interface LoadSpec {
  baseUrl: string;
  request: RequestShape;
  connections: number;
  durationSeconds: number;
}

export interface LoadMeasurement {
  /** Mean of autocannon's per-second request counts. */
  requestsPerSecond: number;
  /** Latency of 2xx responses, ms, float precision. */
  p50Ms: number;
  p99Ms: number;
  /** Responses received (any status). */
  responses: number;
  /** Requests sent: the responses plus those still in flight when the run's time was up (autocannon then closes the connections). */
  sent: number;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
}

const REQUEST_TIMEOUT_SECONDS = 10;

export function measureLoad(spec: LoadSpec): Promise<LoadMeasurement> {
  const latencies = new LatencyRecorder();
  return new Promise<LoadMeasurement>((resolve, reject) => {
    const instance = autocannon(
      {
        url: new URL(spec.request.path, spec.baseUrl).href,
        method: spec.request.method,
        headers: { ...spec.request.headers },
        body: spec.request.body,
        connections: spec.connections,
        pipelining: 1,
        duration: spec.durationSeconds,
        timeout: REQUEST_TIMEOUT_SECONDS,
      },
      (error: Error | null, result: autocannon.Result) => {
        if (error) {
          reject(error);
          return;
        }
        const [p50Ms, p99Ms] = latencies.percentiles(50, 99);
        resolve({
          requestsPerSecond: result.requests.average,
          p50Ms: p50Ms!,
          p99Ms: p99Ms!,
          responses: result.requests.total,
          sent: result.requests.sent,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.record(responseTime);
    });
  });
}
