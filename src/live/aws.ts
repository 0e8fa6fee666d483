// What the AWS live sources (cloudtrail, cloudtrail-s3, cloudwatch-logs) set up the same way: each
// SDK client's settings (region, a named profile or else the standard credential chain, an endpoint
// override, retries left to us so that each is paced, counted and reported: pace.ts RetryCount).

/** The settings of an AWS SDK client, as the live sources pass them. */
export interface AwsClientSettings {
  region: string;
  maxAttempts?: number;
  profile?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
}

/**
 * One client's settings: `profile` when named (else the SDK's standard chain), `endpoint` when
 * overridden (`pathStyle`: path-style addressing for S3-compatible stores), `maxAttempts` when
 * given (1 where the retries are ours).
 */
export function awsClientSettings(
  region: string,
  profile: string | undefined,
  endpoint: string | undefined,
  o: { maxAttempts?: number; pathStyle?: boolean } = {},
): AwsClientSettings {
  return {
    region,
    ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
    ...(profile ? { profile } : {}),
    ...(endpoint ? { endpoint, ...(o.pathStyle ? { forcePathStyle: true } : {}) } : {}),
  };
}

/** How the credentials are found, for the result's settings. */
export function credentialsSetting(profile: string | undefined): string {
  return profile ? `profile ${profile}` : 'standard AWS credential chain';
}
