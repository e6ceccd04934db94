import { normalizeConfig } from '../../lib/config/normalize-config';
import type { VhostConfig, VhostOptionsInput } from '../../lib/config/config-model';

/** A validated vhost from plain options, for pure resolver tests. */
export function vhost(options: VhostOptionsInput, rules: string[] = [], geoip = false): VhostConfig {
  const config = normalizeConfig({ vhosts: [{ name: 'www.example.com', options, rules }] }, { geoip });
  return config.vhosts[0] as VhostConfig;
}

/** The chapter's four throttling.txt lines (kbps, 1000/100/5 settings, Throttling ON). */
export const CHAPTER_RULES = ['$IP[192.168.1.1], 2000, 150, 3', '!HEADER[referer], 800', 'HEADER[cookie], , , 10', '$URL[*.m4a], no'];
/** The chapter's three `x` lines. */
export const CHAPTER_X_RULES = ['$URL[/vod/*.mp4], 1000x, 120, 5', '!HEADER[user-agent], 500x', '$URL[/low_quality/*], x, 200'];
/** The chapter's QueryString settings. */
export const CHAPTER_QUERY_OPTIONS: VhostOptionsInput = {
  bandwidth: 2,
  unit: 'mbps',
  ratio: 100,
  boost: 3,
  params: { bandwidth: 'mybandwidth', ratio: 'myratio', boost: 'myboost' },
  throttling: true,
  queryString: true,
};
