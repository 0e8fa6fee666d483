import { plannedAdapter } from '../stub.js';

export const adapter = plannedAdapter('cloudtrail', 'aws', 'AWS CloudTrail');
