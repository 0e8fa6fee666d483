// The live source types, registered into collect's map by config `type`. Adding a live source is
// writing its folder under src/live/<name>/ and one line here.
import { liveSourceTypes, type LiveSourceOpener } from '../collect/source.js';
import { openPostgres } from './postgres/index.js';
import { openMysql } from './mysql/index.js';
import { openGcpLogging } from './gcp-logging/index.js';
import { openCloudTrail } from './cloudtrail-api/index.js';
import { openCloudTrailS3 } from './cloudtrail-s3/index.js';
import { openCloudWatchLogs } from './cloudwatch-logs/index.js';
import { openBytebase } from './bytebase/index.js';

export const liveOpeners: Record<string, LiveSourceOpener> = {
  postgres: openPostgres,
  mysql: openMysql,
  'gcp-logging': openGcpLogging,
  cloudtrail: openCloudTrail,
  'cloudtrail-s3': openCloudTrailS3,
  'cloudwatch-logs': openCloudWatchLogs,
  bytebase: openBytebase,
};

export function registerLiveSources(): void {
  for (const [type, open] of Object.entries(liveOpeners)) liveSourceTypes.set(type, open);
}
